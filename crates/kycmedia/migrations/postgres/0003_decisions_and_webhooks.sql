-- Decisions an integrator can fetch, and the webhooks that announce them
-- and a session's progress (issue 12).

-- Where an integration wants its webhooks, as the provider's portal has it:
-- one URL for decisions, one for events; NULL sends none.
ALTER TABLE integrations ADD COLUMN decision_webhook_url TEXT;
ALTER TABLE integrations ADD COLUMN event_webhook_url TEXT;

-- When an attempt was submitted (a decision's submissionTime); NULL for an
-- attempt never submitted, and for those submitted before this migration.
ALTER TABLE attempts ADD COLUMN submitted_at BIGINT;

-- One decision per decided attempt. Its code and reason text follow from
-- status and reason_code (kycmedia_proto::decision), so they are not stored.
CREATE TABLE decisions (
    attempt_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,
    session_id     TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    reason_code    BIGINT,
    decided_at     BIGINT NOT NULL
);
CREATE INDEX decisions_session ON decisions(session_id, decided_at);

-- The outbox: a webhook is written in the transaction of the change it
-- reports, then delivered at least once, in seq order per session.
CREATE TABLE webhooks (
    id             TEXT COLLATE "C" PRIMARY KEY,
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    session_id     TEXT COLLATE "C" NOT NULL,
    seq            BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    url            TEXT NOT NULL,
    body           TEXT NOT NULL,
    state          TEXT NOT NULL,
    attempts       BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until    BIGINT,
    created_at     BIGINT NOT NULL,
    delivered_at   BIGINT
);
CREATE INDEX webhooks_due ON webhooks(state, next_attempt_at);
CREATE INDEX webhooks_session ON webhooks(session_id, seq);

-- Every delivery attempt: when, the HTTP status or the error, how long,
-- and the first KiB of the answer.
CREATE TABLE webhook_attempts (
    id             TEXT COLLATE "C" PRIMARY KEY,
    webhook_id     TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    at             BIGINT NOT NULL,
    http_status    BIGINT,
    latency_ms     BIGINT NOT NULL,
    outcome        TEXT NOT NULL
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts(webhook_id, at);
