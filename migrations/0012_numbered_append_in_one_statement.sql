-- ---------------------------------------------------------------------------
-- A batch of creations (writes that need a protocol number and carry no
-- idempotency record) is stored by one statement in its own implicit
-- transaction, when its committer knows the last number of each counter it
-- uses (it wrote them last): the statement moves each counter from the last
-- number the committer knows to the batch's last, and inserts the events
-- that carry those numbers (commands/src/store/group.rs). If another writer
-- moved a counter in between, the number the event was built with is no
-- longer free, and the statement must store nothing: it fails here, and the
-- batch runs again in a transaction that reads the counters afresh.
-- ---------------------------------------------------------------------------

CREATE FUNCTION protocol_counters_moved_on(counted bigint, expected integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of % protocol counters were not at the number expected',
        expected - counted, expected
        USING ERRCODE = 'CP002';
END;
$$;
