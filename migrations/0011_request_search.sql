-- ---------------------------------------------------------------------------
-- The history's text search ("Oggetto": subject and text) in a table of its
-- own, written once per request (neither changes after sending).
--
-- On request_summary the trigram index took every update of a summary (a
-- reply, a forward, a closing: status and sede are indexed, so no update is
-- HOT) as a new row to index, about 360 trigrams each time, for text that
-- never changes. Here a request is indexed once, when it is sent.
--
-- A rebuild of projection `requests` fills this table from the log's
-- RequestSent events first and builds its trigram index while the rest of
-- the log is replayed (projections/src/requests/search.rs): PostgreSQL 15
-- builds a GIN index on one core, and that build was as long as the replay.
-- ---------------------------------------------------------------------------

CREATE TABLE request_search (
    request_id  uuid PRIMARY KEY,
    -- as request_summary.subject and request_summary.text
    subject     text NOT NULL,
    text        text NOT NULL
);

INSERT INTO request_search (request_id, subject, text)
SELECT request_id, subject, text FROM request_summary;

-- Case-insensitive substring search (ILIKE) on subject and text.
CREATE INDEX request_search_trigram
    ON request_search USING gin ((subject || ' ' || text) gin_trgm_ops);

DROP INDEX request_summary_search;
