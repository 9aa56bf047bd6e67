//! The statistics fold a batch in memory: one event per batch and the whole
//! log in one batch must give the same rows.

use crate::common::*;
use chrono::Duration;
use domain::request::RequestEvent;
use projections::statistics::StatisticsProjection;
use sqlx::PgPool;

async fn statistics_tables(pool: &PgPool) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for (table, key) in [
        ("stat_requests", "request_id"),
        (
            "stat_daily",
            "dimension, key, patronato, day, topic, subtopic",
        ),
        ("stat_flows", "day, sede"),
    ] {
        let mut part: Vec<serde_json::Value> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY {key}"))
                .fetch_all(pool)
                .await
                .unwrap();
        rows.append(&mut part);
    }
    rows
}

#[sqlx::test(migrations = "../migrations")]
async fn one_event_per_batch_and_one_batch_for_the_whole_log_count_the_same(pool: PgPool) {
    sqlx::raw_sql(
        "INSERT INTO ref_regions (code, name, kind) VALUES ('LAZ', 'Lazio', 'regione'), \
           ('LOM', 'Lombardia', 'regione'); \
         INSERT INTO ref_sedi (code, name, kind, region_code) VALUES \
           ('ROMA01', 'Roma', 'agenzia', 'LAZ'), ('ROMA02', 'Roma Eur', 'agenzia', 'LAZ'), \
           ('MILA01', 'Milano', 'agenzia', 'LOM')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let message = |n: u8, at| RequestEvent::MessageSent {
        by: user("op1"),
        text: "Integrazione.".into(),
        attachments: vec![],
        interaction: n,
        at,
    };
    let sollecito = |n: u32, at| RequestEvent::SollecitoSent {
        by: user("op1"),
        number: n,
        at,
    };
    let enabled = |s: &str, at| RequestEvent::AppointmentEnabled {
        by: user("officer1"),
        sede: sede(s),
        at,
    };
    for i in 0..6i64 {
        let spec = Spec {
            at: t0() + Duration::hours(i * 7),
            office: if i % 2 == 0 { "ROMA1" } else { "ROMA2" },
            subtopic_label: if i % 3 == 0 { None } else { Some("NASpI") },
            ..Spec::default()
        };
        let start = spec.at;
        let events = vec![
            sent(&spec),
            reply("ROMA01", "Serve l'ISEE.", start + Duration::days(i * 4)),
            message(1, start + Duration::days(i * 4 + 1)),
            forwarded(
                "ROMA01",
                if i % 2 == 0 { "MILA01" } else { "ROMA02" },
                start + Duration::days(i * 4 + 2),
            ),
            reply(
                if i % 2 == 0 { "MILA01" } else { "ROMA02" },
                "Fatto.",
                start + Duration::days(i * 4 + 3),
            ),
            sollecito(1, start + Duration::days(30)),
            enabled("ROMA01", start + Duration::days(31)),
            enabled("ROMA01", start + Duration::days(32)),
            closed("ROMA01", start + Duration::days(33)),
            closed("ROMA01", start + Duration::days(34)),
        ];
        append_events(&pool, spec.id, &events).await;
    }
    // One event per batch, up to the log's end (an idle answer may only
    // mean that another test's transaction holds the readable horizon back).
    let applied = projections::run_until_idle_in_batches(&pool, &StatisticsProjection, 1)
        .await
        .unwrap();
    assert_eq!(applied, 6 * 10);
    let one_by_one = statistics_tables(&pool).await;
    let replied: i64 = sqlx::query_scalar(
        "SELECT sum(replied)::bigint FROM stat_daily WHERE dimension = 'patronato'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(replied, 6);
    let other_region: i64 =
        sqlx::query_scalar("SELECT sum(forwarded_in_other_region)::bigint FROM stat_flows")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(other_region, 3);

    projections::rebuild::rebuild_with(&pool, &StatisticsProjection, 10_000)
        .await
        .unwrap();
    let all_at_once = statistics_tables(&pool).await;
    assert_eq!(one_by_one, all_at_once);
}
