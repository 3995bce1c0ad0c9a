-- Opt-in replay protection per integration (issue 14, docs/api.md §1.7):
-- the window in seconds, none for the provider's scheme unchanged.
ALTER TABLE integrations ADD COLUMN replay_window_secs BIGINT;

-- Nonces seen within the window, per integration; older ones are forgotten.
CREATE TABLE request_nonces (
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    nonce          TEXT COLLATE "C" NOT NULL,
    seen_at        BIGINT NOT NULL,
    PRIMARY KEY (integration_id, nonce)
);
CREATE INDEX request_nonces_seen ON request_nonces(seen_at);
