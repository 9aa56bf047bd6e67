-- ---------------------------------------------------------------------------
-- The sede inbox's "new" bucket (nobody took the request in charge, it awaits
-- a reply, it is open), newest first. Through `request_summary_inbox` such a
-- page walked back over the sede's whole history, reading each row from the
-- heap to test the bucket, until it had found a page: at 1.44 M requests, a
-- sede with few new requests and cold pages took 43 ms (docs/benchmarks.md).
-- The bucket's rows only: a request enters it once and leaves it when taken
-- in charge, answered or closed, so the index stays small and cheap to keep.
-- ---------------------------------------------------------------------------

CREATE INDEX request_summary_inbox_new
    ON request_summary (current_sede, sent_at DESC, request_id DESC)
    WHERE closed_at IS NULL AND in_charge_by IS NULL AND awaiting_reply_since IS NOT NULL;
