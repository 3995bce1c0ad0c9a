-- Tenants. The API key is public (sent on every request); the secrets are not.
CREATE TABLE integrations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    api_key     TEXT NOT NULL UNIQUE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);

-- One to five per integration, so that a secret can be rotated without downtime.
CREATE TABLE integration_secrets (
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    PRIMARY KEY (integration_id, secret)
);

-- Only what the API gives back is kept: no names, document numbers or birth dates.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY NOT NULL,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    vendor_data    TEXT,
    end_user_id    TEXT,
    callback       TEXT,
    session_token  TEXT NOT NULL,
    -- The test-integration convention: a decision taken on submit.
    auto_decision  TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX sessions_integration ON sessions(integration_id);

CREATE TABLE attempts (
    id          TEXT PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    seq         BIGINT NOT NULL
);
CREATE INDEX attempts_session ON attempts(session_id, seq);

CREATE TABLE media (
    id             TEXT PRIMARY KEY NOT NULL,
    attempt_id     TEXT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    kind           TEXT NOT NULL,
    context        TEXT NOT NULL,
    mimetype       TEXT NOT NULL,
    size           BIGINT NOT NULL,
    width          BIGINT,
    height         BIGINT,
    duration_ms    BIGINT,
    accuracy       DOUBLE PRECISION NOT NULL,
    quality        DOUBLE PRECISION NOT NULL,
    blob_key       TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
-- The list endpoints read exactly this order.
CREATE INDEX media_attempt_rank ON media(attempt_id, accuracy DESC, quality DESC, created_at, id);
CREATE INDEX media_session ON media(session_id);
CREATE INDEX media_blob ON media(blob_key);
