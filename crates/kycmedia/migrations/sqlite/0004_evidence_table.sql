-- The evidence behind a rank moves to a table of its own (issue 11): each
-- table is one Rust type in the store, and the media type is what the hot
-- list reads, which never includes the evidence. Rows keep their evidence.
CREATE TABLE media_evidence (
    media_id TEXT PRIMARY KEY NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    evidence TEXT NOT NULL
);
INSERT INTO media_evidence (media_id, evidence) SELECT id, evidence FROM media;
ALTER TABLE media DROP COLUMN evidence;
