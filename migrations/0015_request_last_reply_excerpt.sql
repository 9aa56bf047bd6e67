-- ---------------------------------------------------------------------------
-- The start of the last reply, shown by the history ("Storico richieste") and
-- the sede inbox: at most 140 characters cut on a word, made by the requests
-- projection's fold (projections/src/requests/fold.rs, `excerpt`), not here.
-- Rows written before this migration keep NULL (the lists then show the
-- number of replies) until `combipat rebuild requests` (docs/operations.md).
-- ---------------------------------------------------------------------------

ALTER TABLE request_summary ADD COLUMN last_reply_excerpt text;
