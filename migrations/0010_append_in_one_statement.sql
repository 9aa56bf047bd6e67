-- ---------------------------------------------------------------------------
-- A batch of writes that carries events only (no protocol number, no
-- idempotency record) is stored by one INSERT in its own implicit
-- transaction, without BEGIN and COMMIT round trips
-- (commands/src/store/group.rs). Such a statement cannot skip a row whose
-- stream moved on and roll back afterwards: the row must fail the statement.
-- A row at a version already taken fails it by the unique constraint
-- events_stream_version; a stream's first new event whose writer read a
-- version that is not the stream's head fails it here.
-- ---------------------------------------------------------------------------

CREATE FUNCTION events_stream_moved_on(stream_id text, expected integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stream % is not at version %', stream_id, expected
        USING ERRCODE = 'CP001';
END;
$$;
