//! The citizens' booking app's API (issue 25): Ricerca sede without a token,
//! the service chosen and recorded on the booking, web meeting only at the
//! pilot sedi, one booking read and cancelled by id and code alone; bad
//! input refused with 4xx problem+json; the public reads bounded per client.

use combipat_tests::TestApp;
use domain::actor::Role;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

const NICOLO: &str = "DNGNCL90B28G273B";
/// Roma Monteverde Gianicolense (12-minute slots).
const ROMA: &str = "3231";
/// Thursday 09:06 in Rome.
const SLOT: &str = "2026-12-03T08:06:00Z";

async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

async fn public(app: &TestApp, path: &str) -> combipat_tests::Resp {
    app.send(Method::GET, None, path, None, &[]).await
}

#[sqlx::test(migrations = "../migrations")]
async fn ricerca_sede_goes_from_region_to_sede_without_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let regions = public(&app, "/api/v1/places/regions").await.ok();
    let regions = regions.as_array().unwrap();
    assert_eq!(
        regions.len(),
        20,
        "the 20 regions, not the DCM: {regions:?}"
    );
    assert!(regions
        .iter()
        .any(|r| r["code"] == "LAZ" && r["name"] == "Lazio"));

    let provinces = public(&app, "/api/v1/places/regions/LAZ/provinces")
        .await
        .ok();
    let siglas: Vec<&str> = provinces
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sigla"].as_str().unwrap())
        .collect();
    assert_eq!(siglas.len(), 5, "{siglas:?}");
    assert!(siglas.contains(&"RM") && siglas.contains(&"LT"));
    // Every one of the 107 provinces belongs to exactly one of the 20 regions.
    let mut all = 0;
    for r in regions {
        let path = format!(
            "/api/v1/places/regions/{}/provinces",
            r["code"].as_str().unwrap()
        );
        all += public(&app, &path).await.ok().as_array().unwrap().len();
    }
    assert_eq!(all, 107);

    let towns = public(&app, "/api/v1/places/provinces/RM/municipalities")
        .await
        .ok();
    assert!(towns
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["istat_code"] == "058091" && m["name"] == "Roma"));

    let sedi = public(&app, "/api/v1/places/provinces/RM/sedi?municipality=058091")
        .await
        .ok();
    let sedi = sedi.as_array().unwrap();
    let monteverde = sedi
        .iter()
        .find(|s| s["code"] == ROMA)
        .expect("3231 listed");
    assert_eq!(monteverde["in_municipality"], true);
    assert_eq!(monteverde["web_meeting"], false);
    let address = monteverde["address"].as_str().unwrap();
    assert!(
        address.ends_with(", Roma") && address.chars().any(|c| c.is_ascii_digit()),
        "{address}"
    );
    assert!(
        sedi.iter().all(|s| s["code"] != "3280"),
        "no Polo: citizens do not book there"
    );
    let napoli = public(&app, "/api/v1/places/provinces/NA/sedi").await.ok();
    assert!(napoli
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["web_meeting"] == true));

    // The counters carry their services.
    let counters = public(&app, &format!("/api/v1/sedi/{ROMA}/counters"))
        .await
        .ok();
    assert_eq!(counters["web_meeting"], false);
    assert!(counters["address"].is_string());
    let veloci = counters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["counter"] == "servizi_veloci")
        .unwrap();
    assert!(veloci["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["code"] == "invio_mav" && s["name"] == "Invio MAV"));
}

#[sqlx::test(migrations = "../migrations")]
async fn ricerca_sede_refuses_bad_input_in_italian(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (path, status, code) in [
        (
            "/api/v1/places/regions/L4Z/provinces",
            400,
            "invalid_region",
        ),
        (
            "/api/v1/places/regions/LAZIO/provinces",
            400,
            "invalid_region",
        ),
        (
            "/api/v1/places/regions/XYZ/provinces",
            404,
            "region_not_found",
        ),
        (
            "/api/v1/places/regions/DCM/provinces",
            404,
            "region_not_found",
        ),
        (
            "/api/v1/places/provinces/R1/municipalities",
            400,
            "invalid_province",
        ),
        (
            "/api/v1/places/provinces/ROM/municipalities",
            400,
            "invalid_province",
        ),
        (
            "/api/v1/places/provinces/ZZ/municipalities",
            404,
            "province_not_found",
        ),
        (
            "/api/v1/places/provinces/ZZ/sedi",
            404,
            "province_not_found",
        ),
        (
            "/api/v1/places/provinces/RM/sedi?municipality=58091",
            400,
            "invalid_municipality",
        ),
        (
            "/api/v1/places/provinces/RM/sedi?municipality=abcdef",
            400,
            "invalid_municipality",
        ),
        (
            "/api/v1/places/provinces/RM/sedi?comune=058091",
            400,
            "invalid_query",
        ),
    ] {
        let r = public(&app, path).await;
        assert_ne!(r.status, 500, "{path}: {r:?}");
        r.problem(status, code);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.is_empty() && !detail.contains("Failed"),
            "{path}: {r:?}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn public_reads_and_code_lookups_are_bounded_per_client(pool: PgPool) {
    let limits = api::Limits {
        public_reads_per_client: 3,
        booking_lookups_per_client: 2,
        ..TestApp::limits()
    };
    let app = TestApp::spawn_with(pool, limits, true).await;
    for _ in 0..3 {
        public(&app, "/api/v1/places/regions").await.ok();
    }
    let r = public(&app, "/api/v1/places/provinces/RM/municipalities").await;
    r.problem(429, "too_many_public_reads");
    assert!(r.body["detail"].as_str().unwrap().contains("riprovare"));

    let unknown = "/api/v1/bookings/0190a6f0-0000-7000-8000-000000000000?code=K7M2Q9XA";
    for _ in 0..2 {
        public(&app, unknown)
            .await
            .problem(404, "booking_not_found");
    }
    public(&app, unknown)
        .await
        .problem(429, "too_many_booking_lookups");
}

async fn hold(app: &TestApp, counter: &str, start: &str, cf: &str) -> Value {
    let r = app
        .send(
            Method::POST,
            None,
            &format!("/api/v1/sedi/{ROMA}/counters/{counter}/holds"),
            Some(&json!({"start": start, "codice_fiscale": cf})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

#[sqlx::test(migrations = "../migrations")]
async fn a_booking_is_read_and_cancelled_with_its_code_alone(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let held = hold(&app, "servizi_veloci", SLOT, NICOLO).await;
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        held["hold_id"].as_str().unwrap()
    );
    let send = |body: Value| {
        let confirm = confirm.clone();
        let app = &app;
        async move {
            app.send(Method::POST, None, &confirm, Some(&body), &[])
                .await
        }
    };

    // A service of another counter, and web meeting at a sede outside the pilot.
    let base = json!({"codice_fiscale": NICOLO, "mode": "in_presenza", "mobile": "3331234567"});
    let mut other = base.clone();
    other["service"] = json!("naspi");
    send(other).await.problem(422, "service_unknown");
    let citizen = app.token(Role::Citizen, NICOLO, &[]);
    let r = app
        .send(
            Method::POST,
            Some(&citizen),
            &confirm,
            Some(&json!({"mode": "web_meeting", "email": "n@example.it"})),
            &[],
        )
        .await;
    r.problem(422, "web_meeting_not_offered");

    let mut good = base.clone();
    good["service"] = json!("invio_mav");
    good["reason"] = json!("Duplicato MAV");
    let booked = send(good).await.ok();
    let id = booked["booking_id"].as_str().unwrap();
    let code = booked["code"].as_str().unwrap();
    let position = booked["position"].as_i64().unwrap();

    // Without a token: the code is the proof; a wrong or missing one is "not found".
    let read = public(
        &app,
        &format!("/api/v1/bookings/{id}?code={code}&min_position={position}"),
    )
    .await
    .ok();
    assert_eq!(read["codice_fiscale_masked"], "DNGNCL******273B");
    assert_eq!(read["service_name"], "Invio MAV");
    assert_eq!(
        read["sede_name"],
        "Agenzia complessa di Roma Monteverde Gianicolense"
    );
    assert!(
        read.get("mobile").is_none(),
        "no contacts in the public read: {read}"
    );
    assert_eq!(
        read["ics"],
        format!("/api/v1/bookings/{id}/ics?code={code}")
    );
    let wrong = if code.starts_with('A') { "B" } else { "A" };
    let wrong = format!("{wrong}{}", &code[1..]);
    public(&app, &format!("/api/v1/bookings/{id}?code={wrong}"))
        .await
        .problem(404, "booking_not_found");
    public(&app, &format!("/api/v1/bookings/{id}"))
        .await
        .problem(404, "booking_not_found");
    public(&app, &format!("/api/v1/bookings/{id}?code=!!"))
        .await
        .problem(404, "booking_not_found");
    let ics = public(&app, &format!("/api/v1/bookings/{id}/ics?code={code}")).await;
    assert_eq!(ics.status, 200, "{ics:?}");

    // Another citizen's token does not see it; the booker's does.
    let stranger = app.token(Role::Citizen, "RSSMRA60E12H501E", &[]);
    app.get(&stranger, &format!("/api/v1/bookings/{id}"))
        .await
        .problem(404, "booking_not_found");
    let mine = app
        .get(&citizen, &format!("/api/v1/bookings/{id}"))
        .await
        .ok();
    assert_eq!(mine["ics"], format!("/api/v1/bookings/{id}/ics"));

    // Cancelled with the code alone (no codice fiscale), not with a wrong one.
    let cancel = format!("/api/v1/bookings/{id}/cancellation");
    app.send(
        Method::POST,
        None,
        &cancel,
        Some(&json!({"code": wrong})),
        &[],
    )
    .await
    .problem(404, "booking_not_found");
    let done = app
        .send(
            Method::POST,
            None,
            &cancel,
            Some(&json!({"code": code})),
            &[],
        )
        .await
        .ok();
    let after = public(
        &app,
        &format!(
            "/api/v1/bookings/{id}?code={code}&min_position={}",
            done["position"].as_i64().unwrap()
        ),
    )
    .await
    .ok();
    assert_eq!(after["status"], "cancelled");
}

#[sqlx::test(migrations = "../migrations")]
async fn web_meeting_is_booked_signed_in_at_a_pilot_sede(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let napoli = public(&app, "/api/v1/places/provinces/NA/sedi?municipality=063049")
        .await
        .ok();
    let sede = napoli[0]["code"].as_str().unwrap().to_string();
    let day = public(
        &app,
        &format!("/api/v1/sedi/{sede}/counters/servizi_veloci/slots?date=2026-12-02"),
    )
    .await
    .ok();
    let start = day["slots"][0]["start"].as_str().unwrap().to_string();
    let rosa = app.token(Role::Citizen, "SPSRSO48P55F839M", &[]);
    let held = app
        .post(
            &rosa,
            &format!("/api/v1/sedi/{sede}/counters/servizi_veloci/holds"),
            json!({ "start": start }),
        )
        .await
        .ok();
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        held["hold_id"].as_str().unwrap()
    );
    let booked = app
        .post(
            &rosa,
            &confirm,
            json!({"mode": "web_meeting", "email": "rosa@example.it", "service": "rata_pensione"}),
        )
        .await
        .ok();
    let id = booked["booking_id"].as_str().unwrap();
    let mine = app
        .get(
            &rosa,
            &format!("/api/v1/bookings/{id}?min_position={}", booked["position"]),
        )
        .await
        .ok();
    assert_eq!(mine["mode"], "web_meeting");
    assert_eq!(mine["service_name"], "Rata pensione");
    assert_eq!(mine["authenticated"], true);
}
