-- Notifications (issue 27, docs/notifications.md): the outbox the notifier
-- worker fills from the log and the sender drains, the notifier's own memory
-- of who sent each request, and each user's e-mail preferences.

-- One row per notification. `id` is derived from its cause (the event's log
-- position, the kind and the recipient), so a replay, a crash or a second
-- worker inserts the same id again and `ON CONFLICT DO NOTHING` drops it.
-- No address is stored: the sender resolves it when it sends (privacy).
CREATE TABLE notification_outbox (
    id               text PRIMARY KEY,
    -- domain-level kind: booking_confirmed, booking_cancelled, booking_reminder,
    -- appointment_booked, appointment_cancelled, reply_received,
    -- request_forwarded, conversation_closed, overdue_digest
    kind             text NOT NULL,
    -- 'citizen' (the booking's contacts) or 'user' (a directory user)
    recipient_kind   text NOT NULL CHECK (recipient_kind IN ('citizen', 'user')),
    recipient_user   text,
    booking_id       uuid,
    request_id       uuid,
    sede_code        text,
    -- What the message needs beyond the read models (reason, protocol…).
    details          jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The log position of the cause (0 for a time-driven digest).
    cause_position   bigint NOT NULL,
    -- When, on the service clock, it may be sent (a reminder: the day before).
    due_at           timestamptz NOT NULL,
    -- pending → sending → sent | skipped | dead; cancelled (a reminder whose booking went)
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'dead', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    -- Wall-clock time of the next try (backoff), independent of the service clock.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at       timestamptz,
    last_error       text,
    -- 'email' | 'sms' | 'none' once delivered
    channel          text,
    message_id       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- In-app reading (users only).
    read_at          timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX notification_outbox_user ON notification_outbox (recipient_user, created_at DESC)
    WHERE recipient_user IS NOT NULL;
CREATE INDEX notification_outbox_dead ON notification_outbox (created_at) WHERE status = 'dead';
CREATE INDEX notification_outbox_booking ON notification_outbox (booking_id) WHERE booking_id IS NOT NULL;

-- Who sent each request: the recipient of its replies, forwards and closing.
CREATE TABLE notifier_request_authors (
    request_id  uuid PRIMARY KEY,
    author      text NOT NULL,
    protocol    text NOT NULL
);

-- Which e-mails a user wants; no row: all of them.
CREATE TABLE notification_preferences (
    user_id        text PRIMARY KEY,
    muted_kinds    text[] NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The daily digests already planned (one per sede and Rome day).
CREATE TABLE notification_digest_runs (
    day         date PRIMARY KEY,
    planned_at  timestamptz NOT NULL DEFAULT now()
);
