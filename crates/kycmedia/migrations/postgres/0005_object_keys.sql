-- Each stored object's data key, wrapped by a master key (issue 14). The
-- row goes with its media row, in the same transaction: the object's bytes,
-- wherever copies of them remain, are unreadable from then on.
CREATE TABLE object_keys (
    media_id      TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    integration_id TEXT COLLATE "C" NOT NULL,
    master_key_id TEXT COLLATE "C" NOT NULL,
    wrapped       BYTEA NOT NULL
);
-- `keys rotate` finds the keys still wrapped by an older master key.
CREATE INDEX object_keys_master ON object_keys(master_key_id);
