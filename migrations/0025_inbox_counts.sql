-- ---------------------------------------------------------------------------
-- The sede inbox's bucket counts (`GET /sedi/{sede}/inbox/counts`, decision E1)
-- in one statement that reads indexes only:
-- * the open buckets (new, in charge, awaiting reply, overdue) count the sede's
--   open requests through this partial index, which carries every column their
--   conditions test (`awaiting_reply_since` as a key, `in_charge_by` included),
--   so no heap page is read once autovacuum has marked them all-visible;
-- * "tutte" counts the sede's entries of `request_summary_inbox`.
-- It replaces `request_summary_inbox_open`: same keys, same predicate, so the
-- overdue list keeps its plan.
-- ---------------------------------------------------------------------------

CREATE INDEX request_summary_inbox_open_counts
    ON request_summary (current_sede, awaiting_reply_since)
    INCLUDE (in_charge_by)
    WHERE closed_at IS NULL;

DROP INDEX request_summary_inbox_open;
