//! Statistics over HTTP: a black-box client performs a known mix of actions
//! (crossing the 15-day rule with the manual clock), computes every indicator
//! itself and compares it with what the service reports per user, office,
//! patronato, sede and region; the per-region table; scopes; CSV; the
//! analysts' SQL; and a rebuild that gives identical numbers.

use chrono::{DateTime, Duration, Utc};
use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const NICOLO: &str = "DNGNCL90B28G273B";
const FRANCESCA: &str = "CLMFNC81L70F205M";
const ROSA: &str = "SPSRSO48P55F839M";
const ANDREI: &str = "PPSNDR85R04Z129A";

/// What the client knows of one request.
#[derive(Debug, Clone)]
struct Req {
    id: String,
    creator: String,
    patronato: String,
    office: String,
    sede: String,
    region: String,
    topic: String,
    subtopic: String,
    sent_at: DateTime<Utc>,
    first_reply_at: Option<DateTime<Utc>>,
    solleciti: i64,
    /// (from sede, to sede)
    forwards: Vec<(String, String)>,
    appointment_enabled: bool,
    /// Appointments booked and not cancelled.
    appointments_booked: i64,
    closed: bool,
}

/// The client's own computation of one row.
#[derive(Debug, Default, Clone)]
struct Expected {
    sent: i64,
    replied: i64,
    overdue: i64,
    solleciti: i64,
    forwarded: i64,
    forwarded_in: i64,
    forwarded_out: i64,
    appointments_enabled: i64,
    appointments_booked: i64,
    closed: i64,
    /// Sent at least 15 × 24 h before `as_of`, and of those replied within 15 days.
    aged: i64,
    aged_within_15: i64,
    durations: Vec<f64>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (rank - lo as f64) * (sorted[hi] - sorted[lo])
}

fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

struct Client<'a> {
    app: &'a TestApp,
    tokens: BTreeMap<String, (String, String, String)>,
    reqs: Vec<Req>,
    last_position: i64,
}

impl<'a> Client<'a> {
    fn new(app: &'a TestApp) -> Self {
        let mut tokens = BTreeMap::new();
        for (user, patronato, office) in [
            ("op.rossi", who::PATRONATO, who::OFFICE),
            ("op.ferri", who::PATRONATO, who::OFFICE),
            ("op.verdi", who::PATRONATO, who::OTHER_OFFICE),
            ("op.galli", who::OTHER_PATRONATO, "ACLI-MI01"),
        ] {
            tokens.insert(
                user.to_string(),
                (
                    app.operator(user, patronato, office),
                    patronato.to_string(),
                    office.to_string(),
                ),
            );
        }
        Client {
            app,
            tokens,
            reqs: Vec::new(),
            last_position: 0,
        }
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens[user].0
    }

    async fn region_of(&self, sede: &str) -> String {
        sqlx::query_scalar("SELECT region_code FROM ref_sedi WHERE code = $1")
            .bind(sede)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    /// Sends a request to an explicitly chosen sede; returns its index.
    async fn send(&mut self, user: &str, cf: &str, sede: &str, subtopic: &str) -> usize {
        let created = self
            .app
            .post(
                self.token(user),
                "/api/v1/requests",
                json!({
                    "codice_fiscale": cf,
                    "mandate_declared": true,
                    "topic": "requisiti_accesso",
                    "subtopic": subtopic,
                    "text": format!("Domanda di {user} su {subtopic}"),
                    "destination_sede": sede,
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{created:?}");
        self.last_position = created.body["position"].as_i64().unwrap();
        let (_, patronato, office) = self.tokens[user].clone();
        self.reqs.push(Req {
            id: created.body["request_id"].as_str().unwrap().to_string(),
            creator: user.to_string(),
            patronato,
            office,
            sede: sede.to_string(),
            region: self.region_of(sede).await,
            topic: "requisiti_accesso".to_string(),
            subtopic: subtopic.to_string(),
            sent_at: Utc::now(),
            first_reply_at: None,
            solleciti: 0,
            forwards: vec![],
            appointment_enabled: false,
            appointments_booked: 0,
            closed: false,
        });
        self.reqs.len() - 1
    }

    async fn act(&mut self, token: &str, r: usize, action: &str, body: Value) {
        let path = format!("/api/v1/requests/{}/{action}", self.reqs[r].id);
        let done = self.app.post(token, &path, body).await.ok();
        self.last_position = done["position"].as_i64().unwrap();
    }

    async fn reply(&mut self, r: usize, sede: &str) {
        let officer = self.app.officer("uff.stat", sede);
        self.act(&officer, r, "replies", json!({"text": "Risposta"}))
            .await;
    }

    async fn sollecito(&mut self, user: &str, r: usize) {
        let t = self.token(user).to_string();
        self.act(&t, r, "solleciti", json!({})).await;
        self.reqs[r].solleciti += 1;
    }

    async fn forward(&mut self, r: usize, from: &str, to: &str) {
        let officer = self.app.officer("uff.stat", from);
        self.act(
            &officer,
            r,
            "forward",
            json!({"to_sede": to, "reason": "Competenza"}),
        )
        .await;
        self.reqs[r]
            .forwards
            .push((from.to_string(), to.to_string()));
    }

    /// Reads the instants the service recorded (the client saw them in the timeline).
    async fn observe_times(&mut self) {
        self.app.wait_projections(self.last_position).await;
        for r in self.reqs.iter_mut() {
            let token = &self.tokens[&r.creator].0;
            let timeline = self
                .app
                .get(token, &format!("/api/v1/requests/{}/timeline", r.id))
                .await
                .ok();
            let entries = timeline.as_array().unwrap();
            r.sent_at = parse_time(&entries[0]["at"]);
            r.first_reply_at = entries
                .iter()
                .find(|e| e["kind"] == "reply")
                .map(|e| parse_time(&e["at"]));
        }
    }

    fn expected(
        &self,
        dimension: &str,
        as_of: DateTime<Utc>,
        keep: impl Fn(&Req) -> bool,
        regions: &BTreeMap<String, String>,
    ) -> BTreeMap<String, Expected> {
        let mut out: BTreeMap<String, Expected> = BTreeMap::new();
        for r in self.reqs.iter().filter(|r| keep(r)) {
            let key = match dimension {
                "user" => r.creator.clone(),
                "office" => r.office.clone(),
                "patronato" => r.patronato.clone(),
                "sede" => r.sede.clone(),
                _ => r.region.clone(),
            };
            let e = out.entry(key).or_default();
            e.sent += 1;
            e.solleciti += r.solleciti;
            e.forwarded += r.forwards.len() as i64;
            e.appointments_enabled += i64::from(r.appointment_enabled);
            e.appointments_booked += r.appointments_booked;
            let aged = r.sent_at <= as_of - Duration::hours(360);
            e.aged += i64::from(aged);
            e.closed += i64::from(r.closed);
            match r.first_reply_at {
                Some(at) => {
                    e.replied += 1;
                    let d = at - r.sent_at;
                    e.aged_within_15 += i64::from(aged && d <= Duration::days(15));
                    e.durations.push(d.num_microseconds().unwrap() as f64 / 1e6);
                }
                None => {
                    e.overdue += i64::from(r.sent_at < as_of - Duration::hours(360));
                }
            }
            if dimension == "sede" || dimension == "region" {
                for (from, to) in &r.forwards {
                    let (from, to) = if dimension == "sede" {
                        (from.clone(), to.clone())
                    } else {
                        (regions[from].clone(), regions[to].clone())
                    };
                    out.entry(from).or_default().forwarded_out += 1;
                    out.entry(to).or_default().forwarded_in += 1;
                }
            }
        }
        out
    }
}

#[track_caller]
fn close(a: &Value, b: Option<f64>, what: &str) {
    match b {
        None => assert!(a.is_null(), "{what}: expected null, got {a}"),
        Some(b) => {
            let a = a
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: {a} is not a number"));
            assert!((a - b).abs() < 1e-6, "{what}: service {a}, client {b}");
        }
    }
}

#[track_caller]
fn compare(rows: &Value, expected: &BTreeMap<String, Expected>, what: &str) {
    let rows = rows.as_array().unwrap();
    let keys: BTreeSet<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    let want: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(keys, want, "{what}: keys");
    for row in rows {
        let key = row["key"].as_str().unwrap();
        let e = &expected[key];
        let ctx = format!("{what} {key}");
        for (field, v) in [
            ("sent", e.sent),
            ("replied", e.replied),
            ("pending", e.sent - e.replied),
            ("overdue", e.overdue),
            ("solleciti", e.solleciti),
            ("forwarded", e.forwarded),
            ("forwarded_in", e.forwarded_in),
            ("forwarded_out", e.forwarded_out),
            ("appointments_enabled", e.appointments_enabled),
            ("appointments_booked", e.appointments_booked),
            ("closed", e.closed),
            ("aged_15_days", e.aged),
            ("aged_replied_within_15_days", e.aged_within_15),
        ] {
            assert_eq!(row[field], v, "{ctx}: {field} in {row}");
        }
        let mut d = e.durations.clone();
        d.sort_by(f64::total_cmp);
        let hours = |s: f64| s / 3600.0;
        let (median, p90, mean) = if d.is_empty() {
            (None, None, None)
        } else {
            (
                Some(hours(percentile(&d, 0.5))),
                Some(hours(percentile(&d, 0.9))),
                Some(hours(d.iter().sum::<f64>() / d.len() as f64)),
            )
        };
        // Over the requests 15 days old: an unanswered one counts against.
        let share = (e.aged > 0).then(|| e.aged_within_15 as f64 / e.aged as f64);
        close(
            &row["median_hours_to_first_reply"],
            median,
            &format!("{ctx} median"),
        );
        close(&row["p90_hours_to_first_reply"], p90, &format!("{ctx} p90"));
        close(
            &row["share_replied_within_15_days"],
            share,
            &format!("{ctx} share"),
        );
        // The mean is kept in milliseconds.
        match (row["mean_hours_to_first_reply"].as_f64(), mean) {
            (None, None) => {}
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-5, "{ctx} mean {a} vs {b}"),
            other => panic!("{ctx} mean {other:?}"),
        }
        assert_eq!(row["percentiles"], "exact", "{ctx}");
    }
}

/// The known mix of actions: 7 requests of 4 users in 3 offices of 2
/// patronati, to 6 sedi in 4 regions; replies before and after 15 days, a
/// follow-up, solleciti, a forward across regions, an appointment, a closure
/// without reply.
async fn known_mix(app: &TestApp) -> Client<'_> {
    let mut c = Client::new(app);
    let r1 = c.send("op.rossi", MARIO, "3201", "naspi").await;
    let r2 = c.send("op.rossi", ANNA, "3201", "assegno_unico").await;
    let r3 = c.send("op.ferri", NICOLO, "2201", "naspi").await;
    let r4 = c.send("op.galli", FRANCESCA, "3101", "naspi").await;
    let r5 = c
        .send("op.verdi", ANDREI, "3206", "pensione_vecchiaia")
        .await;
    let r6 = c.send("op.rossi", ROSA, "3304", "naspi").await;

    app.advance_days(2).await;
    c.reply(r1, "3201").await;
    c.reply(r4, "3101").await;
    let rossi = c.token("op.rossi").to_string();
    c.act(&rossi, r1, "messages", json!({"text": "Un chiarimento"}))
        .await;
    c.reply(r1, "3201").await;

    app.advance_days(5).await;
    app.advance_seconds(3_600 * 5).await;
    c.reply(r2, "3201").await;
    c.forward(r3, "2201", "3202").await;
    let napoli = app.officer("uff.stat", "3304");
    c.act(&napoli, r6, "appointment-enablement", json!({}))
        .await;
    c.reqs[r6].appointment_enabled = true;
    // One appointment booked on it and one cancelled: one standing.
    let rossi_token = c.token("op.rossi").to_string();
    for keep in [false, true] {
        let slot = app.first_free_patronati_slot("3304").await;
        let booked = app
            .book_request_appointment(&rossi_token, &c.reqs[r6].id, &slot)
            .await
            .ok();
        c.last_position = booked["position"].as_i64().unwrap();
        if !keep {
            let path = format!("/api/v1/requests/{}/appointment", c.reqs[r6].id);
            let gone = app.delete(&rossi_token, &path).await.ok();
            c.last_position = gone["position"].as_i64().unwrap();
        }
    }
    c.reqs[r6].appointments_booked = 1;

    app.advance_days(10).await;
    c.sollecito("op.verdi", r5).await;
    c.sollecito("op.rossi", r6).await;
    c.sollecito("op.ferri", r3).await;
    c.reply(r3, "3202").await;
    c.act(&napoli, r6, "close", json!({"note": "Chiusa"})).await;
    c.reqs[r6].closed = true;
    let _r7 = c.send("op.rossi", MARIO, "3201", "naspi").await;
    c.observe_times().await;
    c
}

fn analyst(app: &TestApp) -> String {
    app.token(Role::Analyst, "ana.demo", &[])
}

async fn sede_regions(c: &Client<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in &c.reqs {
        out.insert(r.sede.clone(), r.region.clone());
        for (from, to) in &r.forwards {
            out.insert(from.clone(), c.region_of(from).await);
            out.insert(to.clone(), c.region_of(to).await);
        }
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn indicators_equal_what_the_client_computes_itself(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = known_mix(&app).await;
    let regions = sede_regions(&c).await;
    let ana = analyst(&app);
    let min = c.last_position;

    // Analysts see no person: the `user` dimension is not theirs.
    app.get(&ana, "/api/v1/statistics?dimension=user")
        .await
        .problem(403, "forbidden");
    for dimension in ["office", "patronato", "sede", "region"] {
        let got = app
            .get(
                &ana,
                &format!("/api/v1/statistics?dimension={dimension}&min_position={min}"),
            )
            .await
            .ok();
        assert_eq!(got["dimension"], dimension);
        let as_of = parse_time(&got["as_of"]);
        let want = c.expected(dimension, as_of, |_| true, &regions);
        compare(&got["rows"], &want, dimension);
    }

    // A topic and sub-topic, and a period of sending (the first 10 days only).
    let got = app
        .get(
            &ana,
            "/api/v1/statistics?dimension=region&topic=requisiti_accesso&subtopic=naspi",
        )
        .await
        .ok();
    let want = c.expected(
        "region",
        parse_time(&got["as_of"]),
        |r| r.topic == "requisiti_accesso" && r.subtopic == "naspi",
        &regions,
    );
    compare(&got["rows"], &want, "region naspi");
    let t0 = c.reqs[0].sent_at;
    let to = (t0 + Duration::days(10)).date_naive();
    let got = app
        .get(&ana, &format!("/api/v1/statistics?dimension=sede&to={to}"))
        .await
        .ok();
    let want = c.expected(
        "sede",
        parse_time(&got["as_of"]),
        |r| r.sent_at < t0 + Duration::days(10),
        &regions,
    );
    compare(&got["rows"], &want, "sede first days");
    let from = (t0 + Duration::days(10)).date_naive();
    let got = app
        .get(
            c.token("op.rossi"),
            &format!("/api/v1/statistics?dimension=user&value=op.rossi&from={from}"),
        )
        .await
        .ok();
    let want = c.expected(
        "user",
        parse_time(&got["as_of"]),
        |r| r.creator == "op.rossi" && r.sent_at > t0 + Duration::days(10),
        &regions,
    );
    compare(&got["rows"], &want, "op.rossi later");

    // The same numbers through each role's own scope.
    let rossi = c.token("op.rossi").to_string();
    let mine = app.get(&rossi, "/api/v1/statistics").await.ok();
    assert_eq!(mine["dimension"], "user");
    let want = c.expected(
        "user",
        parse_time(&mine["as_of"]),
        |r| r.creator == "op.rossi",
        &regions,
    );
    compare(&mine["rows"], &want, "own user");
    let office = app
        .get(&rossi, "/api/v1/statistics?dimension=office")
        .await
        .ok();
    let want = c.expected(
        "office",
        parse_time(&office["as_of"]),
        |r| r.office == who::OFFICE,
        &regions,
    );
    compare(&office["rows"], &want, "own office");
    let officer = app.officer("uff.bianchi", "3201");
    let sede = app.get(&officer, "/api/v1/statistics").await.ok();
    let want = c.expected(
        "sede",
        parse_time(&sede["as_of"]),
        |r| r.sede == "3201",
        &regions,
    );
    compare(&sede["rows"], &want, "own sede");
    let admin = app.token(
        Role::PatronatoAdmin,
        "adm.inca",
        &[("patronato", who::PATRONATO), ("office", who::OFFICE)],
    );
    let offices = app
        .get(&admin, "/api/v1/statistics?dimension=office")
        .await
        .ok();
    let want = c.expected(
        "office",
        parse_time(&offices["as_of"]),
        |r| r.patronato == who::PATRONATO,
        &regions,
    );
    compare(&offices["rows"], &want, "patronato's offices");

    // Outside the scope.
    app.get(&rossi, "/api/v1/statistics?dimension=user&value=op.ferri")
        .await
        .problem(404, "not_found");
    app.get(&rossi, "/api/v1/statistics?dimension=sede")
        .await
        .problem(403, "forbidden");
    app.get(&officer, "/api/v1/statistics?value=3202")
        .await
        .problem(404, "not_found");
    app.get(&admin, "/api/v1/statistics?dimension=patronato&value=ACLI")
        .await
        .problem(404, "not_found");
    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    app.get(&auditor, "/api/v1/statistics")
        .await
        .problem(403, "forbidden");
    app.get(&ana, "/api/v1/statistics?dimension=planet")
        .await
        .problem(400, "invalid_dimension");
    app.get(&ana, "/api/v1/statistics?from=2026-05-02&to=2026-05-01")
        .await
        .problem(400, "invalid_date_range");

    // The CSV has one line per key, with the same numbers.
    let csv = app
        .http
        .get(format!(
            "{}/api/v1/statistics/export?dimension=region",
            app.base
        ))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(';').collect();
    assert_eq!(header[5], "valore");
    assert_eq!(header[7], "inviate");
    let want = c.expected("region", Utc::now(), |_| true, &regions);
    assert_eq!(lines.len(), 1 + want.len());
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(';').collect();
        assert_eq!(cells[7], want[cells[5]].sent.to_string(), "{line}");
        assert_eq!(cells[8], want[cells[5]].replied.to_string(), "{line}");
    }
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_regional_table_has_the_shape_of_seed_003(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = known_mix(&app).await;
    let regions = sede_regions(&c).await;
    let ana = analyst(&app);
    let got = app
        .get(
            &ana,
            &format!(
                "/api/v1/statistics/regions?min_position={}",
                c.last_position
            ),
        )
        .await
        .ok();
    // The client's own count: new requests, follow-ups and solleciti in,
    // replies out, per region of the sede concerned.
    let mut requests: BTreeMap<String, i64> = BTreeMap::new();
    let mut incoming: BTreeMap<String, i64> = BTreeMap::new();
    let mut outgoing: BTreeMap<String, i64> = BTreeMap::new();
    for r in &c.reqs {
        *requests.entry(r.region.clone()).or_default() += 1;
        *incoming.entry(r.region.clone()).or_default() += 1;
    }
    // r1: follow-up and second reply at 3201; replies: r1 ×2, r2 at 3201, r4 at
    // 3101, r3 at 3202; solleciti at the sede holding the request.
    let follow_up = regions["3201"].clone();
    *incoming.entry(follow_up).or_default() += 1;
    for sede in ["3206", "3304", "3202"] {
        *incoming.entry(regions[sede].clone()).or_default() += 1;
    }
    for sede in ["3201", "3201", "3201", "3101", "3202"] {
        *outgoing.entry(regions[sede].clone()).or_default() += 1;
    }
    let rows = got["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 23, "20 regioni and 3 DCM");
    assert_eq!(rows[20]["region_code"], "DCM-MI");
    assert_eq!(rows[22]["region_code"], "DCM-RM");
    for row in rows {
        let code = row["region_code"].as_str().unwrap();
        let n = |m: &BTreeMap<String, i64>| m.get(code).copied().unwrap_or(0);
        assert_eq!(row["requests"], n(&requests), "{row}");
        assert_eq!(row["incoming"], n(&incoming), "{row}");
        assert_eq!(row["outgoing"], n(&outgoing), "{row}");
    }
    let lazio_to_rome = regions["2201"] != regions["3202"];
    assert_eq!(
        rows.iter()
            .map(|r| r["forwarded_out_to_other_regions"].as_i64().unwrap())
            .sum::<i64>(),
        i64::from(lazio_to_rome)
    );
    assert_eq!(got["total"]["requests"], 7);
    assert_eq!(got["total"]["outgoing"], 5);

    // CSV in the seed's shape; only for analysts.
    let csv = app
        .http
        .get(format!("{}/api/v1/statistics/regions?format=csv", app.base))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Regione;Codice;Totale richieste;In entrata;In uscita"));
    assert_eq!(lines.len(), 1 + 23 + 1);
    assert!(lines[24].starts_with("Italia;IT;7;"));
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.get(&rossi, "/api/v1/statistics/regions")
        .await
        .problem(403, "forbidden");

    // The analysts' SQL gives the same table, as the read-only role, which
    // cannot read the projection tables themselves.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE combipat_analyst")
        .execute(&mut *tx)
        .await
        .unwrap();
    let sql_rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT regione, richieste, in_entrata, in_uscita \
         FROM analytics.richieste_per_regione(NULL, NULL)",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(sql_rows.len(), 23);
    for (row, (code, req, inc, out)) in rows.iter().zip(&sql_rows) {
        assert_eq!(row["region_code"], code.as_str());
        assert_eq!(
            (
                row["requests"].as_i64(),
                row["incoming"].as_i64(),
                row["outgoing"].as_i64()
            ),
            (Some(*req), Some(*inc), Some(*out))
        );
    }
    let monthly: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(richieste), 0)::bigint FROM analytics.richieste_regione_mese",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(monthly, 7);
    sqlx::query("SAVEPOINT before_denied")
        .execute(&mut *tx)
        .await
        .unwrap();
    let denied = sqlx::query("SELECT count(*) FROM public.stat_daily")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    tx.rollback().await.unwrap();
    app.stop().await;
}

/// Every row of the statistics tables, in a fixed order.
async fn tables(pool: &PgPool) -> Vec<Value> {
    let mut out = Vec::new();
    for table in projections::statistics::TABLES {
        out.push(
            sqlx::query_scalar(&format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') FROM {table} t"
            ))
            .fetch_one(pool)
            .await
            .unwrap(),
        );
    }
    out
}

async fn every_answer(app: &TestApp) -> Vec<Value> {
    let ana = analyst(app);
    let mut out = Vec::new();
    for dimension in ["office", "patronato", "sede", "region"] {
        for method in ["exact", "histogram"] {
            let mut got = app
                .get(
                    &ana,
                    &format!("/api/v1/statistics?dimension={dimension}&percentiles={method}"),
                )
                .await
                .ok();
            got.as_object_mut().unwrap().remove("as_of");
            out.push(got);
        }
    }
    out.push(app.get(&ana, "/api/v1/statistics/regions").await.ok());
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn rebuilding_the_statistics_gives_identical_numbers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = known_mix(&app).await;
    app.wait_projections(c.last_position).await;
    let before_rows = tables(&app.pool).await;
    let before = every_answer(&app).await;
    assert!(before_rows
        .iter()
        .all(|t| !t.as_array().unwrap().is_empty()));

    let report = projections::rebuild_by_name(&app.pool, projections::statistics::NAME)
        .await
        .unwrap();
    assert!(report.events > 0);
    assert_eq!(tables(&app.pool).await, before_rows);
    assert_eq!(every_answer(&app).await, before);

    // The histogram path agrees with the analysts' SQL function, which still
    // works on the swapped-in tables.
    let ana = analyst(&app);
    let hist = app
        .get(
            &ana,
            "/api/v1/statistics?dimension=patronato&value=INCA&percentiles=histogram",
        )
        .await
        .ok();
    let sql: (Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT mediana_ore, p90_ore FROM analytics.indicatori('patronato', NULL, NULL) \
         WHERE chiave = 'INCA'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    close(
        &hist["rows"][0]["median_hours_to_first_reply"],
        sql.0,
        "median",
    );
    close(&hist["rows"][0]["p90_hours_to_first_reply"], sql.1, "p90");
    assert_eq!(hist["rows"][0]["percentiles"], "histogram");
    let exact = app
        .get(&ana, "/api/v1/statistics?dimension=patronato&value=INCA")
        .await
        .ok();
    let (h, e) = (
        hist["rows"][0]["median_hours_to_first_reply"]
            .as_f64()
            .unwrap(),
        exact["rows"][0]["median_hours_to_first_reply"]
            .as_f64()
            .unwrap(),
    );
    assert!((h - e).abs() <= 0.05 * e, "histogram {h} vs exact {e}");

    // The projection goes on after the swap.
    let mut c = c;
    c.send("op.galli", FRANCESCA, "3101", "naspi").await;
    let got = app
        .get(
            &ana,
            &format!(
                "/api/v1/statistics?dimension=patronato&value=ACLI&min_position={}",
                c.last_position
            ),
        )
        .await
        .ok();
    assert_eq!(got["rows"][0]["sent"], 2);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn applying_every_event_a_second_time_changes_nothing(pool: PgPool) {
    use projections::Projection;
    let app = TestApp::spawn(pool).await;
    let c = known_mix(&app).await;
    app.wait_projections(c.last_position).await;
    let before = tables(&app.pool).await;
    let mut tx = app.pool.begin().await.unwrap();
    let events = store::log::read_after(&mut *tx, store::LogPosition::START, 100_000)
        .await
        .unwrap();
    assert_eq!(events.len() as i64, app.event_count().await);
    for e in &events {
        projections::statistics::StatisticsProjection
            .apply(&mut tx, e)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(tables(&app.pool).await, before);
    app.stop().await;
}

/// The 15-day share at an instant, three ways: the service's query, the
/// analysts' SQL function, and (after a rebuild) the query again.
async fn aged_at(app: &TestApp, at: DateTime<Utc>) -> (i64, i64, Option<f64>) {
    let q = projections::statistics::StatisticsQuery {
        dimension: projections::statistics::Dimension::Office,
        key: Some(who::OFFICE.to_string()),
        patronato: None,
        topic: None,
        subtopic: None,
        from: None,
        to: None,
        now: at,
        method: projections::statistics::PercentileMethod::Auto,
    };
    let rows = projections::statistics::indicators(&app.pool, &q)
        .await
        .unwrap();
    let row = &rows[0];
    let sql: Option<(i64, i64, Option<f64>)> = sqlx::query_as(
        "SELECT di_almeno_15_giorni, risposte_entro_15_giorni, quota_entro_15_giorni \
         FROM analytics.indicatori('office', NULL, NULL, NULL, NULL, $1) WHERE chiave = $2",
    )
    .bind(at)
    .bind(who::OFFICE)
    .fetch_optional(&app.pool)
    .await
    .unwrap();
    let service = (
        row.aged_15_days,
        row.aged_replied_within_15_days,
        row.share_replied_within_15_days,
    );
    assert_eq!(sql, Some(service), "SQL and service at {at}");
    service
}

#[sqlx::test(migrations = "../migrations")]
async fn the_15_day_share_counts_a_request_from_the_instant_it_is_15_days_old(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut c = Client::new(&app);
    // C on day 0, never answered; A on day 1, answered on day 3.
    let early = c.send("op.rossi", MARIO, "3201", "naspi").await;
    app.advance_days(1).await;
    let later = c.send("op.rossi", ANNA, "3201", "naspi").await;
    app.advance_days(2).await;
    c.reply(later, "3201").await;
    c.observe_times().await;
    let (t0, t1) = (c.reqs[early].sent_at, c.reqs[later].sent_at);
    let fifteen = Duration::hours(360);
    let just_before = |t: DateTime<Utc>| t + fifteen - Duration::microseconds(1);

    let mut figures = Vec::new();
    for (at, want) in [
        // Nothing is 15 days old yet: no share, not 100 %.
        (just_before(t0), (0, 0, None)),
        // C from the instant it is 15 days old (on the cutoff's own day).
        (t0 + fifteen, (1, 0, Some(0.0))),
        // C counts against (a whole earlier day); A is not yet in.
        (just_before(t1), (1, 0, Some(0.0))),
        // A is in, answered on time: one of two.
        (t1 + fifteen, (2, 1, Some(0.5))),
        // Long after: the same.
        (t1 + Duration::days(40), (2, 1, Some(0.5))),
    ] {
        let got = aged_at(&app, at).await;
        assert_eq!(got, want, "at {at}");
        figures.push(got);
    }
    // The same over HTTP now (day 3: nothing 15 days old yet).
    let rossi = c.token("op.rossi").to_string();
    let now = app
        .get(&rossi, "/api/v1/statistics?dimension=office")
        .await
        .ok();
    assert_eq!(now["rows"][0]["aged_15_days"], 0);
    assert!(now["rows"][0]["share_replied_within_15_days"].is_null());
    assert_eq!(now["rows"][0]["replied"], 1);

    // A rebuild gives the same figures at every instant.
    projections::rebuild_by_name(&app.pool, projections::statistics::NAME)
        .await
        .unwrap();
    for (i, at) in [
        just_before(t0),
        t0 + fifteen,
        just_before(t1),
        t1 + fifteen,
        t1 + Duration::days(40),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(aged_at(&app, at).await, figures[i], "after rebuild at {at}");
    }
    app.stop().await;
}
