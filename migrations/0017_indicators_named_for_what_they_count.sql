-- Indicators named for what they count (issue 22, docs/analytics.md §1,
-- decisions S1–S3):
--   * `appointments` counted requests on which the sede ENABLED booking: it is
--     renamed `appointments_enabled`; `appointments_booked` (new) counts the
--     appointments booked on the requests and not cancelled (+1 a booking,
--     −1 its cancellation).
--   * the share replied within 15 days is taken over the requests that are at
--     least 15 × 24 h old at the instant asked (a younger request is not yet in
--     the denominator, an older one without a timely reply counts against).
--     That instant moves, so nothing new is stored for it: the fully elapsed
--     days come from stat_daily (sent, replied_within_15d), the one day the
--     instant cuts in two from stat_requests (its index on sent_day).
--
-- The existing stat_daily rows have appointments_booked = 0: run
-- `combipat rebuild statistics` once after this migration to count the
-- bookings already in the log (docs/operations.md).

ALTER TABLE stat_daily RENAME COLUMN appointments TO appointments_enabled;
ALTER TABLE stat_daily ADD COLUMN appointments_booked integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN stat_daily.appointments_enabled IS
    'Requests on which the sede enabled appointment booking ("abilita appuntamento").';
COMMENT ON COLUMN stat_daily.appointments_booked IS
    'Appointments booked on the requests and not cancelled.';

-- The analysts' functions change their columns: drop the views over them,
-- then the functions, and create them again.
DROP VIEW analytics.indicatori_sede_mese;
DROP VIEW analytics.indicatori_regione_mese;
DROP VIEW analytics.indicatori_patronato_mese;
DROP FUNCTION analytics.indicatori_mese(text);
DROP FUNCTION analytics.indicatori(text, date, date, text, text);

-- Per key of a dimension: requests sent between two days at least 15 × 24 h
-- before p_alle, and of those the ones whose first reply came within
-- 15 × 24 h. Days wholly before the cutoff's Europe/Rome day from
-- stat_daily; the cutoff's own day from stat_requests.
CREATE FUNCTION analytics.eta_15_giorni(
    p_dimensione text, p_dal date, p_al date, p_alle timestamptz,
    p_argomento text DEFAULT NULL, p_sottoargomento text DEFAULT NULL)
RETURNS TABLE (chiave text, patronato text, di_almeno_15_giorni bigint, entro_15_giorni bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH cut AS (
        SELECT p_alle - interval '360 hours' AS at,
               ((p_alle - interval '360 hours') AT TIME ZONE 'Europe/Rome')::date AS day
    ), whole AS (
        SELECT d.key, d.patronato, sum(d.sent) AS aged, sum(d.replied_within_15d) AS within
        FROM public.stat_daily d, cut
        WHERE d.dimension = p_dimensione AND d.day < cut.day
          AND (p_dal IS NULL OR d.day >= p_dal) AND (p_al IS NULL OR d.day <= p_al)
          AND (p_argomento IS NULL OR d.topic = p_argomento)
          AND (p_sottoargomento IS NULL OR d.subtopic = p_sottoargomento)
        GROUP BY d.key, d.patronato
    ), part AS (
        SELECT CASE p_dimensione WHEN 'user' THEN r.created_by WHEN 'office' THEN r.office
                                 WHEN 'patronato' THEN r.patronato WHEN 'sede' THEN r.origin_sede
                                 ELSE r.origin_region END AS key,
               CASE WHEN p_dimensione IN ('sede', 'region') THEN '' ELSE r.patronato END AS patronato,
               count(*) AS aged,
               count(*) FILTER (WHERE r.first_reply_at <= r.sent_at + interval '360 hours') AS within
        FROM public.stat_requests r, cut
        WHERE r.sent_day = cut.day AND r.sent_at <= cut.at
          AND (p_dal IS NULL OR r.sent_day >= p_dal) AND (p_al IS NULL OR r.sent_day <= p_al)
          AND (p_argomento IS NULL OR r.topic = p_argomento)
          AND (p_sottoargomento IS NULL OR r.subtopic = p_sottoargomento)
        GROUP BY 1, 2
    )
    SELECT key, patronato, sum(aged)::bigint, sum(within)::bigint
    FROM (SELECT * FROM whole UNION ALL SELECT * FROM part) AS x
    GROUP BY key, patronato
$$;

-- Indicators per key of a dimension over the requests SENT between two days
-- (inclusive; NULL = open), optionally of one topic / sub-topic, measured at
-- p_alle (default now). Quantiles from the histograms (docs/analytics.md §3).
CREATE FUNCTION analytics.indicatori(
    p_dimensione text, p_dal date, p_al date,
    p_argomento text DEFAULT NULL, p_sottoargomento text DEFAULT NULL,
    p_alle timestamptz DEFAULT now())
RETURNS TABLE (
    dimensione text, chiave text, patronato text,
    inviate bigint, con_risposta bigint, in_attesa bigint,
    di_almeno_15_giorni bigint, risposte_entro_15_giorni bigint,
    quota_entro_15_giorni double precision,
    solleciti bigint, inoltri bigint, inoltri_ricevuti bigint, inoltri_inviati bigint,
    appuntamenti_abilitati bigint, appuntamenti_prenotati bigint, chiuse bigint,
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
               sum(sent) AS sent, sum(replied) AS replied,
               sum(reply_ms_sum) AS ms, sum(solleciti) AS solleciti, sum(forwarded) AS fwd,
               sum(forwarded_in) AS fin, sum(forwarded_out) AS fout,
               sum(appointments_enabled) AS app_on, sum(appointments_booked) AS app_booked,
               sum(closed) AS closed
        FROM r GROUP BY key, patronato
    ), h AS (
        SELECT key, patronato, jsonb_object_agg(bucket, n) AS hist
        FROM (SELECT key, patronato, b.bucket, sum(b.n::bigint) AS n
              FROM r CROSS JOIN LATERAL jsonb_each_text(r.reply_hist) AS b(bucket, n)
              GROUP BY 1, 2, 3) AS x
        GROUP BY key, patronato
    ), a AS (
        SELECT * FROM analytics.eta_15_giorni(p_dimensione, p_dal, p_al, p_alle,
                                              p_argomento, p_sottoargomento)
    )
    SELECT p_dimensione, c.key, c.patronato,
           c.sent::bigint, c.replied::bigint, (c.sent - c.replied)::bigint,
           coalesce(a.di_almeno_15_giorni, 0), coalesce(a.entro_15_giorni, 0),
           CASE WHEN a.di_almeno_15_giorni > 0
                THEN a.entro_15_giorni::double precision / a.di_almeno_15_giorni END,
           c.solleciti::bigint, c.fwd::bigint, c.fin::bigint, c.fout::bigint,
           c.app_on::bigint, c.app_booked::bigint, c.closed::bigint,
           CASE WHEN c.replied > 0 THEN c.ms::double precision / c.replied / 3600000.0 END,
           analytics.hist_percentile(h.hist, 0.5),
           analytics.hist_percentile(h.hist, 0.9)
    FROM c
    LEFT JOIN h ON h.key = c.key AND h.patronato = c.patronato
    LEFT JOIN a ON a.chiave = c.key AND a.patronato = c.patronato
    ORDER BY c.key, c.patronato
$$;

-- Indicators per month of sending for one dimension (all history), measured now.
CREATE FUNCTION analytics.indicatori_mese(p_dimensione text)
RETURNS TABLE (
    mese date, chiave text, patronato text,
    inviate bigint, con_risposta bigint, in_attesa bigint,
    di_almeno_15_giorni bigint, risposte_entro_15_giorni bigint,
    quota_entro_15_giorni double precision,
    solleciti bigint, inoltri bigint, inoltri_ricevuti bigint, inoltri_inviati bigint,
    appuntamenti_abilitati bigint, appuntamenti_prenotati bigint, chiuse bigint,
    media_ore double precision, mediana_ore double precision, p90_ore double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.mese, i.chiave, i.patronato, i.inviate, i.con_risposta, i.in_attesa,
           i.di_almeno_15_giorni, i.risposte_entro_15_giorni, i.quota_entro_15_giorni,
           i.solleciti, i.inoltri, i.inoltri_ricevuti, i.inoltri_inviati,
           i.appuntamenti_abilitati, i.appuntamenti_prenotati, i.chiuse,
           i.media_ore, i.mediana_ore, i.p90_ore
    FROM (SELECT DISTINCT date_trunc('month', day)::date AS mese
          FROM public.stat_daily WHERE dimension = p_dimensione) AS m
    CROSS JOIN LATERAL analytics.indicatori(
        p_dimensione, m.mese, (m.mese + interval '1 month' - interval '1 day')::date) AS i
$$;

CREATE VIEW analytics.indicatori_sede_mese AS
    SELECT mese, chiave AS sede, inviate, con_risposta, in_attesa, di_almeno_15_giorni,
           risposte_entro_15_giorni, quota_entro_15_giorni, solleciti, inoltri,
           inoltri_ricevuti, inoltri_inviati, appuntamenti_abilitati, appuntamenti_prenotati,
           chiuse, media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('sede');
COMMENT ON VIEW analytics.indicatori_sede_mese IS
    'Indicatori per sede di destinazione e mese di invio (quota entro 15 giorni sulle richieste di almeno 15 giorni, misurata adesso).';

CREATE VIEW analytics.indicatori_regione_mese AS
    SELECT mese, chiave AS regione, inviate, con_risposta, in_attesa, di_almeno_15_giorni,
           risposte_entro_15_giorni, quota_entro_15_giorni, solleciti, inoltri,
           inoltri_ricevuti, inoltri_inviati, appuntamenti_abilitati, appuntamenti_prenotati,
           chiuse, media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('region');
COMMENT ON VIEW analytics.indicatori_regione_mese IS
    'Indicatori per regione (o DCM) della sede di destinazione e mese di invio.';

CREATE VIEW analytics.indicatori_patronato_mese AS
    SELECT mese, chiave AS patronato, inviate, con_risposta, in_attesa, di_almeno_15_giorni,
           risposte_entro_15_giorni, quota_entro_15_giorni, solleciti, inoltri,
           appuntamenti_abilitati, appuntamenti_prenotati, chiuse,
           media_ore, mediana_ore, p90_ore
    FROM analytics.indicatori_mese('patronato');
COMMENT ON VIEW analytics.indicatori_patronato_mese IS 'Indicatori per patronato e mese di invio.';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA analytics FROM PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO combipat_analyst;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA analytics TO combipat_analyst;
