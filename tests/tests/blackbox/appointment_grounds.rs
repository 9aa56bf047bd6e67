//! Appointments on requests (SPEC §2.4 (c), second branch): the
//! conversation is over once the 2 further interactions are used up, even
//! while the sede has not answered the last one; before that, booking is
//! refused. And cancelling someone else's appointment is 404 like any other
//! out-of-scope write, for an operator of another office and an officer of
//! another sede alike.

use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";

async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

fn book_action(detail: &Value) -> Value {
    detail["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "book_appointment")
        .cloned()
        .unwrap_or_else(|| panic!("no book_appointment in {detail}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn an_appointment_once_the_two_further_interactions_are_used_up(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI?").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let d = app
        .request_detail(&op, &id, created["position"].as_i64().unwrap())
        .await;
    let sede = d["request"]["current_sede"].as_str().unwrap().to_string();
    let officer = app.officer("inps.sede", &sede);
    let slot = app.first_free_patronati_slot(&sede).await;
    let path = |rest: &str| format!("/api/v1/requests/{id}/{rest}");

    // Reply, follow-up 1, reply, follow-up 2: refused at every step before the last.
    let steps = [
        (&officer, "replies", "Prima risposta"),
        (&op, "messages", "Primo seguito"),
        (&officer, "replies", "Seconda risposta"),
    ];
    for (who, rest, text) in steps {
        let done = app
            .post(who, &path(rest), json!({ "text": text }))
            .await
            .ok();
        let events = app.event_count().await;
        let refused = app.book_request_appointment(&op, &id, &slot).await;
        refused.problem(422, "appointment_not_eligible");
        // While a follow-up awaits its answer, ground (a) will open after
        // more than 15 days; after a reply nothing opens by waiting.
        let awaits_answer = rest == "messages";
        assert_eq!(
            refused.body.get("available_from").is_some(),
            awaits_answer,
            "{refused:?}"
        );
        assert_eq!(app.event_count().await, events, "a refusal appends nothing");
        let d = app
            .request_detail(&op, &id, done["position"].as_i64().unwrap())
            .await;
        assert_eq!(book_action(&d)["allowed"], false, "after {rest}: {d}");
    }
    let done = app
        .post(&op, &path("messages"), json!({ "text": "Secondo seguito" }))
        .await
        .ok();
    let d = app
        .request_detail(&op, &id, done["position"].as_i64().unwrap())
        .await;
    assert_eq!(d["interactions_left"], 0, "{d}");
    // The sede can still answer the last follow-up: the conversation goes on,
    // so ground (c) does not hold yet (it opens after 15 days, ground a).
    assert_eq!(book_action(&d)["allowed"], false, "{d}");
    let refused = app.book_request_appointment(&op, &id, &slot).await;
    refused.problem(422, "appointment_not_eligible");
    let answered = app
        .post(
            &officer,
            &path("replies"),
            json!({ "text": "Terza risposta" }),
        )
        .await
        .ok();
    let d = app
        .request_detail(&op, &id, answered["position"].as_i64().unwrap())
        .await;
    assert_eq!(book_action(&d)["allowed"], true, "{d}");
    let booked = app.book_request_appointment(&op, &id, &slot).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    let position = booked.body["position"].as_i64().unwrap();
    let d = app.request_detail(&op, &id, position).await;
    assert_eq!(d["request"]["status"], "appuntamento_prenotato");
    let timeline = app
        .get(
            &op,
            &format!("{}?min_position={position}", path("timeline")),
        )
        .await
        .ok();
    assert_eq!(
        timeline.as_array().unwrap().last().unwrap()["details"]["ground"],
        "conversation_over"
    );

    // Out of scope: another office of the same patronato, another patronato,
    // an officer of another sede; all 404, nothing appended.
    let events = app.event_count().await;
    let other_sede = if sede == "3202" { "3203" } else { "3202" };
    for stranger in [
        app.operator("op.verdi", who::PATRONATO, who::OTHER_OFFICE),
        app.operator("op.bianchi", who::OTHER_PATRONATO, "ACLI-RM01"),
        app.officer("uff.altro", other_sede),
    ] {
        app.delete(&stranger, &path("appointment"))
            .await
            .problem(404, "not_found");
    }
    assert_eq!(app.event_count().await, events);
    // The owner cancels it.
    app.delete(&op, &path("appointment")).await.ok();
    app.stop().await;
}
