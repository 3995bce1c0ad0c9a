-- The hot read, an attempt's ranked media list, answered from indexes alone.
--
-- Before, each list cost seven B-tree descents: the attempt by id and then
-- its row, the session likewise, and one table lookup per media row for the
-- columns the rank index lacked. With a million media those pages are spread
-- over a gigabyte, and the list cost a fifth more than on a small database
-- (docs/benchmarks.md, "Scale"). Each index below holds every column its
-- step of the query reads, so the query touches three descents and the
-- attempt's media entries lie side by side.
--
-- PostgreSQL keeps its indexes as they were: the same indexes there (with
-- INCLUDE) made the million-media database 29 % bigger, no longer fitting
-- the default shared_buffers as well, and lists 10 % slower, while without
-- them it already met the scale target.
DROP INDEX media_attempt_rank;
CREATE INDEX media_attempt_rank ON media(
    attempt_id, matches DESC, score DESC, created_at, id,
    session_id, integration_id, kind, context, mimetype, size, width, height,
    duration_ms, accuracy, quality, blob_key
);
CREATE INDEX attempts_owner ON attempts(id, session_id);
CREATE INDEX sessions_owner ON sessions(id, integration_id);
