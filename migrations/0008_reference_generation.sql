-- ---------------------------------------------------------------------------
-- Reference generation: a counter every change to the routing and topic
-- reference tables moves on, so that a process may keep those tables' answers
-- in memory and know, with one primary-key read, whether they still hold
-- (commands/src/reference/cache.rs). A statement-level trigger per table
-- moves it in the changing transaction itself: the loader, a migration or an
-- operator's hand-written UPDATE all count, and a reader sees the new
-- generation exactly when it sees the new rows.
-- ---------------------------------------------------------------------------

CREATE TABLE ref_generation (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint  NOT NULL
);
INSERT INTO ref_generation (only_row, generation) VALUES (true, 1);

CREATE FUNCTION ref_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ref_generation SET generation = generation + 1;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ref_topics', 'ref_subtopics', 'ref_regions', 'ref_sedi',
                             'ref_cap_routes', 'ref_topic_hubs', 'ref_provinces',
                             'ref_municipalities']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump()',
            t || '_generation', t);
    END LOOP;
END
$$;
