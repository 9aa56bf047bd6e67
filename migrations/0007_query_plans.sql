-- Query plans at millions of requests (issue 7, docs/benchmarks.md).

-- The planner multiplies the selectivities of patronato and office (or
-- created_by) as if they were independent, and so expects one office to hold
-- an eighth of its real rows: for a text search it then sorts every request
-- of the office instead of reading the newest in index order. Functional
-- dependency statistics correct the estimate (`ANALYZE` fills them).
CREATE STATISTICS request_summary_office_stats (dependencies)
    ON patronato, office FROM request_summary;
CREATE STATISTICS request_summary_creator_stats (dependencies)
    ON patronato, created_by FROM request_summary;

-- Statistics of one key over a period read the key's requests for the
-- backlog ("overdue") and the exact percentiles: the indexes carry every
-- column those two statements read, so they are answered from the index
-- (index-only scans on pages that VACUUM has marked all-visible) instead of
-- one heap page per request.
DROP INDEX stat_requests_user;
DROP INDEX stat_requests_office;
DROP INDEX stat_requests_patronato;
DROP INDEX stat_requests_sede;
DROP INDEX stat_requests_region;
CREATE INDEX stat_requests_user ON stat_requests (created_by, sent_day)
    INCLUDE (patronato, topic, subtopic, sent_at, first_reply_at, reply_seconds);
CREATE INDEX stat_requests_office ON stat_requests (office, sent_day)
    INCLUDE (patronato, topic, subtopic, sent_at, first_reply_at, reply_seconds);
CREATE INDEX stat_requests_patronato ON stat_requests (patronato, sent_day)
    INCLUDE (topic, subtopic, sent_at, first_reply_at, reply_seconds);
CREATE INDEX stat_requests_sede ON stat_requests (origin_sede, sent_day)
    INCLUDE (patronato, topic, subtopic, sent_at, first_reply_at, reply_seconds);
CREATE INDEX stat_requests_region ON stat_requests (origin_region, sent_day)
    INCLUDE (patronato, topic, subtopic, sent_at, first_reply_at, reply_seconds);
