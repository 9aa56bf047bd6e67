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

CREATE TRIGGER ref_topics_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_topics FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_subtopics_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_subtopics FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_regions_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_regions FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_sedi_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_sedi FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_cap_routes_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_cap_routes FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_topic_hubs_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_topic_hubs FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_provinces_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_provinces FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
CREATE TRIGGER ref_municipalities_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ref_municipalities FOR EACH STATEMENT EXECUTE FUNCTION ref_generation_bump();
