-- Issue 26, decision P30 (its third form): a new citizen's key is inserted by
-- the statement of the batch that commits the creation sealed with it
-- (store/src/group/new_keys.rs), `ON CONFLICT DO NOTHING`. A key that was not
-- inserted — another writer's stored first, or the subject erased — fails the
-- statement here, so that it stores nothing, and the batch runs again write
-- by write, where each finds the key stored for its subject.
CREATE FUNCTION subject_keys_taken(inserted bigint, wanted integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of % new subjects'' keys were stored', inserted, wanted
        USING ERRCODE = 'CP003';
END;
$$;
