//! Counter appointments over HTTP (SPEC §4, §2.4): races for a slot and for
//! a confirmation, holds that expire with the manual clock, limits per
//! codice fiscale across counters and sedi, closed days, appointments on
//! requests for each of the three grounds, the queue, iCalendar.

use combipat_tests::{who, Resp, TestApp};
use domain::actor::Role;
use futures::future::join_all;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
/// Roma Monteverde Gianicolense (agenzia complessa, 12-minute slots).
const ROMA: &str = "3231";
/// Milano Centro (filiale metropolitana, 10-minute slots; patron day 7 December).
const MILANO: &str = "3101";

fn counter(sede: &str, counter: &str, rest: &str) -> String {
    format!("/api/v1/sedi/{sede}/counters/{counter}{rest}")
}

async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

async fn anonymous(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    app.send(method, None, path, body.as_ref(), &[]).await
}

async fn get_public(app: &TestApp, path: &str) -> Resp {
    anonymous(app, reqwest::Method::GET, path, None).await
}

async fn post_public(app: &TestApp, path: &str, body: Value) -> Resp {
    anonymous(app, reqwest::Method::POST, path, Some(body)).await
}

async fn codes(app: &TestApp, n: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT $1")
        .bind(n)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// The free slots of a day (waiting for `position`, unless 0).
async fn free(app: &TestApp, sede: &str, c: &str, date: &str, position: i64) -> Value {
    let wait = if position > 0 {
        format!("&min_position={position}")
    } else {
        String::new()
    };
    get_public(app, &counter(sede, c, &format!("/slots?date={date}{wait}")))
        .await
        .ok()
}

fn starts(day: &Value) -> Vec<String> {
    day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_string())
        .collect()
}

/// The first slot a counter offers from today on.
async fn first_free_slot(app: &TestApp, sede: &str, c: &str) -> String {
    for month in ["", "?month=2027-01", "?month=2027-02"] {
        let cal = get_public(app, &counter(sede, c, &format!("/calendar{month}")))
            .await
            .ok();
        if let Some(day) = cal["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["availability"] == "available")
        {
            let date = day["date"].as_str().unwrap();
            let slots = get_public(app, &counter(sede, c, &format!("/slots?date={date}")))
                .await
                .ok();
            return starts(&slots)[0].clone();
        }
    }
    panic!("no free slot at {sede}/{c}");
}

fn contacts() -> Value {
    json!({"mode": "in_presenza", "reason": "Estratto conto contributivo", "mobile": "333 1234567"})
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_clients_race_for_a_slot_and_fifty_for_its_confirmation(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await; // Tuesday, 09:00 in Rome
    let people = codes(&app, 50).await;
    let start = "2026-12-03T08:06:00Z"; // Thursday 09:06 in Rome: 08:30 + 3 × 12'
    let hold_path = counter(ROMA, "servizi_veloci", "/holds");
    let results = join_all(people.iter().map(|cf| {
        post_public(
            &app,
            &hold_path,
            json!({"start": start, "codice_fiscale": cf}),
        )
    }))
    .await;
    let winners: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.status != 201) {
        r.problem(409, "slot_unavailable");
    }
    let hold = &winners[0].body;
    let holder = people
        .iter()
        .zip(&results)
        .find(|(_, r)| r.status == 201)
        .map(|(cf, _)| cf.clone())
        .unwrap();
    assert_eq!(hold["slot"]["time"], "09:06");
    assert_eq!(hold["sede"], ROMA);

    // 50 confirmations of that hold (a nervous double tap, many times over).
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        hold["hold_id"].as_str().unwrap()
    );
    let mut body = contacts();
    body["codice_fiscale"] = json!(holder);
    let results = join_all((0..50).map(|_| post_public(&app, &confirm, body.clone()))).await;
    let confirmed: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(confirmed.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.status != 201) {
        r.problem(409, "hold_already_confirmed");
    }
    let booking = &confirmed[0].body;
    assert_eq!(booking["code"].as_str().unwrap().len(), 8);

    // The log holds exactly one hold and one booking of the slot.
    let per_type = |t: &str| {
        let t = t.to_string();
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT count(*) FROM events WHERE stream_type = 'slot' AND event_type = '{t}'"
            ))
            .await
        }
    };
    assert_eq!(per_type("SlotHeld").await, 1);
    assert_eq!(per_type("SlotBooked").await, 1);

    // The slot is no longer offered, to anyone.
    let day = free(
        &app,
        ROMA,
        "servizi_veloci",
        "2026-12-03",
        booking["position"].as_i64().unwrap(),
    )
    .await;
    assert!(!starts(&day).contains(&start.to_string()));
    assert_eq!(starts(&day).len(), 19, "20 slots of 12 minutes, one taken");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unconfirmed_hold_frees_its_slot_five_minutes_later(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let path = counter(ROMA, "reception", "/holds");
    let start = "2026-12-02T07:30:00Z"; // Wednesday 08:30 in Rome
    let held = post_public(
        &app,
        &path,
        json!({"start": start, "codice_fiscale": MARIO}),
    )
    .await
    .ok();
    let position = held["position"].as_i64().unwrap();
    assert!(held["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-01T08:05:00"));
    let before = free(&app, ROMA, "reception", "2026-12-02", position).await;
    assert!(!starts(&before)
        .iter()
        .any(|s| s.starts_with("2026-12-02T07:30:00")));
    post_public(&app, &path, json!({"start": start, "codice_fiscale": ANNA}))
        .await
        .problem(409, "slot_unavailable");

    // 4 minutes: still held. 5 minutes: free, without anyone having acted.
    app.advance_seconds(240).await;
    let still = free(&app, ROMA, "reception", "2026-12-02", position).await;
    assert!(!starts(&still)
        .iter()
        .any(|s| s.starts_with("2026-12-02T07:30:00")));
    app.advance_seconds(60).await;
    let after = free(&app, ROMA, "reception", "2026-12-02", position).await;
    assert!(starts(&after)
        .iter()
        .any(|s| s.starts_with("2026-12-02T07:30:00")));
    let events_before = app.event_count().await;
    // Too late to confirm; another citizen may take it.
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        held["hold_id"].as_str().unwrap()
    );
    let mut body = contacts();
    body["codice_fiscale"] = json!(MARIO);
    post_public(&app, &confirm, body)
        .await
        .problem(422, "hold_expired");
    assert_eq!(
        app.event_count().await,
        events_before,
        "a refusal appends nothing"
    );
    post_public(&app, &path, json!({"start": start, "codice_fiscale": ANNA}))
        .await
        .ok();
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn limits_per_codice_fiscale_hold_across_counters_and_sedi(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let mario = app.token(Role::Citizen, MARIO, &[]);
    let book = |sede: &'static str, c: &'static str, start: &'static str| {
        let (app, mario) = (&app, mario.clone());
        async move {
            let hold = app
                .post(&mario, &counter(sede, c, "/holds"), json!({"start": start}))
                .await;
            if hold.status != 201 {
                return hold;
            }
            let confirm = format!(
                "/api/v1/holds/{}/confirmation",
                hold.body["hold_id"].as_str().unwrap()
            );
            app.post(
                &mario,
                &confirm,
                // Roma and Milano are outside the web meeting pilot (citizen_app.rs).
                json!({"mode": "in_presenza", "email": "mario.rossi@example.it"}),
            )
            .await
        }
    };
    let first = book(ROMA, "servizi_veloci", "2026-12-02T07:30:00Z")
        .await
        .ok();
    // The same counter type at another sede: refused.
    book(MILANO, "servizi_veloci", "2026-12-02T07:30:00Z")
        .await
        .problem(422, "booking_limit_counter_type");
    book(MILANO, "reception", "2026-12-02T07:40:00Z").await.ok();
    book(ROMA, "conto_assicurativo_pensioni", "2026-12-02T07:42:00Z")
        .await
        .ok();
    // A fourth, of yet another type: refused.
    book(MILANO, "indennita_ammortizzatori", "2026-12-02T07:50:00Z")
        .await
        .problem(422, "booking_limit_total");
    // "Le mie prenotazioni": three.
    let mine = app
        .get(
            &mario,
            &format!(
                "/api/v1/me/bookings?min_position={}",
                app.scalar("SELECT max(position) FROM events").await
            ),
        )
        .await
        .ok();
    assert_eq!(mine["items"].as_array().unwrap().len(), 3, "{mine}");
    assert_eq!(mine["items"][0]["mode"], "in_presenza");
    assert_eq!(
        mine["items"][0]["sede_name"].as_str().unwrap(),
        "Agenzia complessa di Roma Monteverde Gianicolense"
    );
    // Cancelling one frees a place.
    let cancel = format!(
        "/api/v1/bookings/{}/cancellation",
        first["booking_id"].as_str().unwrap()
    );
    app.post(&mario, &cancel, json!({})).await.ok();
    app.post(&mario, &cancel, json!({}))
        .await
        .problem(422, "booking_already_cancelled");
    book(MILANO, "servizi_veloci", "2026-12-02T07:30:00Z")
        .await
        .ok();
    // Someone else's token cannot cancel Mario's bookings.
    let anna = app.token(Role::Citizen, ANNA, &[]);
    let other = format!(
        "/api/v1/bookings/{}/cancellation",
        mine["items"][1]["booking_id"].as_str().unwrap()
    );
    app.post(&anna, &other, json!({}))
        .await
        .problem(404, "booking_not_found");
    // Only citizens act as citizens; only authenticated ones list bookings.
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.post(
        &op,
        &counter(ROMA, "reception", "/holds"),
        json!({"start": "2026-12-02T07:30:00Z"}),
    )
    .await
    .problem(403, "not_allowed_for_role");
    app.get(&op, "/api/v1/me/bookings")
        .await
        .problem(403, "not_allowed_for_role");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn anonymous_citizens_book_with_the_codice_fiscale_and_cancel_with_the_code(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let path = counter(ROMA, "servizi_veloci", "/holds");
    post_public(&app, &path, json!({"start": "2026-12-02T07:30:00Z"}))
        .await
        .problem(422, "codice_fiscale_required");
    post_public(
        &app,
        &path,
        json!({"start": "2026-12-02T07:30:00Z", "codice_fiscale": "RSSMRA60E12H501X"}),
    )
    .await
    .problem(422, "cf_invalid_check_char");
    post_public(
        &app,
        &path,
        json!({"start": "2026-12-02T07:31:00Z", "codice_fiscale": MARIO}),
    )
    .await
    .problem(422, "slot_not_offered");
    post_public(
        &app,
        &path,
        json!({"start": "2026-11-30T07:30:00Z", "codice_fiscale": MARIO}),
    )
    .await
    .problem(422, "slot_in_past");
    let hold = post_public(
        &app,
        &path,
        json!({"start": "2026-12-02T07:30:00Z", "codice_fiscale": MARIO}),
    )
    .await
    .ok();
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        hold["hold_id"].as_str().unwrap()
    );
    let bad = [
        (
            json!({"mode": "web_meeting", "email": "a@b.it", "codice_fiscale": MARIO}),
            "web_meeting_requires_authentication",
        ),
        (
            json!({"mode": "in_presenza", "codice_fiscale": MARIO}),
            "contact_required",
        ),
        (
            json!({"mode": "in_presenza", "mobile": "06 1234567", "codice_fiscale": MARIO}),
            "mobile_invalid",
        ),
        (
            json!({"mode": "in_presenza", "email": "mario@", "codice_fiscale": MARIO}),
            "email_invalid",
        ),
        (
            json!({"mode": "ricontatto_telefonico", "email": "a@b.it", "codice_fiscale": MARIO}),
            "mobile_required_for_callback",
        ),
        (
            json!({"mode": "in_presenza", "email": "a@b.it", "reason": "x".repeat(151), "codice_fiscale": MARIO}),
            "booking_reason_too_long",
        ),
    ];
    for (body, code) in bad {
        post_public(&app, &confirm, body).await.problem(422, code);
    }
    post_public(
        &app,
        &confirm,
        json!({"mode": "in_presenza", "email": "a@b.it", "codice_fiscale": ANNA}),
    )
    .await
    .problem(404, "hold_not_found");
    let booking = post_public(
        &app,
        &confirm,
        json!({"mode": "ricontatto_telefonico", "mobile": "+39 333 123 4567", "reason": "Certificazione unica", "codice_fiscale": MARIO}),
    )
    .await;
    assert_eq!(booking.status, 201, "{booking:?}");
    let booking = booking.body;
    let id = booking["booking_id"].as_str().unwrap();
    let code = booking["code"].as_str().unwrap();
    let position = booking["position"].as_i64().unwrap();

    // The iCalendar: for the citizen with codice fiscale and code.
    let ics_path = format!("/api/v1/bookings/{id}/ics?min_position={position}");
    get_public(&app, &ics_path)
        .await
        .problem(404, "booking_not_found");
    let res = app
        .http
        .get(format!(
            "{}{ics_path}&codice_fiscale={MARIO}&code={code}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = res.text().await.unwrap();
    assert!(ics.contains("BEGIN:VEVENT"), "{ics}");
    assert!(ics.contains("DTSTART:20261202T073000Z"), "{ics}");
    assert!(
        ics.contains(&format!("Codice di prenotazione: {code}")),
        "{ics}"
    );
    // The officer of the sede sees it in the agenda and may download it too.
    let officer = app.officer("inps.roma", ROMA);
    let agenda = app
        .get(
            &officer,
            &format!("/api/v1/sedi/{ROMA}/bookings?date=2026-12-02&min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(agenda["items"][0]["code"], code);
    assert_eq!(agenda["items"][0]["mobile"], "+393331234567");
    assert_eq!(app.get(&officer, &ics_path).await.status, 200);
    let other_officer = app.officer("inps.milano", MILANO);
    app.get(&other_officer, &format!("/api/v1/sedi/{ROMA}/bookings"))
        .await
        .problem(404, "not_found");

    // Cancelling without a token needs the code too.
    let cancel = format!("/api/v1/bookings/{id}/cancellation");
    post_public(&app, &cancel, json!({"codice_fiscale": MARIO}))
        .await
        .problem(404, "booking_not_found");
    post_public(
        &app,
        &cancel,
        json!({"codice_fiscale": MARIO, "code": "ZZZZZZZZ"}),
    )
    .await
    .problem(404, "booking_not_found");
    let cancelled = post_public(
        &app,
        &cancel,
        json!({"codice_fiscale": MARIO, "code": code}),
    )
    .await
    .ok();
    let day = free(
        &app,
        ROMA,
        "servizi_veloci",
        "2026-12-02",
        cancelled["position"].as_i64().unwrap(),
    )
    .await;
    assert!(
        starts(&day)
            .iter()
            .any(|s| s.starts_with("2026-12-02T07:30:00")),
        "cancel frees the slot"
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn closed_days_offer_no_slot(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    for (sede, date, reason) in [
        (ROMA, "2026-12-06", "sportello chiuso"), // Sunday
        (ROMA, "2026-12-25", "festività nazionale (Natale)"), // Friday
        (ROMA, "2026-12-08", "festività nazionale"), // Immacolata, Tuesday
        (
            MILANO,
            "2026-12-07",
            "festa del santo patrono (Sant'Ambrogio)",
        ),
    ] {
        let day = free(&app, sede, "servizi_veloci", date, 0).await;
        assert!(starts(&day).is_empty(), "{sede} {date}: {day}");
        assert!(
            day["closed_reason"].as_str().unwrap().starts_with(reason),
            "{day}"
        );
    }
    // Sant'Ambrogio is a working day in Roma.
    assert_eq!(
        starts(&free(&app, ROMA, "servizi_veloci", "2026-12-07", 0).await).len(),
        20
    );
    let cal = get_public(
        &app,
        &counter(MILANO, "servizi_veloci", "/calendar?month=2026-12"),
    )
    .await
    .ok();
    let days = cal["days"].as_array().unwrap();
    let day = |d: usize| &days[d - 1];
    assert_eq!(day(1)["availability"], "available");
    assert_eq!(day(6)["availability"], "closed");
    assert_eq!(day(7)["availability"], "closed");
    assert_eq!(day(25)["availability"], "closed");
    assert_eq!(day(28)["availability"], "available");
    // Holding a slot of a closed day is refused.
    post_public(
        &app,
        &counter(MILANO, "servizi_veloci", "/holds"),
        json!({"start": "2026-12-07T07:30:00Z", "codice_fiscale": MARIO}),
    )
    .await
    .problem(422, "day_closed");

    // The sede closes a day and publishes a notice; both show on the calendar.
    let officer = app.officer("inps.roma", ROMA);
    let closure = app
        .post(
            &officer,
            &format!("/api/v1/sedi/{ROMA}/closures"),
            json!({"date": "2026-12-10", "reason": "Assemblea del personale"}),
        )
        .await;
    assert_eq!(closure.status, 201, "{closure:?}");
    app.post(
        &officer,
        &format!("/api/v1/sedi/{ROMA}/notices"),
        json!({"from": "2026-12-11", "to": "2026-12-11", "counter": "servizi_veloci",
               "text": "A causa di assemblea, i contatti telefonici potrebbero non essere effettuati nell'ora prenotata"}),
    )
    .await
    .ok();
    let other = app.officer("inps.milano", MILANO);
    app.post(
        &other,
        &format!("/api/v1/sedi/{ROMA}/closures"),
        json!({"date": "2026-12-10", "reason": "x"}),
    )
    .await
    .problem(404, "not_found");
    let cal = get_public(
        &app,
        &counter(ROMA, "servizi_veloci", "/calendar?month=2026-12"),
    )
    .await
    .ok();
    let days = cal["days"].as_array().unwrap();
    assert_eq!(days[9]["availability"], "closed");
    assert!(days[9]["closed_reason"]
        .as_str()
        .unwrap()
        .contains("Assemblea"));
    assert_eq!(days[10]["availability"], "available");
    assert_eq!(days[10]["notices"].as_array().unwrap().len(), 1);
    // Withdrawn: open again.
    let id = closure.body["id"].as_str().unwrap();
    app.delete(&officer, &format!("/api/v1/sedi/{ROMA}/closures/{id}"))
        .await
        .ok();
    assert_eq!(
        starts(&free(&app, ROMA, "servizi_veloci", "2026-12-10", 0).await).len(),
        20
    );
    // The counters of the sede, with today's hours.
    let counters = get_public(&app, &format!("/api/v1/sedi/{ROMA}/counters"))
        .await
        .ok();
    let sv = counters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["counter"] == "servizi_veloci")
        .unwrap();
    assert_eq!(sv["today"], "Oggi aperto dalle 08:30 alle 12:30");
    assert_eq!(sv["slot_minutes"], 12);
    get_public(&app, "/api/v1/sedi/9999/counters")
        .await
        .problem(404, "sede_not_found");
    get_public(&app, &counter(ROMA, "sportello_inesistente", "/slots"))
        .await
        .problem(404, "counter_not_found");
    app.stop().await;
}

/// A request of `op.rossi` for Mario; returns its id, its sede and the operator's token.
async fn request(app: &TestApp) -> (String, String, String) {
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI?").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let detail = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}?min_position={}", created["position"]),
        )
        .await
        .ok();
    let sede = detail["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    (id, sede, op)
}

#[sqlx::test(migrations = "../migrations")]
async fn an_appointment_on_a_request_after_15_days_without_reply(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let (id, sede, op) = request(&app).await;
    let slot = first_free_slot(&app, &sede, "servizi_patronati").await;
    let refused = app.book_request_appointment(&op, &id, &slot).await;
    refused.problem(422, "appointment_not_eligible");
    // More than 15 days: the first whole minute after the 15 × 24 h.
    assert!(refused.body["available_from"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-16T08:01:00"));
    assert_eq!(
        app.scalar("SELECT count(*) FROM events WHERE stream_type = 'slot'")
            .await,
        0
    );

    app.advance_days(15).await;
    let slot = first_free_slot(&app, &sede, "servizi_patronati").await;
    app.book_request_appointment(&op, &id, &slot)
        .await
        .problem(422, "appointment_not_eligible");
    app.advance_seconds(60).await;
    let booked = app.book_request_appointment(&op, &id, &slot).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    assert_eq!(booked.body["request_version"], 2);
    assert_eq!(booked.body["counter"], "servizi_patronati");
    let position = booked.body["position"].as_i64().unwrap();
    let d = app.request_detail(&op, &id, position).await;
    assert_eq!(d["request"]["status"], "appuntamento_prenotato");
    let book = d["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "book_appointment")
        .unwrap();
    assert_eq!(book["code"], "appointment_already_booked");
    app.book_request_appointment(&op, &id, &slot)
        .await
        .problem(422, "appointment_already_booked");
    let timeline = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}/timeline?min_position={position}"),
        )
        .await
        .ok();
    let last = timeline.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "appointment_booked");
    assert_eq!(last["details"]["ground"], "no_reply_within_standard");
    assert_eq!(
        last["details"]["start"]
            .as_str()
            .unwrap()
            .replace("+00:00", "Z"),
        slot
    );
    // The slot is the request's: nobody else gets it.
    post_public(
        &app,
        &counter(&sede, "servizi_patronati", "/holds"),
        json!({"start": slot, "codice_fiscale": ANNA}),
    )
    .await
    .problem(409, "slot_unavailable");
    // The sede sees it in its agenda; a colleague of the office downloads the iCalendar.
    let colleague = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let ics = app
        .http
        .get(format!(
            "{}/api/v1/bookings/{}/ics?min_position={position}",
            app.base,
            booked.body["booking_id"].as_str().unwrap()
        ))
        .bearer_auth(&colleague)
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), 200);
    assert!(ics.text().await.unwrap().contains("Richiesta: INPS."));
    // Cancel: the status comes back and the slot is free again.
    let cancelled = app
        .delete(&op, &format!("/api/v1/requests/{id}/appointment"))
        .await
        .ok();
    let position = cancelled["position"].as_i64().unwrap();
    assert_eq!(
        app.request_detail(&op, &id, position).await["request"]["status"],
        "inoltrata"
    );
    app.delete(&op, &format!("/api/v1/requests/{id}/appointment"))
        .await
        .problem(422, "no_appointment");
    let date = &slot[..10];
    assert!(starts(&free(&app, &sede, "servizi_patronati", date, position).await).contains(&slot));
    let timeline = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}/timeline?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(
        timeline.as_array().unwrap().last().unwrap()["kind"],
        "appointment_cancelled"
    );
    // Out of scope: as if the request did not exist.
    let stranger = app.operator("op.bianchi", who::OTHER_PATRONATO, "ACLI-RM01");
    app.book_request_appointment(&stranger, &id, &slot)
        .await
        .problem(404, "not_found");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_appointment_on_a_request_once_the_sede_enables_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let (id, sede, op) = request(&app).await;
    let officer = app.officer("inps.sede", &sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/replies"),
        json!({"text": "Serve il modello SR163."}),
    )
    .await
    .ok();
    let slot = first_free_slot(&app, &sede, "servizi_patronati").await;
    let refused = app.book_request_appointment(&op, &id, &slot).await;
    refused.problem(422, "appointment_not_eligible");
    assert!(
        refused.body.get("available_from").is_none(),
        "waiting will not help"
    );
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/appointment-enablement"),
        json!({}),
    )
    .await
    .ok();
    let booked = app.book_request_appointment(&op, &id, &slot).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    let d = app
        .request_detail(&op, &id, booked.body["position"].as_i64().unwrap())
        .await;
    assert_eq!(d["request"]["status"], "appuntamento_prenotato");
    // The officer may cancel it too (from the request).
    let cancelled = app
        .delete(&officer, &format!("/api/v1/requests/{id}/appointment"))
        .await
        .ok();
    let d = app
        .request_detail(&op, &id, cancelled["position"].as_i64().unwrap())
        .await;
    assert_eq!(d["request"]["status"], "risposta_ricevuta");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_appointment_on_a_request_once_the_conversation_is_over(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let (id, sede, op) = request(&app).await;
    let officer = app.officer("inps.sede", &sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/replies"),
        json!({"text": "Risposta."}),
    )
    .await
    .ok();
    let slot = first_free_slot(&app, &sede, "servizi_patronati").await;
    app.book_request_appointment(&op, &id, &slot)
        .await
        .problem(422, "appointment_not_eligible");
    app.post(&officer, &format!("/api/v1/requests/{id}/close"), json!({}))
        .await
        .ok();
    let booked = app.book_request_appointment(&op, &id, &slot).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    let position = booked.body["position"].as_i64().unwrap();
    let d = app.request_detail(&op, &id, position).await;
    assert_eq!(d["request"]["status"], "appuntamento_prenotato");
    let timeline = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}/timeline?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(
        timeline.as_array().unwrap().last().unwrap()["details"]["ground"],
        "conversation_over"
    );
    // The sede cancels it from its agenda: the request hears it, and is closed again.
    let cancel = format!(
        "/api/v1/bookings/{}/cancellation",
        booked.body["booking_id"].as_str().unwrap()
    );
    let cancelled = app
        .post(
            &officer,
            &cancel,
            json!({"reason": "Sede chiusa per lavori"}),
        )
        .await
        .ok();
    let d = app
        .request_detail(&op, &id, cancelled["position"].as_i64().unwrap())
        .await;
    assert_eq!(d["request"]["status"], "chiusa");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_officer_cancels_a_booking_the_agenda_has_not_applied_yet(pool: PgPool) {
    // No projection worker yet: the booking exists only in the streams.
    let mut app = TestApp::spawn_with(pool, TestApp::limits(), false).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let path = counter(ROMA, "servizi_veloci", "/holds");
    let hold = post_public(
        &app,
        &path,
        json!({"start": "2026-12-02T07:30:00Z", "codice_fiscale": MARIO}),
    )
    .await
    .ok();
    let booking = post_public(
        &app,
        &format!(
            "/api/v1/holds/{}/confirmation",
            hold["hold_id"].as_str().unwrap()
        ),
        json!({"mode": "in_presenza", "mobile": "333 1234567", "codice_fiscale": MARIO}),
    )
    .await
    .ok();
    let officer = app.officer("inps.roma", ROMA);
    let cancel = format!(
        "/api/v1/bookings/{}/cancellation",
        booking["booking_id"].as_str().unwrap()
    );
    app.start_workers_after(std::time::Duration::from_millis(300));
    let cancelled = app
        .post(&officer, &cancel, json!({"reason": "Sportello chiuso"}))
        .await;
    let cancelled = cancelled.ok();
    assert!(cancelled["position"].as_i64().unwrap() > booking["position"].as_i64().unwrap());
    // An officer of another sede still does not find it.
    let other = app.officer("inps.milano", MILANO);
    app.post(&other, &cancel, json!({}))
        .await
        .problem(404, "booking_not_found");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_queue_of_a_counter_today(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let officer = app.officer("inps.roma", ROMA);
    let q = counter(ROMA, "servizi_veloci", "/queue");
    let empty = get_public(&app, &q).await.ok();
    assert_eq!(empty["waiting"], 0);
    assert_eq!(empty["now_serving"], Value::Null);
    for _ in 0..3 {
        app.post(&officer, &format!("{q}/tickets"), json!({}))
            .await
            .ok();
    }
    let call = app
        .post(&officer, &format!("{q}/calls"), json!({"desk": "2"}))
        .await
        .ok();
    assert_eq!(call["number"], 1);
    app.advance_seconds(600).await;
    app.post(&officer, &format!("{q}/tickets/1/served"), json!({}))
        .await
        .ok();
    app.post(&officer, &format!("{q}/tickets/1/served"), json!({}))
        .await
        .problem(422, "ticket_closed");
    app.post(&officer, &format!("{q}/tickets/3/served"), json!({}))
        .await
        .problem(422, "ticket_not_called");
    app.post(&officer, &format!("{q}/calls"), json!({"desk": "2"}))
        .await
        .ok();
    let status = get_public(&app, &q).await.ok();
    assert_eq!(status["issued"], 3);
    assert_eq!(status["called"], 2);
    assert_eq!(status["served"], 1);
    assert_eq!(status["waiting"], 1);
    assert_eq!(status["now_serving"], 2);
    let avg = status["average_service_seconds"].as_f64().unwrap();
    assert!((600.0..602.0).contains(&avg), "{avg}");
    // Only the sede's officers move the queue.
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.post(&op, &format!("{q}/calls"), json!({}))
        .await
        .problem(403, "not_allowed_for_role");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_served_openapi_document_names_every_booking_operation(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestApp::limits(), false).await;
    let doc = get_public(&app, "/api/openapi.json").await.ok();
    let ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for id in [
        "getCounterCalendar",
        "listFreeSlots",
        "holdSlot",
        "confirmBooking",
        "cancelBooking",
        "listMyBookings",
        "bookRequestAppointment",
        "getQueueStatus",
        "getBookingIcs",
    ] {
        assert!(ids.contains(&id), "operationId {id} missing");
    }
    app.stop().await;
}

/// Every row of the booking tables and of the request summary, as JSON.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for table in [
        "booking_slots",
        "bookings",
        "request_summary",
        "request_timeline",
    ] {
        out.push(
            sqlx::query_scalar(&format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]'::jsonb) FROM {table} t"
            ))
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        );
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn the_read_models_rebuild_identically_and_agree_with_the_streams(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    // Citizens: a confirmed booking, a cancelled one, a live hold, an expired hold.
    let path = counter(ROMA, "servizi_veloci", "/holds");
    let mut holds = Vec::new();
    for (cf, start) in [
        (MARIO, "2026-12-02T07:30:00Z"),
        (ANNA, "2026-12-02T07:42:00Z"),
        ("DNGNCL90B28G273B", "2026-12-02T07:54:00Z"),
    ] {
        let h = post_public(&app, &path, json!({"start": start, "codice_fiscale": cf}))
            .await
            .ok();
        holds.push((cf, h["hold_id"].as_str().unwrap().to_string()));
    }
    let mut booked = Vec::new();
    for (cf, hold) in &holds[..2] {
        let mut body = contacts();
        body["codice_fiscale"] = json!(cf);
        booked.push(
            post_public(&app, &format!("/api/v1/holds/{hold}/confirmation"), body)
                .await
                .ok(),
        );
    }
    post_public(
        &app,
        &format!(
            "/api/v1/bookings/{}/cancellation",
            booked[1]["booking_id"].as_str().unwrap()
        ),
        json!({"codice_fiscale": ANNA, "code": booked[1]["code"]}),
    )
    .await
    .ok();
    // A request with an appointment booked, and one booked then cancelled.
    let (id, sede, op) = request(&app).await;
    let (id2, _, _) = request(&app).await;
    app.advance_days(16).await;
    let slot = first_free_slot(&app, &sede, "servizi_patronati").await;
    app.book_request_appointment(&op, &id, &slot).await.ok();
    // Free slots come from the read model: read our own booking first.
    let booked_at = app.scalar("SELECT max(position) FROM events").await;
    app.wait_projections(booked_at).await;
    let slot2 = first_free_slot(&app, &sede, "servizi_patronati").await;
    app.book_request_appointment(&op, &id2, &slot2).await.ok();
    app.delete(&op, &format!("/api/v1/requests/{id2}/appointment"))
        .await
        .ok();
    let last = app.scalar("SELECT max(position) FROM events").await;
    app.wait_projections(last).await;

    // The summary's status is the aggregate's.
    for rid in [&id, &id2] {
        let (request, _) = commands::requests::load(
            &app.pool,
            domain::ids::RequestId(rid.parse().unwrap()),
            None,
        )
        .await
        .unwrap();
        let status: String =
            sqlx::query_scalar("SELECT status FROM request_summary WHERE request_id = $1::uuid")
                .bind(rid.as_str())
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(Some(status.as_str()), request.status.map(|s| s.as_str()));
    }
    assert_eq!(app.scalar("SELECT count(*) FROM bookings").await, 4);
    assert_eq!(
        app.scalar("SELECT count(*) FROM bookings WHERE status = 'cancelled'")
            .await,
        2
    );
    // The printable summary tells the appointment too.
    let html = app
        .http
        .get(format!("{}/api/v1/requests/{id}/summary", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Appuntamento prenotato"), "{html}");

    let before = snapshot(&app).await;
    for name in [projections::bookings::NAME, projections::requests::NAME] {
        projections::rebuild_by_name(&app.pool, name).await.unwrap();
    }
    assert_eq!(snapshot(&app).await, before);
    app.stop().await;
}
