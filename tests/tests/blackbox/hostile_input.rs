//! Issue 23: the public contract under hostile input. Each test names the
//! fault it pins; each failed on the code before the fix (a 500, a silent
//! clamp, a 5 s hold, a missing header, an accepted token).

use api::auth::{Claims, ISSUER};
use combipat_tests::{pdf, who, TestApp};
use domain::actor::Role;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};

const MARIO: &str = "RSSMRA60E12H501E";
const SEDE: &str = "3201";

/// Item 1: U+0000 and control characters, in every query parameter and body
/// the independent client found, are a 400 `text_invalid_character` naming the
/// field; nothing is appended.
#[sqlx::test(migrations = "../migrations")]
async fn control_characters_are_refused_at_the_edge(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let officer = app.officer("uff.bianchi", SEDE);
    let analyst = app.token(Role::Analyst, "ana.demo", &[]);
    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    let events = app.event_count().await;

    let queries: Vec<(&str, String, &str)> = vec![
        (&op, "/api/v1/requests?subject=a%00b".into(), "subject"),
        (
            &op,
            "/api/v1/home/recent-replies?subject=%00".into(),
            "subject",
        ),
        (
            &officer,
            format!("/api/v1/sedi/{SEDE}/inbox?subject=x%00"),
            "subject",
        ),
        (
            &op,
            "/api/v1/citizens?surname=Ro%00ssi&name=Mario&birth_date=1960-05-12".into(),
            "surname",
        ),
        (
            &op,
            "/api/v1/citizens?surname=Rossi&name=Ma%1Brio&birth_date=1960-05-12".into(),
            "name",
        ),
        (&op, "/api/v1/sedi?name=Roma%00".into(), "name"),
        (&op, "/api/v1/sedi?region=LAZ%00".into(), "region"),
        (&op, "/api/v1/sedi?province=R%0AM".into(), "province"),
        (
            &op,
            "/api/v1/routing?cap=00184&topic=requisiti_accesso&municipality=Roma%00".into(),
            "municipality",
        ),
        (
            &analyst,
            "/api/v1/statistics?topic=requisiti_accesso&dimension=sede&value=32%0001".into(),
            "value",
        ),
        (
            &auditor,
            "/api/v1/audit/events?event_type=Request%00Sent".into(),
            "event_type",
        ),
        (&auditor, "/api/v1/audit/events?actor=%00".into(), "actor"),
        (
            &auditor,
            "/api/v1/audit/events?stream_type=request%C2%85".into(),
            "stream_type",
        ),
        (
            &auditor,
            "/api/v1/audit/export?stream_type=%00".into(),
            "stream_type",
        ),
        (
            &auditor,
            "/api/v1/audit/streams/request-%00/events".into(),
            "percorso",
        ),
    ];
    for (token, path, field) in &queries {
        let r = app.get(token, path).await;
        r.problem(400, "text_invalid_character");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("«{field}»")), "{path}: {detail}");
    }

    let bodies: Vec<(&str, String, serde_json::Value)> = vec![
        (
            &op,
            "/api/v1/requests".into(),
            json!({"codice_fiscale": MARIO, "mandate_declared": true,
            "topic": "requisiti_accesso", "subtopic": "naspi", "text": "a\u{0}b"}),
        ),
        (
            &op,
            "/api/v1/requests".into(),
            json!({"codice_fiscale": MARIO, "mandate_declared": true,
            "topic": "requisiti_accesso", "subtopic": "naspi", "text": "ok", "notes": "\u{7}"}),
        ),
        (
            &officer,
            format!("/api/v1/requests/{id}/replies"),
            json!({"text": "risposta\u{0}"}),
        ),
        (
            &op,
            format!("/api/v1/requests/{id}/messages"),
            json!({"text": "\u{1b}[2J"}),
        ),
        (
            &officer,
            format!("/api/v1/requests/{id}/forward"),
            json!({"to_sede": "3202", "reason": "\u{0}"}),
        ),
        (
            &officer,
            format!("/api/v1/requests/{id}/close"),
            json!({"note": "fine\u{0}"}),
        ),
        (
            &officer,
            format!("/api/v1/sedi/{SEDE}/closures"),
            json!({"date": "2026-12-10", "reason": "a\u{0}"}),
        ),
        (
            &officer,
            format!("/api/v1/sedi/{SEDE}/notices"),
            json!({"from": "2026-12-11", "to": "2026-12-11", "text": "\u{0}"}),
        ),
    ];
    for (token, path, body) in &bodies {
        app.post(token, path, body.clone())
            .await
            .problem(400, "text_invalid_character");
    }
    // Line breaks and tabs stay allowed in a body's text.
    let ok = app
        .post(
            &op,
            &format!("/api/v1/requests/{id}/messages"),
            json!({"text": "riga 1\r\n\triga 2"}),
        )
        .await;
    assert!(ok.status != 400 && ok.status != 500, "{ok:?}");
    let after_ok = app.event_count().await;
    assert!(after_ok <= events + 1);
    assert_eq!(
        app.scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%\\\\u0000%'")
            .await,
        0
    );
    app.stop().await;
}

/// Item 2: forged cursors are a 400 `invalid_cursor`, not a 500 ("timestamp
/// out of range", a raw `pg_snapshot`).
#[sqlx::test(migrations = "../migrations")]
async fn tampered_cursors_are_invalid_cursor(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let officer = app.officer("uff.bianchi", SEDE);
    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    let far = format!("f000{}", "0".repeat(52));
    for (token, path) in [
        (&op, format!("/api/v1/requests?cursor={far}")),
        (&op, format!("/api/v1/home/recent-replies?cursor={far}")),
        (&officer, format!("/api/v1/sedi/{SEDE}/inbox?cursor={far}")),
        (
            &auditor,
            format!("/api/v1/audit/events?cursor={}", hex::encode("0:0:|0")),
        ),
        (
            &auditor,
            format!("/api/v1/audit/events?cursor={}", hex::encode("5:1:|0")),
        ),
        (&auditor, "/api/v1/audit/events?cursor=30.30".to_string()),
    ] {
        app.get(token, &path).await.problem(400, "invalid_cursor");
    }
    // A cursor the service made still pages.
    let first = app.get(&auditor, "/api/v1/audit/events?limit=1").await.ok();
    let next = first["next_cursor"].as_str().expect("more than one event");
    let second = app
        .get(
            &auditor,
            &format!("/api/v1/audit/events?limit=1&cursor={next}"),
        )
        .await
        .ok();
    assert_ne!(
        first["items"][0]["position"],
        second["items"][0]["position"]
    );
    app.stop().await;
}

/// Item 3: positions that are not in the log are refused at once (even a
/// hundred at a time, even without waiting for a slot), not held 5 s.
#[sqlx::test(migrations = "../migrations")]
async fn impossible_min_positions_are_refused_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let position = created["position"].as_i64().unwrap();
    for p in ["0", "-1", "-9223372036854775808"] {
        app.get(&op, &format!("/api/v1/requests?min_position={p}"))
            .await
            .problem(400, "invalid_min_position");
    }
    let started = Instant::now();
    let far = position + 1_000_000_000;
    let calls = (0..100).map(|i| {
        let path = if i % 2 == 0 {
            format!("/api/v1/requests?min_position={far}")
        } else {
            format!("/api/v1/sedi?name=Roma&min_position={far}")
        };
        let (app, op) = (&app, &op);
        async move {
            if i % 2 == 0 {
                app.get(op, &path).await
            } else {
                app.send(
                    Method::GET,
                    None,
                    &path,
                    None,
                    &[("x-min-position", &far.to_string())],
                )
                .await
            }
        }
    });
    let answers = futures::future::join_all(calls).await;
    let elapsed = started.elapsed();
    for r in answers.iter().step_by(2) {
        r.problem(400, "invalid_min_position");
    }
    assert!(
        elapsed < Duration::from_secs(3),
        "100 impossible positions took {elapsed:?} (5 s each before)"
    );
    app.stop().await;
}

/// Item 3: a legitimate read-your-writes wait still works while many wait at
/// once (the workers start late, so every reader really waits).
#[sqlx::test(migrations = "../migrations")]
async fn read_your_writes_waits_share_one_wake_up_under_load(pool: PgPool) {
    let mut app = TestApp::spawn_with(pool, TestApp::limits(), false).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let position = created["position"].as_i64().unwrap();
    app.start_workers_after(Duration::from_millis(800));
    let calls = (0..150).map(|_| {
        let (app, op, id) = (&app, &op, &id);
        async move {
            app.get(
                op,
                &format!("/api/v1/requests/{id}?min_position={position}"),
            )
            .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    for r in answers {
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(
            r.body["request"]["request_id"].as_str(),
            Some(id.as_str()),
            "{r:?}"
        );
    }
    app.stop().await;
}

/// Item 4: one `limit` rule everywhere: 400 `invalid_limit`, never clamped.
#[sqlx::test(migrations = "../migrations")]
async fn limit_has_one_rule_everywhere(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let officer = app.officer("uff.bianchi", SEDE);
    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    let lists: [(&str, String, u32); 6] = [
        (&op, "/api/v1/requests".into(), 100),
        (&op, "/api/v1/home/recent-replies".into(), 100),
        (&officer, format!("/api/v1/sedi/{SEDE}/inbox"), 100),
        (&op, "/api/v1/sedi".into(), 1000),
        (&auditor, "/api/v1/audit/events".into(), 1000),
        (
            &auditor,
            "/api/v1/audit/streams/audit-aud.demo/events".into(),
            1000,
        ),
    ];
    for (token, path, max) in &lists {
        for bad in [
            "0".to_string(),
            (max + 1).to_string(),
            "1000000".into(),
            "-1".into(),
            "4294967296".into(),
            "dieci".into(),
        ] {
            app.get(token, &format!("{path}?limit={bad}"))
                .await
                .problem(400, "invalid_limit");
        }
        for good in ["1", &max.to_string()] {
            let r = app.get(token, &format!("{path}?limit={good}")).await;
            assert_eq!(r.status, 200, "{path}?limit={good}: {r:?}");
        }
    }
    let sedi = app.get(&op, "/api/v1/sedi?limit=2").await.ok();
    assert_eq!(sedi.as_array().unwrap().len(), 2);
    app.stop().await;
}

/// Item 7: only the service's administrator moves the manual clock, and by
/// bounded amounts.
#[sqlx::test(migrations = "../migrations")]
async fn only_the_system_admin_moves_the_clock_by_bounded_amounts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let clock = "/api/v1/admin/clock";
    let before = clock_now(&app).await;
    for role in [Role::Citizen, Role::Auditor, Role::Analyst] {
        let t = app.token(role, "someone", &[]);
        app.post(&t, clock, json!({"advance_days": 3650}))
            .await
            .problem(403, "forbidden");
        // The role is checked before the body.
        app.post(&t, clock, json!({"advance_giorni": 1}))
            .await
            .problem(403, "forbidden");
    }
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.post(&op, clock, json!({"advance_days": 1}))
        .await
        .problem(403, "forbidden");
    let admin = app.token(Role::SystemAdmin, "sys.demo", &[]);
    for body in [
        json!({"advance_days": 367}),
        json!({"advance_days": i64::MAX}),
        json!({"advance_seconds": i64::MAX, "advance_days": 1}),
        json!({"set": "9999-12-31T00:00:00Z"}),
        json!({"set": "1900-01-01T00:00:00Z"}),
        json!({"set": "2100-12-31T00:00:00Z", "advance_days": 2}),
    ] {
        app.post(&admin, clock, body.clone())
            .await
            .problem(400, "clock_out_of_range");
    }
    let after_refusals = clock_now(&app).await;
    assert_eq!(
        &before[..13],
        &after_refusals[..13],
        "the clock did not move"
    );
    let moved = app
        .post(&admin, clock, json!({"advance_days": 30}))
        .await
        .ok();
    assert_ne!(&moved["now"].as_str().unwrap()[..10], &before[..10]);
    app.stop().await;
}

/// Item 8: headers of personal data, downloads, 401s and request ids.
#[sqlx::test(migrations = "../migrations")]
async fn headers_protect_personal_data_and_downloads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let added = app
        .upload(
            &op,
            &format!("/api/v1/requests/{id}/attachments"),
            "ricevùta.pdf",
            pdf("r"),
        )
        .await
        .ok();
    let position = added["position"].as_i64().unwrap();
    let detail = app.request_detail(&op, &id, position).await;
    let attachment = detail["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap()
        .to_string();

    for path in [
        "/api/v1/requests".to_string(),
        format!("/api/v1/requests/{id}"),
        format!("/api/v1/requests/{id}/summary"),
        format!("/api/v1/requests/{id}/attachments/{attachment}"),
        format!("/api/v1/citizens?codice_fiscale={MARIO}"),
    ] {
        let r = app
            .send_with_headers(Method::GET, Some(&op), &path, None, &[])
            .await;
        assert_eq!(r.resp.status, 200, "{path}: {:?}", r.resp);
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
    }
    let download = app
        .send_with_headers(
            Method::GET,
            Some(&op),
            &format!("/api/v1/requests/{id}/attachments/{attachment}"),
            None,
            &[],
        )
        .await;
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''ricev%C3%B9ta.pdf"),
        "{disposition}"
    );
    let summary = app
        .send_with_headers(
            Method::GET,
            Some(&op),
            &format!("/api/v1/requests/{id}/summary"),
            None,
            &[],
        )
        .await;
    let csp = summary.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let analyst = app.token(Role::Analyst, "ana.demo", &[]);
    let csv = app
        .send_with_headers(
            Method::GET,
            Some(&analyst),
            "/api/v1/statistics/regions?format=csv",
            None,
            &[],
        )
        .await;
    assert_eq!(csv.headers["cache-control"], "no-store");
    assert_eq!(csv.headers["x-content-type-options"], "nosniff");

    for auth in [None, Some("Bearer garbage")] {
        let headers: Vec<(&str, &str)> =
            auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
        let r = app
            .send_with_headers(Method::GET, None, "/api/v1/requests", None, &headers)
            .await;
        assert_eq!(r.resp.status, 401);
        let challenge = r.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }

    let long = "a".repeat(5000);
    for (sent, kept) in [
        (long.as_str(), false),
        ("id x;<script>", false),
        ("abc-123", true),
    ] {
        let r = app
            .http
            .get(format!("{}/healthz", app.base))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let back = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(back == sent, kept, "{back}");
        assert!(back.len() <= 128);
    }
    app.stop().await;
}

/// Item 9: tokens have a maximum lifetime, `nbf` counts, the scheme is
/// case-insensitive, and the role is checked before the body.
#[sqlx::test(migrations = "../migrations")]
async fn tokens_lifetime_nbf_scheme_and_role_before_body(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, exp: i64, nbf: Option<i64>| Claims {
        sub: "op.rossi".into(),
        role: Role::Operator,
        patronato: Some(who::PATRONATO.into()),
        office: Some(who::OFFICE.into()),
        region: None,
        sede: None,
        name: None,
        iss: ISSUER.into(),
        iat,
        exp,
        nbf,
    };
    let year_9999 = app.issue(&claims(now, 253_402_214_400, None));
    let old_iat = app.issue(&claims(now - 40 * 86_400, now + 3600, None));
    let later = app.issue(&claims(now, now + 7200, Some(now + 3600)));
    for (token, code) in [
        (&year_9999, "token_lifetime_too_long"),
        (&old_iat, "token_lifetime_too_long"),
        (&later, "token_not_yet_valid"),
    ] {
        app.get(token, "/api/v1/requests").await.problem(401, code);
    }
    let fine = app.issue(&claims(now, now + 3600, Some(now - 10)));
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let auth = format!("{scheme} {fine}");
        let r = app
            .send(
                Method::GET,
                None,
                "/api/v1/requests",
                None,
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}: {r:?}");
    }
    let analyst = app.token(Role::Analyst, "ana.demo", &[]);
    app.post(&analyst, "/api/v1/requests", json!({}))
        .await
        .problem(403, "not_allowed_for_role");
    for path in [
        format!("/api/v1/sedi/{SEDE}/closures"),
        format!("/api/v1/sedi/{SEDE}/notices"),
        format!("/api/v1/sedi/{SEDE}/counters/reception/queue/tickets"),
    ] {
        app.post(&analyst, &path, json!({"non": "valido"}))
            .await
            .problem(403, "not_allowed_for_role");
    }
    app.stop().await;
}

async fn clock_now(app: &TestApp) -> String {
    let t = app.token(Role::Auditor, "aud.demo", &[]);
    app.get(&t, "/api/v1/admin/clock").await.ok()["now"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Item 5: without a token, a codice fiscale of nobody cannot hold a slot,
/// and anonymous holds are bounded per client and per counter-day (429 with
/// `Retry-After`, Italian detail); a citizen with a token is not limited.
#[sqlx::test(migrations = "../migrations")]
async fn anonymous_holds_need_a_registered_code_and_are_rate_limited(pool: PgPool) {
    use domain::codice_fiscale::{compose, Sex};
    let limits = api::Limits {
        anonymous_holds_per_client: 5,
        anonymous_holds_per_counter_day: 2,
        ..TestApp::limits()
    };
    let app = TestApp::spawn_with(pool, limits, true).await;
    let admin = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(
        &admin,
        "/api/v1/admin/clock",
        json!({"set": "2026-12-01T08:00:00Z"}),
    )
    .await
    .ok();
    let people: Vec<String> = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT 5",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let hold = |counter: &str| format!("/api/v1/sedi/3231/counters/{counter}/holds");
    let events = app.event_count().await;

    // A well-formed code the registry does not know.
    let nobody = compose(
        "Zanzottera",
        "Ermenegilda",
        chrono::NaiveDate::from_ymd_opt(1937, 2, 28).unwrap(),
        Sex::Female,
        "H501",
    )
    .unwrap();
    let r = app
        .send(
            Method::POST,
            None,
            &hold("servizi_veloci"),
            Some(&json!({"start": "2026-12-03T08:06:00Z", "codice_fiscale": nobody.as_str()})),
            &[],
        )
        .await;
    r.problem(422, "citizen_not_found");
    assert_eq!(app.event_count().await, events, "nothing held");

    // Two anonymous holds on one counter-day, then the day is busy.
    let anonymous = |cf: &str, start: &str, counter: &str| {
        let body = json!({"start": start, "codice_fiscale": cf});
        let path = hold(counter);
        let app = &app;
        async move {
            app.send_with_headers(Method::POST, None, &path, Some(&body), &[])
                .await
        }
    };
    for (i, start) in ["2026-12-03T08:06:00Z", "2026-12-03T08:18:00Z"]
        .iter()
        .enumerate()
    {
        let r = anonymous(&people[i], start, "servizi_veloci").await;
        assert_eq!(r.resp.status, 201, "{:?}", r.resp);
    }
    let busy = anonymous(&people[2], "2026-12-03T08:30:00Z", "servizi_veloci").await;
    busy.resp.problem(429, "counter_day_busy");
    assert!(
        busy.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // The client had 5 calls: the unknown code and the busy day counted too.
    let fourth = anonymous(&people[3], "2026-12-04T08:06:00Z", "servizi_veloci").await;
    assert_eq!(fourth.resp.status, 201, "{:?}", fourth.resp);
    let over = anonymous(&people[4], "2026-12-04T08:18:00Z", "servizi_veloci").await;
    over.resp.problem(429, "too_many_anonymous_holds");
    assert!(over.headers.contains_key("retry-after"));
    // A citizen with a token is not an anonymous client.
    let citizen = app.token(Role::Citizen, &people[4], &[]);
    let r = app
        .post(
            &citizen,
            &hold("servizi_veloci"),
            json!({"start": "2026-12-04T08:18:00Z"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.stop().await;
}

/// Item 11: `/metrics` can require a token, or live on its own listener.
#[sqlx::test(migrations = "../migrations")]
async fn metrics_can_be_closed_with_a_token_or_moved_to_their_own_address(pool: PgPool) {
    let limits = api::Limits {
        metrics_token: Some(api::MetricsToken("metriche-segrete".into())),
        ..TestApp::limits()
    };
    let app = TestApp::spawn_with(pool, limits, false).await;
    let get = |auth: Option<&'static str>| {
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
            app.send_with_headers(Method::GET, None, "/metrics", None, &headers)
                .await
        }
    };
    let open = get(None).await;
    assert_eq!(open.resp.status, 401);
    assert!(open.headers.contains_key("www-authenticate"));
    assert_eq!(get(Some("Bearer sbagliato")).await.resp.status, 401);
    let ok = get(Some("Bearer metriche-segrete")).await;
    assert_eq!(ok.resp.status, 200);

    // On its own listener: absent next to the API, served there.
    let separate = api::Limits {
        metrics_separate: true,
        ..TestApp::limits()
    };
    let state = api::AppState::new(
        app.pool.clone(),
        api::auth::JwtKeys::from_secret(b"x"),
        false,
        separate,
    );
    let main = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let side = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (main_addr, side_addr) = (main.local_addr().unwrap(), side.local_addr().unwrap());
    let (a, b) = (api::app(state.clone()), api::metrics_app(state));
    tokio::spawn(async move { axum::serve(main, a).await.unwrap() });
    tokio::spawn(async move { axum::serve(side, b).await.unwrap() });
    let status = |url: String| async move { reqwest::get(url).await.unwrap().status().as_u16() };
    assert_eq!(status(format!("http://{main_addr}/metrics")).await, 404);
    assert_eq!(status(format!("http://{main_addr}/healthz")).await, 200);
    assert_eq!(status(format!("http://{side_addr}/metrics")).await, 200);
    assert_eq!(
        status(format!("http://{side_addr}/api/v1/requests")).await,
        404
    );
    app.stop().await;
}
