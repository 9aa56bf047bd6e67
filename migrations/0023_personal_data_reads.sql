-- Who read what (issue 26): one row per read of a data subject's personal
-- data, written by the read log's group commit before the read is answered.
-- Not in the event log: reads are many times the writes and need no hash chain
-- to be accountable (they are append-only by trigger like the log).
CREATE TABLE personal_data_reads (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_at      timestamptz NOT NULL,
    actor_id     text        NOT NULL,
    actor_role   text        NOT NULL,
    -- patronato/office, sede, or the role for unscoped readers
    scope        text        NOT NULL,
    -- keyed pseudonym (HMAC) of the data subject; NULL for a bulk read
    subject      text,
    subject_kind text        NOT NULL CHECK (subject_kind IN ('citizen', 'booking', 'bulk')),
    operation    text        NOT NULL,
    -- what was read: request-<uuid>, booking-<uuid>, a stream, a filter
    target       text,
    purpose      text
);

CREATE INDEX personal_data_reads_subject ON personal_data_reads (subject, read_at)
    WHERE subject IS NOT NULL;
CREATE INDEX personal_data_reads_bulk ON personal_data_reads (read_at)
    WHERE subject IS NULL;
CREATE INDEX personal_data_reads_actor ON personal_data_reads (actor_id, read_at);

CREATE FUNCTION personal_data_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'personal_data_reads is append-only';
END $$;
CREATE TRIGGER personal_data_reads_no_update BEFORE UPDATE OR DELETE ON personal_data_reads
    FOR EACH ROW EXECUTE FUNCTION personal_data_reads_append_only();
CREATE TRIGGER personal_data_reads_no_truncate BEFORE TRUNCATE ON personal_data_reads
    FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_append_only();
