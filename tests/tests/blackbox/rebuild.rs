//! Rebuilding every projection from the log gives back exactly the read
//! tables the live workers built, and the service keeps answering and
//! projecting afterwards.

use combipat_tests::{pdf, who, TestApp};
use domain::actor::Role;
use futures::future::join_all;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const NICOLO: &str = "DNGNCL90B28G273B";
const FRANCESCA: &str = "CLMFNC81L70F205M";

/// The read tables named by the brief; the projections must cover them all.
const READ_TABLES: [&str; 4] = [
    "request_summary",
    "request_timeline",
    "request_attachments",
    "recent_replies",
];

/// Every row of every read table, as JSON, in a fixed order.
pub(crate) async fn snapshot(pool: &PgPool) -> BTreeMap<String, Value> {
    let mut tables: Vec<&str> = projections::NAMES
        .iter()
        .flat_map(|name| {
            projections::by_name(pool, name)
                .unwrap_or_else(|| panic!("projection {name}"))
                .tables()
        })
        .copied()
        .collect();
    tables.sort_unstable();
    for t in READ_TABLES {
        assert!(tables.contains(&t), "{t} is not rebuilt by any projection");
    }
    let mut out = BTreeMap::new();
    for table in tables {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]'::jsonb) \
             FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.insert(table.to_string(), rows);
    }
    out
}

fn rows(snap: &BTreeMap<String, Value>, table: &str) -> usize {
    snap[table].as_array().unwrap().len()
}

async fn rebuild_all(app: &TestApp) {
    for name in projections::NAMES {
        let report = projections::rebuild_by_name(&app.pool, name)
            .await
            .unwrap_or_else(|e| panic!("rebuild {name}: {e}"));
        assert_eq!(report.projection, *name);
    }
}

fn diff(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) {
    for (table, rows) in before {
        assert_eq!(
            rows, &after[table],
            "table {table} differs after the rebuild"
        );
    }
    assert_eq!(before, after);
}

struct Scenario {
    /// Mario's request: attachments, conversation, forward, close.
    r1: String,
    /// Anna's request with a practice reference, replied to.
    r2: String,
}

/// A mixed history over HTTP: several requests, offices, patronati and sedi.
async fn drive(app: &TestApp) -> Scenario {
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let ferri = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let galli = app.operator("op.galli", who::OTHER_PATRONATO, "ACLI-MI01");
    let referent = app.token(
        Role::RegionalReferent,
        "ref.lazio",
        &[
            ("patronato", "INCA"),
            ("office", "INCA-LAZ"),
            ("region", "LAZ"),
        ],
    );
    let bianchi = app.officer("uff.bianchi", "3201");
    let eur = app.officer("uff.eur", "3202");
    let milano = app.officer("uff.milano", "3101");
    let cric = app.officer("uff.cric", "2290");
    let p = |id: &str, rest: &str| format!("/api/v1/requests/{id}{rest}");

    // R3: left unanswered; sollecito and appointment after 15 days. The clock
    // moves first, so that every reply below is within the home panel's 3 days.
    let r3 = app
        .create_request(&rossi, NICOLO, "Requisiti per l'assegno unico")
        .await["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.advance_days(16).await;

    // R1: attachments added and removed, a whole conversation, forward, close.
    let r1 = app
        .create_request(&rossi, MARIO, "Requisiti NASpI stagionali")
        .await["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..3 {
        app.upload(
            &rossi,
            &p(&r1, "/attachments"),
            &format!("allegato {i}.pdf"),
            pdf(&format!("r1 {i}")),
        )
        .await
        .ok();
    }
    let pos = app
        .upload(&rossi, &p(&r1, "/attachments"), "x.pdf", pdf("r1 x"))
        .await
        .ok()["position"]
        .as_i64()
        .unwrap();
    let detail = app
        .get(&rossi, &format!("{}?min_position={pos}", p(&r1, "")))
        .await
        .ok();
    let first_att = detail["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete(&rossi, &p(&r1, &format!("/attachments/{first_att}")))
        .await
        .ok();
    app.post(&bianchi, &p(&r1, "/take-in-charge"), json!({}))
        .await
        .ok();
    let circolare = app
        .upload(
            &bianchi,
            "/api/v1/uploads",
            "circolare.pdf",
            pdf("circolare"),
        )
        .await;
    assert_eq!(circolare.status, 201, "{circolare:?}");
    app.post(
        &bianchi,
        &p(&r1, "/replies"),
        json!({"text": "Vedi circolare allegata.", "attachments": [circolare.body["id"]]}),
    )
    .await
    .ok();
    let nota = app
        .upload(&rossi, "/api/v1/uploads", "nota.pdf", pdf("nota"))
        .await;
    app.post(
        &rossi,
        &p(&r1, "/messages"),
        json!({"text": "E per gli stagionali agricoli?", "attachments": [nota.body["id"]]}),
    )
    .await
    .ok();
    app.post(
        &bianchi,
        &p(&r1, "/replies"),
        json!({"text": "Stesse regole."}),
    )
    .await
    .ok();
    app.post(
        &bianchi,
        &p(&r1, "/forward"),
        json!({"to_sede": "3202", "reason": "Competenza territoriale"}),
    )
    .await
    .ok();
    app.post(
        &eur,
        &p(&r1, "/close"),
        json!({"note": "Conversazione conclusa"}),
    )
    .await
    .ok();

    // R2: a practice reference, an attachment at creation, a reply.
    let allegato = app
        .upload(&ferri, "/api/v1/uploads", "domanda.pdf", pdf("domanda"))
        .await;
    let r2 = app
        .post(
            &ferri,
            "/api/v1/requests",
            json!({
                "codice_fiscale": ANNA,
                "mandate_declared": true,
                "topic": "prestazione_in_corso",
                "subtopic": "pensione_vecchiaia",
                "practice_ref": {"kind": "pensione", "value": "VO-3201-00123456"},
                "text": "Stato della pensione di vecchiaia",
                "notes": "Cittadina in attesa da mesi",
                "attachments": [allegato.body["id"]],
            }),
        )
        .await;
    assert_eq!(r2.status, 201, "{r2:?}");
    let r2 = r2.body["request_id"].as_str().unwrap().to_string();
    app.post(
        &bianchi,
        &p(&r2, "/replies"),
        json!({"text": "La pensione è in liquidazione."}),
    )
    .await
    .ok();

    // R4 (ACLI, Milano) and R5 (regional referent, CRIC).
    let r4 = app
        .create_request(&galli, FRANCESCA, "Requisiti NASpI a Milano")
        .await["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&milano, &p(&r4, "/take-in-charge"), json!({}))
        .await
        .ok();
    app.post(
        &milano,
        &p(&r4, "/replies"),
        json!({"text": "Risposta da Milano."}),
    )
    .await
    .ok();
    let r5 = app
        .post(
            &referent,
            "/api/v1/requests",
            json!({"topic": "chiarimento_normativo", "text": "Chiarimento sulla circolare ADI"}),
        )
        .await;
    assert_eq!(r5.status, 201, "{r5:?}");
    let r5 = r5.body["request_id"].as_str().unwrap().to_string();
    app.post(
        &cric,
        &p(&r5, "/replies"),
        json!({"text": "Si veda il messaggio n. 1234."}),
    )
    .await
    .ok();

    app.post(&rossi, &p(&r3, "/solleciti"), json!({}))
        .await
        .ok();
    app.post(&bianchi, &p(&r3, "/appointment-enablement"), json!({}))
        .await
        .ok();
    Scenario { r1, r2 }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_back_the_same_read_tables(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let Scenario { r1, r2 } = drive(&app).await;
    app.caught_up().await;
    let before = snapshot(&app.pool).await;
    assert_eq!(rows(&before, "request_summary"), 5);
    assert!(rows(&before, "request_timeline") >= 20);
    assert!(rows(&before, "request_attachments") >= 6);
    assert_eq!(rows(&before, "recent_replies"), 5);

    rebuild_all(&app).await;
    let after = snapshot(&app.pool).await;
    diff(&before, &after);
    // Rebuilding twice changes nothing either.
    rebuild_all(&app).await;
    diff(&before, &snapshot(&app.pool).await);

    // Queries still answer.
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let ferri = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let bianchi = app.officer("uff.bianchi", "3201");
    let detail = app
        .get(&rossi, &format!("/api/v1/requests/{r1}"))
        .await
        .ok();
    assert_eq!(detail["request"]["status"], "chiusa");
    assert_eq!(detail["request"]["current_sede"], "3202");
    let history = app.get(&rossi, "/api/v1/requests").await.ok();
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
    let inbox = app.get(&bianchi, "/api/v1/sedi/3201/inbox").await.ok();
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2);
    let panel = app.get(&ferri, "/api/v1/home/recent-replies").await.ok();
    assert_eq!(panel["count"], 1);

    // New commands still project, into both rebuilt projections.
    let msg = app
        .post(
            &ferri,
            &format!("/api/v1/requests/{r2}/messages"),
            json!({"text": "Quando sarà liquidata?"}),
        )
        .await
        .ok();
    let detail = app
        .get(
            &ferri,
            &format!("/api/v1/requests/{r2}?min_position={}", msg["position"]),
        )
        .await
        .ok();
    assert_eq!(detail["request"]["status"], "in_attesa_di_risposta");
    let reply = app
        .post(
            &bianchi,
            &format!("/api/v1/requests/{r2}/replies"),
            json!({"text": "Entro fine mese."}),
        )
        .await
        .ok();
    let panel = app
        .get(
            &ferri,
            &format!(
                "/api/v1/home/recent-replies?min_position={}",
                reply["position"]
            ),
        )
        .await
        .ok();
    assert_eq!(panel["count"], 2);
    let timeline = app
        .get(
            &ferri,
            &format!(
                "/api/v1/requests/{r2}/timeline?min_position={}",
                reply["position"]
            ),
        )
        .await
        .ok();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sent", "reply", "message", "reply"]);

    // And what the workers project after a rebuild is what a rebuild makes.
    app.caught_up().await;
    let live = snapshot(&app.pool).await;
    rebuild_all(&app).await;
    diff(&live, &snapshot(&app.pool).await);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_under_write_load_loses_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    drive(&app).await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let bianchi = app.officer("uff.bianchi", "3201");

    // Commands keep coming while both projections are rebuilt, again and again.
    let done = AtomicBool::new(false);
    let writes = async {
        let mut answers = vec![];
        for round in 0..6 {
            let created = join_all((0..4).map(|i| {
                let (app, rossi) = (&app, &rossi);
                async move {
                    let text = format!("Durante la ricostruzione {round}.{i}");
                    app.create_request(rossi, MARIO, &text).await
                }
            }))
            .await;
            for c in &created {
                let id = c["request_id"].as_str().unwrap();
                answers.push(
                    app.post(
                        &bianchi,
                        &format!("/api/v1/requests/{id}/replies"),
                        json!({"text": format!("Risposta {round}")}),
                    )
                    .await
                    .ok(),
                );
            }
        }
        done.store(true, Ordering::SeqCst);
        answers
    };
    let rebuilds = async {
        let mut n = 0;
        loop {
            rebuild_all(&app).await;
            n += 1;
            if done.load(Ordering::SeqCst) {
                break n;
            }
        }
    };
    let (answers, rebuilt) = tokio::join!(writes, rebuilds);
    assert_eq!(answers.len(), 24);
    assert!(rebuilt >= 1);

    app.caught_up().await;
    let live = snapshot(&app.pool).await;
    assert_eq!(rows(&live, "request_summary"), 5 + 24);
    assert_eq!(rows(&live, "recent_replies"), 5 + 24);
    rebuild_all(&app).await;
    diff(&live, &snapshot(&app.pool).await);
    let panel = app
        .get(&rossi, "/api/v1/home/recent-replies?limit=100")
        .await
        .ok();
    // R1's two replies and the 24 new ones.
    assert_eq!(panel["count"], 2 + 24);
    app.stop().await;
}
