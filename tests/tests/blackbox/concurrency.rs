//! Concurrency: 50 concurrent commands on one request leave a contiguous
//! stream with nothing lost or duplicated; 50 concurrent creations get 50
//! distinct, contiguous protocol numbers.

use combipat_tests::{pdf, who, Resp, TestApp};
use futures::future::join_all;
use serde_json::json;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashSet};

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const NICOLO: &str = "DNGNCL90B28G273B";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    AddAttachment,
    TakeInCharge,
    EnableAppointment,
    Reply,
}

impl Kind {
    /// The rule refusals this command may legitimately meet in the race.
    fn refusal(self) -> &'static str {
        match self {
            Kind::AddAttachment => "too_many_attachments",
            Kind::TakeInCharge => "already_in_charge",
            Kind::EnableAppointment => "appointment_already_enabled",
            Kind::Reply => "nothing_to_reply",
        }
    }

    fn event_type(self) -> &'static str {
        match self {
            Kind::AddAttachment => "AttachmentAdded",
            Kind::TakeInCharge => "TakenInCharge",
            Kind::EnableAppointment => "AppointmentEnabled",
            Kind::Reply => "ReplyReceived",
        }
    }
}

#[derive(sqlx::FromRow, Debug)]
struct Row {
    version: i32,
    position: i64,
    event_type: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_commands_on_one_request_lose_and_duplicate_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let ferri = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let bianchi = app.officer("uff.bianchi", "3201");
    let moretti = app.officer("uff.moretti", "3201");
    let created = app
        .create_request(&rossi, MARIO, "Requisiti NASpI, pratica contesa")
        .await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let path = |rest: &str| format!("/api/v1/requests/{id}{rest}");

    // 25 attachments (distinct files) interleaved with 25 sede commands:
    // 10 take-in-charge, 10 appointment enablements, 5 replies.
    let files: Vec<Vec<u8>> = (0..25).map(|i| pdf(&format!("documento {i}"))).collect();
    let sede_kinds: Vec<Kind> = (0..25)
        .map(|i| match i % 5 {
            0 | 2 => Kind::TakeInCharge,
            1 | 3 => Kind::EnableAppointment,
            _ => Kind::Reply,
        })
        .collect();
    let mut plan: Vec<(Kind, usize)> = vec![];
    for (i, sede_kind) in sede_kinds.into_iter().enumerate() {
        plan.push((Kind::AddAttachment, i));
        plan.push((sede_kind, i));
    }
    assert_eq!(plan.len(), 50);

    let calls = plan.iter().map(|&(kind, i)| {
        let (patronato, sede) = if i % 2 == 0 {
            (&rossi, &bianchi)
        } else {
            (&ferri, &moretti)
        };
        let files = &files;
        let path = &path;
        let app = &app;
        async move {
            let r: Resp = match kind {
                Kind::AddAttachment => {
                    app.upload(
                        patronato,
                        &path("/attachments"),
                        &format!("documento-{i}.pdf"),
                        files[i].clone(),
                    )
                    .await
                }
                Kind::TakeInCharge => app.post(sede, &path("/take-in-charge"), json!({})).await,
                Kind::EnableAppointment => {
                    app.post(sede, &path("/appointment-enablement"), json!({}))
                        .await
                }
                Kind::Reply => {
                    app.post(
                        sede,
                        &path("/replies"),
                        json!({"text": format!("Risposta {i}")}),
                    )
                    .await
                }
            };
            (kind, r)
        }
    });
    let answers = join_all(calls).await;

    // Every answer is a success, the rule's refusal, or a conflict; never a 500.
    let mut ok: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut conflicts: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut versions: Vec<(i64, i64)> = vec![];
    for (kind, r) in &answers {
        assert_ne!(r.status, 500, "{kind:?}: {r:?}");
        match r.status.as_u16() {
            200 => {
                *ok.entry(*kind).or_default() += 1;
                assert_eq!(r.body["request_id"], id.as_str());
                versions.push((
                    r.body["version"].as_i64().unwrap(),
                    r.body["position"].as_i64().unwrap(),
                ));
            }
            409 => {
                r.problem(409, "conflict");
                *conflicts.entry(*kind).or_default() += 1;
            }
            _ => r.problem(422, kind.refusal()),
        }
    }
    let count = |m: &BTreeMap<Kind, usize>, k: Kind| m.get(&k).copied().unwrap_or(0);

    // The stream: versions exactly 1..=N, a hash chain without a break.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT version, position, event_type, prev_hash, hash FROM events \
         WHERE stream_id = $1 ORDER BY version",
    )
    .bind(format!("request-{id}"))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let n = rows.len();
    assert_eq!(
        rows.iter().map(|r| r.version as usize).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>(),
        "versions must be contiguous"
    );
    assert_eq!(rows[0].event_type, "RequestSent");
    assert_eq!(rows[0].prev_hash, vec![0u8; 32]);
    for w in rows.windows(2) {
        assert_eq!(
            w[1].prev_hash, w[0].hash,
            "chain broken at {}",
            w[1].version
        );
    }
    let positions: HashSet<i64> = rows.iter().map(|r| r.position).collect();
    assert_eq!(positions.len(), n);

    // Every success is in the stream exactly once, and nothing else is.
    assert_eq!(versions.len(), n - 1, "successes {ok:?}, stream of {n}");
    let mut seen = BTreeSet::new();
    for (version, position) in &versions {
        assert!(seen.insert(*version), "version {version} answered twice");
        let row = &rows[(*version - 1) as usize];
        assert_eq!(row.position, *position, "version {version}");
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        (2..=n as i64).collect::<Vec<_>>()
    );
    for kind in [
        Kind::AddAttachment,
        Kind::TakeInCharge,
        Kind::EnableAppointment,
        Kind::Reply,
    ] {
        let in_stream = rows
            .iter()
            .filter(|r| r.event_type == kind.event_type())
            .count();
        assert_eq!(in_stream, count(&ok, kind), "{kind:?}");
    }

    // The rules held under the race.
    assert_eq!(count(&ok, Kind::TakeInCharge), 1, "{ok:?} {conflicts:?}");
    assert_eq!(
        count(&ok, Kind::EnableAppointment),
        1,
        "{ok:?} {conflicts:?}"
    );
    assert_eq!(count(&ok, Kind::Reply), 1, "{ok:?} {conflicts:?}");
    let adds = count(&ok, Kind::AddAttachment);
    assert!(
        adds == 10 || adds + count(&conflicts, Kind::AddAttachment) == 25,
        "10 attachments are held unless conflicts starved them: {ok:?} {conflicts:?}"
    );
    assert!(adds <= 10);
    assert_eq!(
        adds, 10,
        "exactly 10 attachments held: {ok:?} {conflicts:?}"
    );

    // And the read side agrees.
    let last = rows.last().unwrap().position;
    let detail = app
        .get(&rossi, &format!("{}?min_position={last}", path("")))
        .await
        .ok();
    assert_eq!(detail["request"]["version"], n as i64);
    assert_eq!(detail["request"]["attachments_count"], 10);
    assert_eq!(detail["attachments"].as_array().unwrap().len(), 10);
    let timeline = app.get(&rossi, &path("/timeline")).await.ok();
    assert_eq!(timeline.as_array().unwrap().len(), n);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_creations_get_fifty_contiguous_protocols(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let ferri = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let citizens = [MARIO, ANNA, NICOLO];
    let answers = join_all((0..50).map(|i| {
        let token = if i % 2 == 0 { &rossi } else { &ferri };
        let app = &app;
        async move {
            app.post(
                token,
                "/api/v1/requests",
                json!({
                    "codice_fiscale": citizens[i % 3],
                    "mandate_declared": true,
                    "topic": "requisiti_accesso",
                    "subtopic": "naspi",
                    "text": format!("Richiesta concorrente {i}"),
                }),
            )
            .await
        }
    }))
    .await;
    let mut protocols = BTreeSet::new();
    let mut ids = HashSet::new();
    let mut year = None;
    for r in &answers {
        assert_eq!(r.status, 201, "{r:?}");
        let protocol = r.body["protocol"].as_str().unwrap().to_string();
        let parts: Vec<&str> = protocol.split('.').collect();
        assert_eq!(parts[0], "INPS");
        assert_eq!(parts[1], "3201", "{protocol}");
        assert_eq!(*year.get_or_insert(parts[2].to_string()), parts[2]);
        assert!(
            protocols.insert(parts[3].parse::<u32>().unwrap()),
            "{protocol} twice"
        );
        assert!(ids.insert(r.body["request_id"].as_str().unwrap().to_string()));
        assert_eq!(r.body["version"], 1);
    }
    assert_eq!(
        protocols.into_iter().collect::<Vec<_>>(),
        (1..=50).collect::<Vec<u32>>(),
        "protocol sequence must be 1..=50 without gaps"
    );
    let year: i32 = year.unwrap().parse().unwrap();
    let last: i32 =
        sqlx::query_scalar("SELECT last FROM protocol_counters WHERE sede = '3201' AND year = $1")
            .bind(year)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(last, 50);
    assert_eq!(
        app.scalar("SELECT count(DISTINCT stream_id) FROM events WHERE event_type = 'RequestSent'")
            .await,
        50
    );
    assert_eq!(app.event_count().await, 50);
    // Protocols in the read side are unique too.
    let max = app.scalar("SELECT max(position) FROM events").await;
    app.wait_projections(max).await;
    assert_eq!(
        app.scalar("SELECT count(DISTINCT protocol) FROM request_summary")
            .await,
        50
    );
    app.stop().await;
}
