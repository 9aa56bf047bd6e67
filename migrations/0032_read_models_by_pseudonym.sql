-- Issue 26, decision P27: no index of a read model holds a codice fiscale in
-- clear. The requests and home panel projections key a citizen's rows by the
-- citizen's keyed pseudonym (`c` + 32 hex digits, shared by the omocodia
-- variants of one code), taken from the sealed `RequestSent`
-- (`_sealed.subject`); a search by codice fiscale turns the code into its
-- pseudonym at the API's edge and looks that up. `codice_fiscale` stays as a
-- display column for the authorised readers, unindexed.
--
-- Rows written before this migration hold NULL until
-- `combipat rebuild requests` and `combipat rebuild home_panel`
-- (docs/operations.md); events stored before sealing carry no pseudonym and
-- project NULL (found by no search by code).

ALTER TABLE request_summary ADD COLUMN citizen_pseudonym text;
-- A citizen's requests, newest first (the history's filter, the subject's copy).
CREATE INDEX request_summary_citizen_pseudonym
    ON request_summary (citizen_pseudonym, sent_at DESC, request_id DESC)
    WHERE citizen_pseudonym IS NOT NULL;
DROP INDEX request_summary_codice_fiscale;

-- The home panel filters a creator's replies by citizen (no index of its own:
-- the creator's index narrows first).
ALTER TABLE recent_replies ADD COLUMN citizen_pseudonym text;
