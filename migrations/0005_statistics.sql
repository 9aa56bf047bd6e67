-- Statistics (SPEC §2.7, seed 001 §3 and §5): the read tables of projection
-- `statistics` (projections/src/statistics/) and the analysts' schema
-- `analytics` with its read-only role. Design and precision: docs/analytics.md.
--
-- The three stat_* tables follow the rules of every read table (0003): no
-- sequences, no foreign keys, no views on them — `combipat rebuild statistics`
-- drops and swaps them. The analysts' views therefore never name them: they
-- read them through SECURITY DEFINER functions whose bodies are plain text
-- (no dependency is recorded), so a rebuild swaps the tables under them.

-- ---------------------------------------------------------------------------
-- Projection `statistics`: stat_requests, stat_daily, stat_flows.
-- ---------------------------------------------------------------------------

-- One row per request: the attributes it is counted under (fixed at sending:
-- creator, office, patronato, topic, destination sede and its region), its
-- first reply, and where it is now. Exact pending/overdue counts and exact
-- percentiles of small cohorts are read here.
CREATE TABLE stat_requests (
    request_id       uuid PRIMARY KEY,
    sent_at          timestamptz NOT NULL,
    -- Europe/Rome calendar day of sent_at
    sent_day         date NOT NULL,
    topic            text NOT NULL,
    -- '' when the request has no sub-topic
    subtopic         text NOT NULL,
    patronato        text NOT NULL,
    office           text NOT NULL,
    created_by       text NOT NULL,
    -- destination at sending, and its region (ref_sedi.region_code; 'ND' if unknown)
    origin_sede      text NOT NULL,
    origin_region    text NOT NULL,
    -- where the request is now (after forwards)
    current_sede     text NOT NULL,
    current_region   text NOT NULL,
    first_reply_at   timestamptz,
    -- first_reply_at − sent_at, in seconds (microsecond precision)
    reply_seconds    double precision,
    solleciti        integer NOT NULL DEFAULT 0,
    forwards         integer NOT NULL DEFAULT 0,
    appointment_enabled boolean NOT NULL DEFAULT false,
    closed_at        timestamptz,
    -- stream version of the last event applied (idempotent re-application)
    version          integer NOT NULL
);
CREATE INDEX stat_requests_user ON stat_requests (created_by, sent_day);
CREATE INDEX stat_requests_office ON stat_requests (office, sent_day);
CREATE INDEX stat_requests_patronato ON stat_requests (patronato, sent_day);
CREATE INDEX stat_requests_sede ON stat_requests (origin_sede, sent_day);
CREATE INDEX stat_requests_region ON stat_requests (origin_region, sent_day);
CREATE INDEX stat_requests_day ON stat_requests (sent_day);
-- The backlog (requests without a reply) by age: "overdue" at any instant.
CREATE INDEX stat_requests_unreplied ON stat_requests (sent_at) WHERE first_reply_at IS NULL;

-- Daily pre-aggregates per dimension: one row per (dimension, key, Europe/Rome
-- day of SENDING, topic, sub-topic). Every counter is about the requests sent
-- that day under that key (a cohort), whenever the counted event happened:
-- a reply on day 20 to a request of day 3 increments day 3's row.
CREATE TABLE stat_daily (
    -- user | office | patronato | sede | region
    dimension            text NOT NULL CHECK (dimension IN ('user', 'office', 'patronato', 'sede', 'region')),
    key                  text NOT NULL,
    -- the patronato of the key for user/office/patronato rows ('' for sede/region),
    -- so that an administrator's scope is one equality
    patronato            text NOT NULL,
    day                  date NOT NULL,
    topic                text NOT NULL,
    subtopic             text NOT NULL,
    sent                 integer NOT NULL DEFAULT 0,
    -- requests with at least one reply (first replies)
    replied              integer NOT NULL DEFAULT 0,
    -- first reply at most 15 × 24 h after sending
    replied_within_15d   integer NOT NULL DEFAULT 0,
    -- sum of the first-reply times, milliseconds (for the mean)
    reply_ms_sum         bigint NOT NULL DEFAULT 0,
    -- first-reply times as a histogram: {"<bucket>": count}; bucket 0 is
    -- [0, 60 s), bucket i >= 1 is [60·1.05^(i-1), 60·1.05^i) seconds
    reply_hist           jsonb NOT NULL DEFAULT '{}',
    solleciti            integer NOT NULL DEFAULT 0,
    -- forwards of the key's requests (whoever forwarded them)
    forwarded            integer NOT NULL DEFAULT 0,
    -- sede/region rows only: forwards into / out of the key (any request,
    -- counted on the forwarded request's sending day)
    forwarded_in         integer NOT NULL DEFAULT 0,
    forwarded_out        integer NOT NULL DEFAULT 0,
    -- requests on which the sede enabled appointment booking
    appointments         integer NOT NULL DEFAULT 0,
    closed               integer NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, key, day, topic, subtopic, patronato)
);
-- Every key of a dimension over a period (analysts), optionally one patronato's.
CREATE INDEX stat_daily_period ON stat_daily (dimension, day, patronato);

-- Flows per Europe/Rome day of the EVENT and sede: the communications a sede
-- received and sent that day (seed 003, "in entrata / in uscita").
CREATE TABLE stat_flows (
    day                        date NOT NULL,
    sede                       text NOT NULL,
    -- ref_sedi.region_code of the sede ('ND' if unknown)
    region                     text NOT NULL,
    -- new requests addressed to the sede
    requests_in                integer NOT NULL DEFAULT 0,
    -- follow-up messages of the patronati to the sede holding the request
    messages_in                integer NOT NULL DEFAULT 0,
    solleciti_in               integer NOT NULL DEFAULT 0,
    -- replies sent by the sede (every reply, not only first ones)
    replies_out                integer NOT NULL DEFAULT 0,
    forwarded_in               integer NOT NULL DEFAULT 0,
    forwarded_out              integer NOT NULL DEFAULT 0,
    -- of which between sedi of different regions
    forwarded_in_other_region  integer NOT NULL DEFAULT 0,
    forwarded_out_other_region integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sede)
);
CREATE INDEX stat_flows_region ON stat_flows (region, day);

-- ---------------------------------------------------------------------------
-- Schema `analytics`: what analysts read with plain SQL (docs/analytics.md).
-- ---------------------------------------------------------------------------

CREATE SCHEMA analytics;
COMMENT ON SCHEMA analytics IS
    'Statistiche del canale patronati–sedi per gli analisti (sola lettura). Vedi docs/analytics.md.';

-- Histogram helpers (pure functions: no table, no privilege) -------------------

-- Lower and upper edge (seconds) of a histogram bucket.
CREATE FUNCTION analytics.hist_bucket_low(bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN bucket <= 0 THEN 0::double precision
                  ELSE 60 * power(1.05::double precision, bucket - 1) END $$;

CREATE FUNCTION analytics.hist_bucket_high(bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 60 * power(1.05::double precision, greatest(bucket, 0)) $$;

-- Sum of two histograms (and the state function of analytics.hist_sum).
CREATE FUNCTION analytics.hist_add(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
    FROM (SELECT k, sum(v::bigint) AS n
          FROM (SELECT key, value FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
                UNION ALL
                SELECT key, value FROM jsonb_each_text(coalesce(b, '{}'::jsonb))) AS e(k, v)
          GROUP BY k) AS s
$$;

-- Aggregate: the histogram of a set of rows (SELECT analytics.hist_sum(reply_hist) …).
CREATE AGGREGATE analytics.hist_sum(jsonb) (
    SFUNC = analytics.hist_add,
    STYPE = jsonb,
    INITCOND = '{}'
);

-- The p-quantile (0..1) of a histogram, in HOURS, interpolated like
-- percentile_cont: rank p·(n−1); the c values of a bucket are taken evenly
-- spread at its midpoints. Same algorithm as projections/src/statistics/histogram.rs.
CREATE FUNCTION analytics.hist_percentile(hist jsonb, p double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    n       bigint;
    rank    double precision;
    k0      bigint;
    k1      bigint;
    v0      double precision;
    v1      double precision;
    seen    bigint := 0;
    b       record;
BEGIN
    SELECT sum(value::bigint) INTO n FROM jsonb_each_text(coalesce(hist, '{}'::jsonb));
    IF n IS NULL OR n = 0 OR p IS NULL OR p < 0 OR p > 1 THEN
        RETURN NULL;
    END IF;
    rank := p * (n - 1);
    k0 := floor(rank)::bigint;
    k1 := ceil(rank)::bigint;
    FOR b IN SELECT key::integer AS bucket, value::bigint AS c
             FROM jsonb_each_text(hist) ORDER BY key::integer LOOP
        CONTINUE WHEN b.c <= 0;
        IF v0 IS NULL AND k0 < seen + b.c THEN
            v0 := analytics.hist_bucket_low(b.bucket)
                + ((k0 - seen) + 0.5) / b.c
                  * (analytics.hist_bucket_high(b.bucket) - analytics.hist_bucket_low(b.bucket));
        END IF;
        IF v1 IS NULL AND k1 < seen + b.c THEN
            v1 := analytics.hist_bucket_low(b.bucket)
                + ((k1 - seen) + 0.5) / b.c
                  * (analytics.hist_bucket_high(b.bucket) - analytics.hist_bucket_low(b.bucket));
            EXIT;
        END IF;
        seen := seen + b.c;
    END LOOP;
    RETURN (v0 + (rank - k0) * (v1 - v0)) / 3600.0;
END;
$$;

-- Reference data (not projection tables: plain views are fine) ----------------

CREATE VIEW analytics.regioni AS
    SELECT code AS regione, name AS nome, kind AS tipo FROM public.ref_regions;
COMMENT ON VIEW analytics.regioni IS
    'Le 20 direzioni regionali e le 3 direzioni di coordinamento metropolitano (tipo = dcm).';

CREATE VIEW analytics.sedi AS
    SELECT code AS sede, name AS nome, kind AS tipo, region_code AS regione,
           province AS provincia, city AS citta, active AS attiva
    FROM public.ref_sedi;
COMMENT ON VIEW analytics.sedi IS 'Sedi INPS e la regione (o DCM) a cui appartengono.';

-- Readers of the projection tables (SECURITY DEFINER, text bodies) ------------

-- Per-region flows between two Europe/Rome days (inclusive): the shape of
-- seed 003's tables. Every region is listed, with zeros when it had nothing.
CREATE FUNCTION analytics.richieste_per_regione(p_dal date, p_al date)
RETURNS TABLE (
    regione text, nome text, tipo text,
    richieste bigint, in_entrata bigint, in_uscita bigint,
    messaggi bigint, solleciti bigint, risposte bigint,
    inoltri_ricevuti_da_altra_regione bigint, inoltri_verso_altra_regione bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH f AS (
        SELECT region,
               sum(requests_in) AS richieste,
               sum(messages_in) AS messaggi,
               sum(solleciti_in) AS solleciti,
               sum(replies_out) AS risposte,
               sum(forwarded_in_other_region) AS fin,
               sum(forwarded_out_other_region) AS fout
        FROM public.stat_flows
        WHERE (p_dal IS NULL OR day >= p_dal) AND (p_al IS NULL OR day <= p_al)
        GROUP BY region
    ), r AS (
        SELECT code, name, kind FROM public.ref_regions
        UNION ALL
        SELECT f.region, 'Non determinata', 'nd' FROM f
        WHERE NOT EXISTS (SELECT 1 FROM public.ref_regions x WHERE x.code = f.region)
    )
    SELECT r.code, r.name, r.kind,
           coalesce(f.richieste, 0)::bigint,
           coalesce(f.richieste + f.messaggi + f.solleciti, 0)::bigint,
           coalesce(f.risposte, 0)::bigint,
           coalesce(f.messaggi, 0)::bigint,
           coalesce(f.solleciti, 0)::bigint,
           coalesce(f.risposte, 0)::bigint,
           coalesce(f.fin, 0)::bigint,
           coalesce(f.fout, 0)::bigint
    FROM r LEFT JOIN f ON f.region = r.code
    ORDER BY CASE r.kind WHEN 'regione' THEN 0 WHEN 'dcm' THEN 1 ELSE 2 END, r.name
$$;

-- Flows per region and month (every month with activity).
CREATE FUNCTION analytics.flussi_regione_mese()
RETURNS TABLE (
    mese date, regione text,
    richieste bigint, in_entrata bigint, in_uscita bigint,
    messaggi bigint, solleciti bigint, risposte bigint,
    inoltri_ricevuti_da_altra_regione bigint, inoltri_verso_altra_regione bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT date_trunc('month', day)::date, region,
           sum(requests_in)::bigint,
           sum(requests_in + messages_in + solleciti_in)::bigint,
           sum(replies_out)::bigint,
           sum(messages_in)::bigint, sum(solleciti_in)::bigint, sum(replies_out)::bigint,
           sum(forwarded_in_other_region)::bigint, sum(forwarded_out_other_region)::bigint
    FROM public.stat_flows
    GROUP BY 1, 2
$$;

-- Indicators per key of a dimension over the requests SENT between two days
-- (inclusive; NULL = open), optionally for one topic / sub-topic. Percentiles
-- come from the histograms (see docs/analytics.md for their precision);
-- "in_attesa" is sent − replied now; overdue needs the instant and is in the
-- HTTP API (or: analytics.in_ritardo). The histograms are expanded once and
-- summed per bucket (hist_sum over many rows is slower).
CREATE FUNCTION analytics.indicatori(
    p_dimensione text, p_dal date, p_al date,
    p_argomento text DEFAULT NULL, p_sottoargomento text DEFAULT NULL)
RETURNS TABLE (
    dimensione text, chiave text, patronato text,
    inviate bigint, con_risposta bigint, in_attesa bigint,
    risposte_entro_15_giorni bigint, quota_entro_15_giorni double precision,
    solleciti bigint, inoltri bigint, inoltri_ricevuti bigint, inoltri_inviati bigint,
    appuntamenti bigint, chiuse bigint,
    media_ore double precision, mediana_ore double precision, p90_ore double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS (
        SELECT * FROM public.stat_daily
        WHERE dimension = p_dimensione
          AND (p_dal IS NULL OR day >= p_dal) AND (p_al IS NULL OR day <= p_al)
          AND (p_argomento IS NULL OR topic = p_argomento)
          AND (p_sottoargomento IS NULL OR subtopic = p_sottoargomento)
    ), c AS (
        SELECT key, patronato,
               sum(sent) AS sent, sum(replied) AS replied, sum(replied_within_15d) AS within,
               sum(reply_ms_sum) AS ms, sum(solleciti) AS solleciti, sum(forwarded) AS fwd,
               sum(forwarded_in) AS fin, sum(forwarded_out) AS fout,
               sum(appointments) AS app, sum(closed) AS closed
        FROM r GROUP BY key, patronato
    ), h AS (
        SELECT key, patronato, jsonb_object_agg(bucket, n) AS hist
        FROM (SELECT key, patronato, b.bucket, sum(b.n::bigint) AS n
              FROM r CROSS JOIN LATERAL jsonb_each_text(r.reply_hist) AS b(bucket, n)
              GROUP BY 1, 2, 3) AS x
        GROUP BY key, patronato
    )
    SELECT p_dimensione, c.key, c.patronato,
           c.sent::bigint, c.replied::bigint, (c.sent - c.replied)::bigint,
           c.within::bigint,
           CASE WHEN c.replied > 0 THEN c.within::double precision / c.replied END,
           c.solleciti::bigint, c.fwd::bigint, c.fin::bigint, c.fout::bigint,
           c.app::bigint, c.closed::bigint,
           CASE WHEN c.replied > 0 THEN c.ms::double precision / c.replied / 3600000.0 END,
           analytics.hist_percentile(h.hist, 0.5),
           analytics.hist_percentile(h.hist, 0.9)
    FROM c LEFT JOIN h ON h.key = c.key AND h.patronato = c.patronato
    ORDER BY c.key, c.patronato
$$;

-- Requests sent between two days still without a reply at instant p_alle and
-- sent more than 15 × 24 h before it, per key of a dimension.
CREATE FUNCTION analytics.in_ritardo(
    p_dimensione text, p_dal date, p_al date, p_alle timestamptz DEFAULT now())
RETURNS TABLE (dimensione text, chiave text, in_ritardo bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_dimensione,
           CASE p_dimensione WHEN 'user' THEN created_by WHEN 'office' THEN office
                             WHEN 'patronato' THEN patronato WHEN 'sede' THEN origin_sede
                             ELSE origin_region END,
           count(*)
    FROM public.stat_requests
    WHERE first_reply_at IS NULL
      AND sent_at < p_alle - interval '360 hours'
      AND (p_dal IS NULL OR sent_day >= p_dal) AND (p_al IS NULL OR sent_day <= p_al)
    GROUP BY 2
$$;

-- Indicators per month of sending for one dimension (all history).
CREATE FUNCTION analytics.indicatori_mese(p_dimensione text)
RETURNS TABLE (
    mese date, chiave text, patronato text,
    inviate bigint, con_risposta bigint, in_attesa bigint,
    risposte_entro_15_giorni bigint, solleciti bigint, inoltri bigint,
    inoltri_ricevuti bigint, inoltri_inviati bigint, appuntamenti bigint, chiuse bigint,
    media_ore double precision, mediana_ore double precision, p90_ore double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS (
        SELECT date_trunc('month', day)::date AS month, * FROM public.stat_daily
        WHERE dimension = p_dimensione
    ), c AS (
        SELECT month, key, patronato,
               sum(sent) AS sent, sum(replied) AS replied, sum(replied_within_15d) AS within,
               sum(reply_ms_sum) AS ms, sum(solleciti) AS solleciti, sum(forwarded) AS fwd,
               sum(forwarded_in) AS fin, sum(forwarded_out) AS fout,
               sum(appointments) AS app, sum(closed) AS closed
        FROM r GROUP BY month, key, patronato
    ), h AS (
        SELECT month, key, patronato, jsonb_object_agg(bucket, n) AS hist
        FROM (SELECT month, key, patronato, b.bucket, sum(b.n::bigint) AS n
              FROM r CROSS JOIN LATERAL jsonb_each_text(r.reply_hist) AS b(bucket, n)
              GROUP BY 1, 2, 3, 4) AS x
        GROUP BY month, key, patronato
    )
    SELECT c.month, c.key, c.patronato,
           c.sent::bigint, c.replied::bigint, (c.sent - c.replied)::bigint,
           c.within::bigint, c.solleciti::bigint, c.fwd::bigint,
           c.fin::bigint, c.fout::bigint, c.app::bigint, c.closed::bigint,
           CASE WHEN c.replied > 0 THEN c.ms::double precision / c.replied / 3600000.0 END,
           analytics.hist_percentile(h.hist, 0.5),
           analytics.hist_percentile(h.hist, 0.9)
    FROM c LEFT JOIN h ON h.month = c.month AND h.key = c.key AND h.patronato = c.patronato
$$;

-- Views: stable names over the functions ---------------------------------------

CREATE VIEW analytics.richieste_regione_mese AS
    SELECT * FROM analytics.flussi_regione_mese();
COMMENT ON VIEW analytics.richieste_regione_mese IS
    'Richieste per regione e mese: richieste nuove, in entrata (richieste + messaggi + solleciti), in uscita (risposte), inoltri tra regioni.';

CREATE VIEW analytics.indicatori_sede_mese AS
    SELECT mese, chiave AS sede, inviate, con_risposta, in_attesa, risposte_entro_15_giorni,
           solleciti, inoltri, inoltri_ricevuti, inoltri_inviati, appuntamenti, chiuse,
           media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('sede');
COMMENT ON VIEW analytics.indicatori_sede_mese IS
    'Indicatori per sede di destinazione e mese di invio.';

CREATE VIEW analytics.indicatori_regione_mese AS
    SELECT mese, chiave AS regione, inviate, con_risposta, in_attesa, risposte_entro_15_giorni,
           solleciti, inoltri, inoltri_ricevuti, inoltri_inviati, appuntamenti, chiuse,
           media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('region');
COMMENT ON VIEW analytics.indicatori_regione_mese IS
    'Indicatori per regione (o DCM) della sede di destinazione e mese di invio.';

CREATE VIEW analytics.indicatori_patronato_mese AS
    SELECT mese, chiave AS patronato, inviate, con_risposta, in_attesa, risposte_entro_15_giorni,
           solleciti, inoltri, appuntamenti, chiuse, media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('patronato');
COMMENT ON VIEW analytics.indicatori_patronato_mese IS 'Indicatori per patronato e mese di invio.';

-- The read-only role --------------------------------------------------------------

-- Roles are cluster-wide: another database of the cluster (or a concurrent
-- migration) may have created it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'combipat_analyst') THEN
        CREATE ROLE combipat_analyst NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA analytics FROM PUBLIC;
GRANT USAGE ON SCHEMA analytics TO combipat_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO combipat_analyst;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA analytics TO combipat_analyst;
