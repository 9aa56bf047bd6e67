-- Crypto-shredding (issue 26): each data subject's data key, stored only
-- wrapped by the master key. Erasure sets wrapped_key to NULL (for good: the
-- trigger refuses to give an erased subject a key again, and any other change).
CREATE TABLE subject_keys (
    subject       text PRIMARY KEY,   -- keyed pseudonym, never the codice fiscale
    kind          text        NOT NULL CHECK (kind IN ('citizen', 'booking')),
    master_key_id text        NOT NULL,
    wrapped_key   bytea,
    created_at    timestamptz NOT NULL,
    erased_at     timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

CREATE FUNCTION subject_keys_only_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'subject_keys: a key is erased, never deleted';
    END IF;
    IF OLD.wrapped_key IS NULL OR NEW.wrapped_key IS NOT NULL
       OR NEW.subject <> OLD.subject OR NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'subject_keys: the only change allowed is erasing a live key';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER subject_keys_erase_only BEFORE UPDATE OR DELETE ON subject_keys
    FOR EACH ROW EXECUTE FUNCTION subject_keys_only_erase();

-- Retention (issue 26): an attachment's content deleted for real once every
-- request holding it is past its retention; the row (hash, type, size) stays so
-- that the log's references remain explained.
ALTER TABLE attachment_blobs ADD COLUMN purged_at timestamptz;
