-- Issue 26, decision P32: an event row stays in the events table's own pages
-- up to a full page. By default PostgreSQL moves a row's large values out to
-- the TOAST table once the row passes about 2 kB, and a sealed `RequestSent`
-- (its personal fields as one ciphertext) passes it: every such append wrote
-- a second table and its index, and every read of the log (rebuilds, folds,
-- the audit API) looked each one up there again. The log is append-only and
-- read whole, so inline rows cost nothing in exchange.
ALTER TABLE events SET (toast_tuple_target = 8160);
