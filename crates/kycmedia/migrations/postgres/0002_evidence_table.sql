-- The evidence behind a rank moves to a table of its own (issue 11): each
-- table is one Rust type in the store, and the media type is what the hot
-- list reads, which never includes the evidence. Rows keep their evidence.
CREATE TABLE media_evidence (
    media_id TEXT COLLATE "C" PRIMARY KEY REFERENCES media(id) ON DELETE CASCADE,
    -- Text, not jsonb: the analysis endpoints return it as it was written.
    evidence TEXT NOT NULL
);
INSERT INTO media_evidence (media_id, evidence) SELECT id, evidence FROM media;
ALTER TABLE media DROP COLUMN evidence;
