-- Reference data the request rules need (SPEC §2.1–2.3): topic catalogue, INPS
-- regions and sedi, CAP routing and specialised hubs ("Poli"), the citizen
-- registry, practices and patronato mandates on pensions.
--
-- These tables are a local copy of external systems, written only by the loader
-- in commands/src/reference/load.rs from the files in reference/ (one
-- transaction per load; see ref_dataset). Nothing else writes them.

-- Topic catalogue ---------------------------------------------------------------

CREATE TABLE ref_topics (
    code                  text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$'),
    label                 text NOT NULL CHECK (label <> ''),
    audience              text NOT NULL CHECK (audience IN ('operator', 'regional_referent', 'both')),
    requires_practice_ref boolean NOT NULL,
    position              integer NOT NULL
);

-- Sub-topics (benefits) of a topic; the same benefit code may appear under several topics.
CREATE TABLE ref_subtopics (
    topic_code  text NOT NULL REFERENCES ref_topics (code),
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$'),
    label       text NOT NULL CHECK (label <> ''),
    position    integer NOT NULL,
    PRIMARY KEY (topic_code, code)
);

-- INPS territory ------------------------------------------------------------------

-- The 20 regional directorates and the 3 metropolitan coordination directorates
-- (DCM Milano, Napoli, Roma), which INPS counts as regions.
CREATE TABLE ref_regions (
    code  text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,16}$'),
    name  text NOT NULL CHECK (name <> ''),
    kind  text NOT NULL CHECK (kind IN ('regione', 'dcm'))
);

CREATE TABLE ref_sedi (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{4,8}$'),
    name         text NOT NULL CHECK (name <> ''),
    kind         text NOT NULL CHECK (kind IN ('direzione_regionale', 'direzione_provinciale',
                                               'filiale', 'agenzia', 'cric', 'polo')),
    region_code  text NOT NULL REFERENCES ref_regions (code),
    -- Province sigla ("RM"); NULL for structures without one.
    province     text CHECK (province ~ '^[A-Z]{2}$'),
    city         text,
    address      text,
    -- The structure this one depends on (an agenzia on its direzione provinciale).
    parent_code  text REFERENCES ref_sedi (code),
    active       boolean NOT NULL DEFAULT true
);
CREATE INDEX ref_sedi_region ON ref_sedi (region_code, kind);
CREATE INDEX ref_sedi_province ON ref_sedi (province);

-- Competent sede by CAP prefix: the longest prefix of a CAP that has a row wins.
CREATE TABLE ref_cap_routes (
    cap_prefix  text PRIMARY KEY CHECK (cap_prefix ~ '^[0-9]{1,5}$'),
    sede_code   text NOT NULL REFERENCES ref_sedi (code)
);

-- Topics handled by a specialised hub ("Polo") instead of the CAP's sede. The
-- topic code is a topic or a sub-topic (benefit) code of the catalogue. A row
-- with a region applies to CAPs routed to that region and wins over the
-- national row (region NULL).
CREATE TABLE ref_topic_hubs (
    topic_code   text NOT NULL,
    region_code  text REFERENCES ref_regions (code),
    sede_code    text NOT NULL REFERENCES ref_sedi (code)
);
CREATE UNIQUE INDEX ref_topic_hubs_key ON ref_topic_hubs (topic_code, coalesce(region_code, ''));

-- Citizens, practices, mandates ----------------------------------------------------

CREATE TABLE ref_citizens (
    -- As written (omocodia letters kept).
    codice_fiscale  text PRIMARY KEY CHECK (codice_fiscale ~ '^[A-Z0-9]{16}$'),
    -- The code every omocodia variant collapses to: the look-up key.
    base_code       text NOT NULL CHECK (base_code ~ '^[A-Z0-9]{16}$'),
    surname         text NOT NULL,
    name            text NOT NULL,
    birth_date      date NOT NULL,
    birth_place     text,
    sex             text NOT NULL CHECK (sex IN ('male', 'female')),
    -- Postcode of residence.
    cap             text NOT NULL CHECK (cap ~ '^[0-9]{5}$')
);
CREATE INDEX ref_citizens_base_code ON ref_citizens (base_code);
CREATE INDEX ref_citizens_personal_data ON ref_citizens (upper(surname), upper(name), birth_date);

-- Practices ("pratiche") by reference kind and value, and whose they are. The
-- kinds are the serde names of domain::ids::PracticeRefKind.
CREATE TABLE ref_practices (
    kind            text NOT NULL CHECK (kind IN ('protocollo', 'domus', 'pensione',
                                                  'domanda_rdc', 'domanda_rem')),
    value           text NOT NULL CHECK (value ~ '^[A-Z0-9/.-]{1,40}$'),
    codice_fiscale  text NOT NULL REFERENCES ref_citizens (codice_fiscale),
    PRIMARY KEY (kind, value)
);
CREATE INDEX ref_practices_cf ON ref_practices (codice_fiscale);

-- Pensions on which a patronato holds a mandate (without one it may not ask about it).
CREATE TABLE ref_pension_mandates (
    pension     text NOT NULL,
    patronato   text NOT NULL,
    kind        text NOT NULL DEFAULT 'pensione' CHECK (kind = 'pensione'),
    PRIMARY KEY (pension, patronato),
    FOREIGN KEY (kind, pension) REFERENCES ref_practices (kind, value)
);

-- What was loaded: one row per reference file, so a reload of unchanged files
-- is a no-op and every load is traceable to a version and checksum.
CREATE TABLE ref_dataset (
    name       text PRIMARY KEY,
    version    text NOT NULL,
    -- Lower-case hex SHA-256 of the file's bytes.
    checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    row_count  integer NOT NULL CHECK (row_count >= 0),
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
