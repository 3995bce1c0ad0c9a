-- The same schema as migrations/sqlite after 0002, in one step: PostgreSQL
-- support arrived after the analysis columns did.
--
-- Keys and blob keys use the "C" collation so that they compare byte by byte,
-- as SQLite's do: the media order's last tie-break (id) and the keyset pages
-- of `migrate-db` must come out the same on both databases, whatever locale
-- the cluster was created with.

-- Tenants. The API key is public (sent on every request); the secrets are not.
CREATE TABLE integrations (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    api_key     TEXT COLLATE "C" NOT NULL UNIQUE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);

-- One to five per integration, so that a secret can be rotated without downtime.
CREATE TABLE integration_secrets (
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    secret         TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    PRIMARY KEY (integration_id, secret)
);

-- Only what the API gives back is kept: no names, document numbers or birth dates.
CREATE TABLE sessions (
    id             TEXT COLLATE "C" PRIMARY KEY,
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
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
    id          TEXT COLLATE "C" PRIMARY KEY,
    session_id  TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    seq         BIGINT NOT NULL
);
CREATE INDEX attempts_session ON attempts(session_id, seq);

CREATE TABLE media (
    id             TEXT COLLATE "C" PRIMARY KEY,
    attempt_id     TEXT COLLATE "C" NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    session_id     TEXT COLLATE "C" NOT NULL,
    integration_id TEXT COLLATE "C" NOT NULL,
    kind           TEXT NOT NULL,
    context        TEXT NOT NULL,
    mimetype       TEXT NOT NULL,
    size           BIGINT NOT NULL,
    width          BIGINT,
    height         BIGINT,
    duration_ms    BIGINT,
    accuracy       DOUBLE PRECISION NOT NULL,
    quality        DOUBLE PRECISION NOT NULL,
    blob_key       TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    -- Whether the file shows what its context asks (matches rank first), the
    -- score that orders each side of that line, and the evidence behind both.
    matches        BOOLEAN NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    -- Text, not jsonb: the analysis endpoints return it as it was written.
    evidence       TEXT NOT NULL
);
-- The list endpoints read exactly this order.
CREATE INDEX media_attempt_rank ON media(attempt_id, matches DESC, score DESC, created_at, id);
CREATE INDEX media_session ON media(session_id);
CREATE INDEX media_blob ON media(blob_key);
