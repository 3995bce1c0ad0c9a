-- The review console (issue 15): the people who decide, apart from the
-- integrations whose cases they decide.

-- A reviewer. The password is an Argon2id PHC string; one an operator or an
-- admin gave out (`reviewer add`, `reset-password`) is expired, and must be
-- replaced at the next login before anything else.
CREATE TABLE reviewers (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    password_expired BOOLEAN NOT NULL,
    active           BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    -- Console sessions begun before this moment are over.
    password_set_at  BIGINT NOT NULL
);

-- Which integrations' cases a reviewer sees (an admin sees all).
CREATE TABLE reviewer_integrations (
    reviewer_id    TEXT NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    PRIMARY KEY (reviewer_id, integration_id)
);

-- A logged-in browser. The cookie holds a random token; only its SHA-256
-- is kept, so the table read by someone else opens no session.
CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    reviewer_id  TEXT NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_reviewer ON console_sessions(reviewer_id);

-- A case a reviewer took, so that two do not decide the same attempt.
CREATE TABLE assignments (
    attempt_id  TEXT PRIMARY KEY NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    reviewer_id TEXT NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
    assigned_at BIGINT NOT NULL
);

-- Who decided (a reviewer's id; NULL for a command or the automation) and
-- what they wrote. Neither reaches the integrator: the decision object's
-- comments stay empty, as the provider's do.
ALTER TABLE decisions ADD COLUMN decided_by TEXT;
ALTER TABLE decisions ADD COLUMN comment TEXT;

-- The queue: attempts waiting for a decision, oldest submitted first.
CREATE INDEX attempts_waiting ON attempts(submitted_at, id) WHERE status IN ('submitted','review');

-- Which reviewer acted, for the console's rows of the audit trail.
ALTER TABLE audit_log ADD COLUMN reviewer_id TEXT;
