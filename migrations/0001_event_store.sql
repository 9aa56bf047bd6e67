-- The event log: one append-only table for every stream (DESIGN.md "Events and the event store").

CREATE TABLE events (
    -- Global order of insertion. Values are assigned before commit, so readers of
    -- the global log order by (tx_id, position) and stop below the oldest running
    -- transaction: see commands/src/store/log.rs.
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text NOT NULL,
    stream_type     text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    event_type      text NOT NULL,
    schema_version  smallint NOT NULL CHECK (schema_version >= 1),
    payload         jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- Tamper evidence: hash = sha256(prev_hash || canonical content); prev_hash of
    -- version 1 is 32 zero bytes.
    prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    -- Optimistic concurrency: a second writer at the same version fails here.
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

CREATE INDEX events_tx_position ON events (tx_id, position);
CREATE INDEX events_recorded_at ON events (recorded_at);
CREATE INDEX events_event_type ON events (event_type, position);
CREATE INDEX events_actor ON events ((metadata ->> 'actor_id'), position);

-- Events are immutable: the database itself refuses UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Idempotency: the first answer to a key is kept and replayed.
CREATE TABLE idempotency_keys (
    actor_id        text NOT NULL,
    key             text NOT NULL,
    -- sha256 of the operation and its input: a key reused for another input is refused.
    fingerprint     bytea NOT NULL,
    response        jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, key)
);

-- Protocol numbers: one counter per sede and year, incremented in the append's transaction.
CREATE TABLE protocol_counters (
    sede    text NOT NULL,
    year    integer NOT NULL,
    last    integer NOT NULL,
    PRIMARY KEY (sede, year)
);

-- Attachment contents, addressed by their SHA-256 (stored once however often attached).
CREATE TABLE attachment_blobs (
    sha256      bytea PRIMARY KEY CHECK (length(sha256) = 32),
    media_type  text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    content     bytea NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now()
);

-- Files uploaded by a user and not yet (or already) referenced by a command.
CREATE TABLE attachment_uploads (
    id          uuid PRIMARY KEY,
    sha256      bytea NOT NULL REFERENCES attachment_blobs (sha256),
    filename    text NOT NULL,
    media_type  text NOT NULL,
    size        bigint NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX attachment_uploads_by ON attachment_uploads (uploaded_by, uploaded_at);
