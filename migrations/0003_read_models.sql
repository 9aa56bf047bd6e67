-- Projection checkpoints and the read models of the request channel
-- (DESIGN.md "Projections"; code in projections/).
--
-- Rules for every read table, so that `combipat rebuild <projection>` can copy
-- it with `CREATE TABLE rebuild_x.t (LIKE public.t INCLUDING ALL)` and swap it in:
--   - no sequences / serial / identity columns: every value comes from the events;
--   - no foreign keys between read tables and no views on them (DROP TABLE at
--     swap time would fail on a dependent view);
--   - projections write them with unqualified names.

-- Substring search on subject and text ("Storico richieste", home panel).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Where each projection is in the global log: every event at or before
-- (tx_id, position), in that order, has been applied. Updated in the same
-- transaction as the rows the events produced (exactly-once effect).
CREATE TABLE projection_checkpoints (
    name        text PRIMARY KEY,
    tx_id       bigint NOT NULL DEFAULT 0,
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- Projection `requests`: request_summary, request_timeline, request_attachments.
-- ---------------------------------------------------------------------------

-- One row per request: the history ("Storico richieste"), the detail header and
-- the sede inbox.
CREATE TABLE request_summary (
    request_id            uuid PRIMARY KEY,
    protocol              text NOT NULL,
    patronato             text NOT NULL,
    office                text NOT NULL,
    created_by            text NOT NULL,
    -- operator | patronato_admin | regional_referent
    created_by_role       text NOT NULL,
    requester_kind        text NOT NULL CHECK (requester_kind IN ('citizen', 'own_behalf')),
    codice_fiscale        text,
    citizen_surname       text,
    citizen_name          text,
    citizen_birth_date    date,
    referent_region       text,
    topic                 text NOT NULL,
    topic_label           text NOT NULL,
    subtopic              text,
    subtopic_label        text,
    -- topic label, " – ", subtopic label (the topic label alone without a subtopic)
    subject               text NOT NULL,
    text                  text NOT NULL,
    notes                 text,
    practice_ref_kind     text,
    practice_ref_value    text,
    -- domain::request::Status::as_str
    status                text NOT NULL,
    current_sede          text NOT NULL,
    origin_sede           text NOT NULL,
    sent_at               timestamptz NOT NULL,
    last_activity_at      timestamptz NOT NULL,
    first_reply_at        timestamptz,
    last_reply_at         timestamptz,
    replies               integer NOT NULL DEFAULT 0,
    -- set while the latest patronato communication (request or follow-up) has no reply
    awaiting_reply_since  timestamptz,
    in_charge_by          text,
    interactions_used     integer NOT NULL DEFAULT 0,
    solleciti             integer NOT NULL DEFAULT 0,
    last_sollecito_at     timestamptz,
    appointment_enabled   boolean NOT NULL DEFAULT false,
    closed_at             timestamptz,
    forwards              integer NOT NULL DEFAULT 0,
    -- attachments currently held (removed ones excluded)
    attachments_count     integer NOT NULL DEFAULT 0,
    -- stream version and global position of the last event applied
    version               integer NOT NULL,
    last_position         bigint NOT NULL
);

-- History, newest first, keyset (sent_at, request_id), per scope.
CREATE INDEX request_summary_history_office
    ON request_summary (patronato, office, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_history_creator
    ON request_summary (created_by, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_history_patronato
    ON request_summary (patronato, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_history_status
    ON request_summary (patronato, status, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_codice_fiscale
    ON request_summary (codice_fiscale, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_protocol ON request_summary (protocol);
-- Case-insensitive substring search (ILIKE) on subject and text.
CREATE INDEX request_summary_search
    ON request_summary USING gin ((subject || ' ' || text) gin_trgm_ops);
-- Sede inbox: everything, and the open requests by how long they await a reply.
CREATE INDEX request_summary_inbox
    ON request_summary (current_sede, sent_at DESC, request_id DESC);
CREATE INDEX request_summary_inbox_open
    ON request_summary (current_sede, awaiting_reply_since)
    WHERE closed_at IS NULL;

-- One row per event of a request that a person reads (the conversation).
CREATE TABLE request_timeline (
    request_id   uuid NOT NULL,
    version      integer NOT NULL,
    at           timestamptz NOT NULL,
    -- sent | attachment_added | attachment_removed | taken_in_charge | reply |
    -- message | sollecito | forwarded | appointment_enabled | closed
    kind         text NOT NULL,
    actor_id     text NOT NULL,
    -- patronato | sede
    side         text NOT NULL,
    -- the sede the request was at when it happened (for a forward: the sender)
    sede         text,
    text         text,
    -- [{id, sha256, filename, media_type, size}]
    attachments  jsonb NOT NULL DEFAULT '[]',
    details      jsonb NOT NULL DEFAULT '{}',
    position     bigint NOT NULL,
    PRIMARY KEY (request_id, version)
);

-- Every attachment a request ever held; removed ones keep their row with removed_at.
CREATE TABLE request_attachments (
    request_id     uuid NOT NULL,
    attachment_id  uuid NOT NULL,
    sha256         text NOT NULL,
    filename       text NOT NULL,
    media_type     text NOT NULL,
    size           bigint NOT NULL,
    -- patronato | sede
    side           text NOT NULL,
    added_by       text NOT NULL,
    added_at       timestamptz NOT NULL,
    -- stream version of the event that added it, and its place in that event
    added_version  integer NOT NULL,
    ordinal        integer NOT NULL,
    removed_at     timestamptz,
    removed_by     text,
    PRIMARY KEY (request_id, attachment_id)
);

-- ---------------------------------------------------------------------------
-- Projection `home_panel`: recent_replies.
-- ---------------------------------------------------------------------------

-- One row per reply of a sede, denormalised with what the home panel shows and
-- searches. "Last 3 days" is a range query on replied_at: nothing is pruned.
CREATE TABLE recent_replies (
    request_id      uuid NOT NULL,
    version         integer NOT NULL,
    replied_at      timestamptz NOT NULL,
    replied_by      text NOT NULL,
    sede            text NOT NULL,
    -- the request's creator: the user whose panel shows the reply
    created_by      text NOT NULL,
    patronato       text NOT NULL,
    office          text NOT NULL,
    protocol        text NOT NULL,
    codice_fiscale  text,
    subject         text NOT NULL,
    -- the first 200 characters of the reply
    excerpt         text NOT NULL,
    PRIMARY KEY (request_id, version)
);

CREATE INDEX recent_replies_by_creator
    ON recent_replies (created_by, replied_at DESC, request_id DESC, version DESC);
