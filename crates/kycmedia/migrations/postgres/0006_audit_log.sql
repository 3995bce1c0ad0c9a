-- The access audit trail (issue 14): one row per access to personal data or
-- change of state, append-only. Each row's hash is SHA-256 of the previous
-- row's hash and its own fields, so a row deleted or altered breaks the
-- chain from there on (`kycmedia audit verify`). Ids only, never personal
-- data: the rows outlive the sessions they name.
CREATE TABLE audit_log (
    seq            BIGINT PRIMARY KEY NOT NULL,
    at             BIGINT NOT NULL,
    actor          TEXT COLLATE "C" NOT NULL,
    integration_id TEXT COLLATE "C",
    secret_index   BIGINT,
    action         TEXT COLLATE "C" NOT NULL,
    session_id     TEXT COLLATE "C",
    attempt_id     TEXT COLLATE "C",
    media_id       TEXT COLLATE "C",
    client         TEXT COLLATE "C",
    status         BIGINT NOT NULL,
    -- Identical accesses within one write (a client polling a list) are
    -- one row: how many, and the time of the last (`at` is the first's).
    count          BIGINT NOT NULL,
    last_at        BIGINT NOT NULL,
    hash           BYTEA NOT NULL
);
CREATE INDEX audit_log_session ON audit_log(session_id, seq);
CREATE INDEX audit_log_at ON audit_log(at);

-- The chain's end: the last row's seq and hash; the first append writes it.
-- Every append locks this row, so writers on several servers take turns.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY NOT NULL,
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
