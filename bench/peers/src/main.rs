//! `combipat-bench-peers`: one-event commands through a peer event-sourcing
//! library, at N concurrent writers, for a fixed time. Called by
//! `combipat-bench` between its own rounds so that the figures are measured
//! side by side against the same raw-SQL baseline (docs/benchmarks.md).
//!
//! ```text
//! combipat-bench-peers <cqrs-es|esrs> <database-url> <writers> <seconds> <payload.json>
//! ```
//!
//! Prints one line: `events=<n> seconds=<s> errors=<e>`.
//!
//! Each command creates a new aggregate and emits one event whose payload is
//! the JSON in `payload.json` (the same `RequestSent` document combipat and the
//! baseline write), in the library's own transaction, exactly as an
//! application using the library would.

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub payload: serde_json::Value,
}

#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

// ------------------------------------------------------------------ cqrs-es --

mod cqrs {
    use super::{Refused, Sent};
    use cqrs_es::event_sink::EventSink;
    use cqrs_es::{Aggregate, DomainEvent};
    use serde::{Deserialize, Serialize};

    impl DomainEvent for Sent {
        fn event_type(&self) -> String {
            "RequestSent".to_string()
        }
        fn event_version(&self) -> String {
            "1".to_string()
        }
    }

    #[derive(Debug, Default, Serialize, Deserialize)]
    pub struct Request {
        pub sent: bool,
    }

    impl Aggregate for Request {
        const TYPE: &'static str = "request";
        type Command = serde_json::Value;
        type Event = Sent;
        type Error = Refused;
        type Services = ();

        async fn handle(
            &mut self,
            command: Self::Command,
            _services: &Self::Services,
            sink: &EventSink<Self>,
        ) -> Result<(), Self::Error> {
            if self.sent {
                return Err(Refused);
            }
            sink.write(Sent { payload: command }, self).await;
            Ok(())
        }

        fn apply(&mut self, _event: Self::Event) {
            self.sent = true;
        }
    }
}

// --------------------------------------------------------------------- esrs --

mod es {
    use super::{Refused, Sent};

    #[derive(Debug, Default)]
    pub struct State {
        pub sent: bool,
    }

    pub struct Request;

    impl esrs::Aggregate for Request {
        const NAME: &'static str = "peer_esrs_request";
        type State = State;
        type Command = serde_json::Value;
        type Event = Sent;
        type Error = Refused;

        fn handle_command(
            state: &Self::State,
            command: Self::Command,
        ) -> Result<Vec<Self::Event>, Self::Error> {
            if state.sent {
                return Err(Refused);
            }
            Ok(vec![Sent { payload: command }])
        }

        fn apply_event(_state: Self::State, _payload: Self::Event) -> Self::State {
            State { sent: true }
        }
    }
}

async fn setup_cqrs(pool: &PgPool) -> Result<(), sqlx::Error> {
    // postgres-es creates no tables: its db/init.sql, with our table names.
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS peer_cqrs_events (
            aggregate_type text NOT NULL,
            aggregate_id   text NOT NULL,
            sequence       bigint CHECK (sequence >= 0) NOT NULL,
            event_type     text NOT NULL,
            event_version  text NOT NULL,
            payload        json NOT NULL,
            metadata       json NOT NULL,
            PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS peer_cqrs_snapshots (
            aggregate_type   text NOT NULL,
            aggregate_id     text NOT NULL,
            last_sequence    bigint CHECK (last_sequence >= 0) NOT NULL,
            current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
            payload          json NOT NULL,
            PRIMARY KEY (aggregate_type, aggregate_id, last_sequence))",
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!(
            "usage: combipat-bench-peers <cqrs-es|esrs> <database-url> <writers> <seconds> <payload.json>"
        );
        std::process::exit(2);
    }
    let lib = args[1].clone();
    let url = &args[2];
    let writers: usize = args[3].parse().expect("writers");
    let seconds: f64 = args[4].parse().expect("seconds");
    let payload: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&args[5]).expect("payload file"))
            .expect("payload JSON");

    let pool = PgPoolOptions::new()
        .max_connections(writers as u32)
        .min_connections(writers as u32)
        .connect(url)
        .await
        .expect("connect");
    let events = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let duration = Duration::from_secs_f64(seconds);

    let elapsed = match lib.as_str() {
        "cqrs-es" => {
            setup_cqrs(&pool).await.expect("peer tables");
            let repo = postgres_es::PostgresEventRepository::new(pool.clone())
                .with_tables("peer_cqrs_events", "peer_cqrs_snapshots");
            let store = cqrs_es::persist::PersistedEventStore::new_event_store(repo);
            let cqrs = Arc::new(cqrs_es::CqrsFramework::<cqrs::Request, _>::new(
                store,
                vec![],
                (),
            ));
            let started = Instant::now();
            let deadline = started + duration;
            let mut tasks = Vec::new();
            for _ in 0..writers {
                let cqrs = cqrs.clone();
                let payload = payload.clone();
                let events = events.clone();
                let errors = errors.clone();
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let id = uuid::Uuid::new_v4().to_string();
                        match cqrs.execute(&id, payload.clone()).await {
                            Ok(()) => events.fetch_add(1, Ordering::Relaxed),
                            Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                }));
            }
            for t in tasks {
                t.await.expect("writer");
            }
            started.elapsed()
        }
        "esrs" => {
            let store = esrs::store::postgres::PgStoreBuilder::<es::Request>::new(pool.clone())
                .try_build()
                .await
                .expect("esrs store");
            let manager = Arc::new(esrs::manager::AggregateManager::new(store));
            let started = Instant::now();
            let deadline = started + duration;
            let mut tasks = Vec::new();
            for _ in 0..writers {
                let manager = manager.clone();
                let payload = payload.clone();
                let events = events.clone();
                let errors = errors.clone();
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let state = esrs::AggregateState::new();
                        match manager.handle_command(state, payload.clone()).await {
                            Ok(Ok(_)) => events.fetch_add(1, Ordering::Relaxed),
                            _ => errors.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                }));
            }
            for t in tasks {
                t.await.expect("writer");
            }
            started.elapsed()
        }
        other => {
            eprintln!("unknown library {other} (cqrs-es, esrs)");
            std::process::exit(2);
        }
    };
    println!(
        "events={} seconds={:.3} errors={}",
        events.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    pool.close().await;
}
