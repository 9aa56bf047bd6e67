//! The per-region table of seed 003 ("in entrata / in uscita"), from
//! `stat_flows`.

use crate::ProjectionError;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

/// One region's row of the seed-003 table, over a period of EVENT days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct RegionTotals {
    /// `LAZ`, `DCM-RM`, …; `ND` for sedi missing from the reference data.
    pub region_code: String,
    pub region_name: String,
    /// `regione`, `dcm` (or `nd`).
    pub kind: String,
    /// "Totale richieste": new requests addressed to the region's sedi.
    pub requests: i64,
    /// "In entrata": requests + follow-up messages + solleciti received.
    pub incoming: i64,
    /// "In uscita": replies sent by the region's sedi.
    pub outgoing: i64,
    pub follow_up_messages: i64,
    pub solleciti: i64,
    pub replies: i64,
    /// Requests forwarded to the region from a sede of another region.
    pub forwarded_in_from_other_regions: i64,
    /// Requests forwarded from the region to a sede of another region.
    pub forwarded_out_to_other_regions: i64,
}

/// Every region (20 regioni, then the 3 DCM), with zeros where nothing
/// happened, between two Europe/Rome days of the events (both included).
pub async fn regional_totals(
    pool: &PgPool,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<RegionTotals>, ProjectionError> {
    // The same statement as analytics.richieste_per_regione (a test keeps
    // them equal); not called through it, so that the service needs no
    // privilege of the analysts' schema.
    let rows = sqlx::query_as(
        "WITH f AS ( \
           SELECT region, sum(requests_in) AS requests, sum(messages_in) AS messages, \
                  sum(solleciti_in) AS solleciti, sum(replies_out) AS replies, \
                  sum(forwarded_in_other_region) AS fin, sum(forwarded_out_other_region) AS fout \
           FROM stat_flows \
           WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2) \
           GROUP BY region \
         ), r AS ( \
           SELECT code, name, kind FROM ref_regions \
           UNION ALL \
           SELECT f.region, 'Non determinata', 'nd' FROM f \
           WHERE NOT EXISTS (SELECT 1 FROM ref_regions x WHERE x.code = f.region) \
         ) \
         SELECT r.code AS region_code, r.name AS region_name, r.kind, \
           coalesce(f.requests, 0)::bigint AS requests, \
           coalesce(f.requests + f.messages + f.solleciti, 0)::bigint AS incoming, \
           coalesce(f.replies, 0)::bigint AS outgoing, \
           coalesce(f.messages, 0)::bigint AS follow_up_messages, \
           coalesce(f.solleciti, 0)::bigint AS solleciti, \
           coalesce(f.replies, 0)::bigint AS replies, \
           coalesce(f.fin, 0)::bigint AS forwarded_in_from_other_regions, \
           coalesce(f.fout, 0)::bigint AS forwarded_out_to_other_regions \
         FROM r LEFT JOIN f ON f.region = r.code \
         ORDER BY CASE r.kind WHEN 'regione' THEN 0 WHEN 'dcm' THEN 1 ELSE 2 END, r.name",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// The sum of the rows ("Italia").
pub fn national_total(rows: &[RegionTotals]) -> RegionTotals {
    let mut t = RegionTotals {
        region_code: "IT".to_string(),
        region_name: "Italia".to_string(),
        kind: "italia".to_string(),
        requests: 0,
        incoming: 0,
        outgoing: 0,
        follow_up_messages: 0,
        solleciti: 0,
        replies: 0,
        forwarded_in_from_other_regions: 0,
        forwarded_out_to_other_regions: 0,
    };
    for r in rows {
        t.requests += r.requests;
        t.incoming += r.incoming;
        t.outgoing += r.outgoing;
        t.follow_up_messages += r.follow_up_messages;
        t.solleciti += r.solleciti;
        t.replies += r.replies;
        t.forwarded_in_from_other_regions += r.forwarded_in_from_other_regions;
        t.forwarded_out_to_other_regions += r.forwarded_out_to_other_regions;
    }
    t
}
