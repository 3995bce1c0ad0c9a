-- The hot read, an attempt's ranked media list, answered from indexes alone
-- (index-only scans), as on SQLite (migrations/sqlite/0003): each index
-- carries every column its step of the query reads.
DROP INDEX media_attempt_rank;
CREATE INDEX media_attempt_rank ON media(attempt_id, matches DESC, score DESC, created_at, id)
    INCLUDE (session_id, integration_id, kind, context, mimetype, size, width, height,
             duration_ms, accuracy, quality, blob_key);
CREATE INDEX attempts_owner ON attempts(id) INCLUDE (session_id);
CREATE INDEX sessions_owner ON sessions(id) INCLUDE (integration_id);
