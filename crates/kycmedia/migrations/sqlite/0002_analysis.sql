-- The automation system's verdict (issue 3): whether a file shows what its
-- context asks (matches rank first), the score that orders each side of
-- that line, and the evidence behind both, for operators.
ALTER TABLE media ADD COLUMN matches BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE media ADD COLUMN score DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}';

-- Rows analysed before this migration keep their scores and get the same
-- rule new ones do (kycmedia_media::score and MATCH).
UPDATE media SET matches = (accuracy >= 0.5), score = quality * (0.75 + 0.25 * accuracy);

DROP INDEX media_attempt_rank;
CREATE INDEX media_attempt_rank ON media(attempt_id, matches DESC, score DESC, created_at, id);
