-- Issue 26, decision P32: the log is read without parallel workers. Its
-- readers (a rebuild's replay, the projection workers, the audit API and the
-- export) read it in order, a batch at a time; once each event is joined to
-- its subjects' keys (crypto-shredding), PostgreSQL planned that read with
-- parallel workers, which start afresh for every batch and copy every row
-- through their queues to the one that keeps the order — measured: more
-- work, not less, on every machine size this project runs on.
ALTER TABLE events SET (parallel_workers = 0);
