//! Holds without a token (issue 23, item 5; H5): the codice fiscale must
//! belong to someone in the citizen registry (as INPS's own app checks), and
//! holds are rate-limited per client address and per counter-day, so that a
//! script generating codes can neither book out a counter nor probe the
//! registry at speed. GCRA limiters of the `governor` crate, in memory (per
//! process: each API process of a deployment allows its own quota).

use crate::error::ApiError;
use crate::state::{AppState, Limits};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::NaiveDate;
use chrono_tz::Europe::Rome;
use commands::bookings::Caller;
use domain::booking::CounterCode;
use domain::ids::SedeCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

type CounterDay = (SedeCode, CounterCode, NaiveDate);

pub struct AnonymousLimits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_counter_day: DefaultKeyedRateLimiter<CounterDay>,
    /// The citizens' public look-ups ("Ricerca sede"), per client.
    public_reads: DefaultKeyedRateLimiter<IpAddr>,
    /// Reads and cancellations of a booking by id and code without a token.
    booking_lookups: DefaultKeyedRateLimiter<IpAddr>,
}

/// `n` calls at once, then `n` more spread over the hour.
fn hourly(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("at least 1");
    Quota::with_period(Duration::from_secs(3600) / n.get())
        .expect("non-zero period")
        .allow_burst(n)
}

impl AnonymousLimits {
    pub fn new(limits: &Limits) -> Self {
        Self {
            per_client: RateLimiter::keyed(hourly(limits.anonymous_holds_per_client)),
            per_counter_day: RateLimiter::keyed(hourly(limits.anonymous_holds_per_counter_day)),
            public_reads: RateLimiter::keyed(hourly(limits.public_reads_per_client)),
            booking_lookups: RateLimiter::keyed(hourly(limits.booking_lookups_per_client)),
        }
    }
}

/// The client's address as the connection gives it (a deployment behind a
/// proxy sees the proxy's: docs/operations.md). Unspecified when the server
/// was started without connection info.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

/// Keys kept by each limiter before the idle ones are dropped.
const MAX_KEYS: usize = 100_000;

fn too_many(
    code: &'static str,
    detail: &str,
    not_until: governor::NotUntil<governor::clock::QuantaInstant>,
) -> ApiError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    ApiError::TooManyRequests {
        code,
        detail: detail.to_string(),
        retry_after_secs: wait.as_secs() + 1,
    }
}

/// For a caller without a token: within the client's quota, a codice fiscale
/// the registry knows, within the counter-day's quota. Callers with a token
/// pass untouched.
pub async fn admit_hold(
    app: &AppState,
    client: IpAddr,
    caller: &Caller,
    sede: &SedeCode,
    counter: &CounterCode,
    start: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let Caller::Anonymous { codice_fiscale } = caller else {
        return Ok(());
    };
    let limits = &app.anonymous;
    if limits.per_client.len() > MAX_KEYS {
        limits.per_client.retain_recent();
    }
    if limits.per_counter_day.len() > MAX_KEYS {
        limits.per_counter_day.retain_recent();
    }
    limits.per_client.check_key(&client).map_err(|n| {
        too_many(
            "too_many_anonymous_holds",
            "Troppe prenotazioni senza autenticazione da questo indirizzo: riprovare più tardi \
             o accedere con le proprie credenziali",
            n,
        )
    })?;
    let known = app
        .requests
        .citizens()
        .by_codice_fiscale(codice_fiscale)
        .await
        .map_err(ApiError::internal)?
        .iter()
        .any(|c| c.codice_fiscale.is(codice_fiscale));
    if !known {
        return Err(ApiError::Unprocessable {
            code: "citizen_not_found",
            detail: "Il codice fiscale indicato non risulta nell'anagrafe dei cittadini".into(),
        });
    }
    let day = start.with_timezone(&Rome).date_naive();
    limits
        .per_counter_day
        .check_key(&(sede.clone(), counter.clone(), day))
        .map_err(|n| {
            too_many(
                "counter_day_busy",
                "Troppe prenotazioni senza autenticazione per questo sportello e giorno: \
                 riprovare più tardi o accedere con le proprie credenziali",
                n,
            )
        })
}

fn check_client(
    limiter: &DefaultKeyedRateLimiter<IpAddr>,
    client: IpAddr,
    code: &'static str,
    detail: &str,
) -> Result<(), ApiError> {
    if limiter.len() > MAX_KEYS {
        limiter.retain_recent();
    }
    limiter
        .check_key(&client)
        .map_err(|n| too_many(code, detail, n))
}

/// A call of the citizens' public look-ups (regions, provinces,
/// municipalities, sedi of a province), within the client's hourly quota.
pub fn admit_public_read(app: &AppState, client: IpAddr) -> Result<(), ApiError> {
    check_client(
        &app.anonymous.public_reads,
        client,
        "too_many_public_reads",
        "Troppe ricerche da questo indirizzo: riprovare più tardi",
    )
}

/// A read or cancellation of one booking by id and code without a token:
/// each call is a guess of the code, so the quota bounds guessing.
pub fn admit_booking_lookup(app: &AppState, client: IpAddr) -> Result<(), ApiError> {
    check_client(
        &app.anonymous.booking_lookups,
        client,
        "too_many_booking_lookups",
        "Troppe richieste di prenotazioni con codice da questo indirizzo: riprovare più tardi \
         o accedere con le proprie credenziali",
    )
}
