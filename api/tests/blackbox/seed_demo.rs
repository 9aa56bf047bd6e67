//! `combipat seed --demo` on the real binary (issue 26): the demo requests'
//! personal fields are sealed with the deployment's master key, as the
//! server seals them, and open with it; without any key it refuses to seed.

use commands::privacy::crypto::LocalMasterKey;
use sqlx::PgPool;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

const MARIO: &str = "RSSMRA60E12H501E";
const MARIO_TEXT: &str = "requisiti contributivi servono per la NASpI";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = base.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!(
        "{server}/{}",
        pool.connect_options().get_database().unwrap()
    )
}

/// `combipat seed --demo` with only the variables given (no JWT secret nor
/// key from the environment this test runs in).
fn seed(db: &str, env: &[(&str, String)]) -> Output {
    combipat(&["seed", "--demo"], db, env)
}

/// `combipat <args>` with only the variables given.
fn combipat(args: &[&str], db: &str, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_combipat"));
    cmd.args(args)
        .env("DATABASE_URL", db)
        .env("COMBIPAT_DB_POOL", "4")
        .env("COMBIPAT_REFERENCE_DIR", root().join("reference"));
    for var in [
        "COMBIPAT_JWT_SECRET",
        "COMBIPAT_MASTER_KEY",
        "COMBIPAT_MASTER_KEY_FILE",
        "COMBIPAT_PSEUDONYM_KEY",
        "COMBIPAT_PSEUDONYM_KEY_FILE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the combipat binary runs")
}

#[sqlx::test(migrations = "../migrations")]
async fn demo_requests_are_sealed_with_the_deployments_master_key(pool: PgPool) {
    let db = database_url(&pool);
    let refused = seed(&db, &[]);
    assert!(!refused.status.success(), "seeded without a key");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 0, "nothing written without a key");

    let dir = std::env::temp_dir().join(format!("combipat-seed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, format!("{}\n", "5a".repeat(32))).unwrap();
    let out = seed(
        &db,
        &[
            ("COMBIPAT_MASTER_KEY_FILE", key_file.display().to_string()),
            ("COMBIPAT_PSEUDONYM_KEY", "6b".repeat(32)),
        ],
    );
    assert!(out.status.success(), "{out:?}");

    // Stored sealed, under keys wrapped by the configured master key.
    let log: String = sqlx::query_scalar(
        "SELECT string_agg(stream_id || ' ' || payload::text || ' ' || metadata::text, E'\\n') \
         FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(log.contains("_sealed"));
    for clear in [MARIO, MARIO_TEXT] {
        assert!(
            !log.contains(clear),
            "{clear} in clear in the demo's events"
        );
    }
    let master = LocalMasterKey::from_file(&key_file).unwrap();
    let masters: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT master_key_id FROM subject_keys")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(masters, [commands::privacy::crypto::MasterKey::id(&master)]);

    // The server's master key opens them.
    commands::privacy::seal::register_master_key(Arc::new(master));
    let stream: String = sqlx::query_scalar(
        "SELECT stream_id FROM events WHERE event_type = 'RequestSent' ORDER BY position LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let loaded = store::load_stream(&pool, &stream, "request", None)
        .await
        .unwrap();
    let sent = loaded.events[0].payload.to_string();
    assert!(sent.contains(MARIO) && sent.contains(MARIO_TEXT), "{sent}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The projection workers and `combipat rebuild` run in processes of their
/// own: they take the master key as `serve` does, and without one they
/// refuse rather than project what they cannot open.
#[sqlx::test(migrations = "../migrations")]
async fn rebuild_opens_with_the_deployments_master_key(pool: PgPool) {
    let db = database_url(&pool);
    let key = ("COMBIPAT_MASTER_KEY", "5a".repeat(32));
    let pseudonym = ("COMBIPAT_PSEUDONYM_KEY", "6b".repeat(32));
    let out = seed(&db, &[key.clone(), pseudonym.clone()]);
    assert!(out.status.success(), "{out:?}");

    let refused = combipat(
        &["rebuild", "requests"],
        &db,
        std::slice::from_ref(&pseudonym),
    );
    assert!(!refused.status.success(), "rebuilt without a key");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("COMBIPAT_MASTER_KEY"), "{stderr}");

    let rebuilt = combipat(&["rebuild", "requests"], &db, &[key, pseudonym]);
    assert!(rebuilt.status.success(), "{rebuilt:?}");
    let (marios, rows, sent): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM request_summary WHERE codice_fiscale = $1), \
                (SELECT count(*) FROM request_summary), \
                (SELECT count(*) FROM events WHERE event_type = 'RequestSent')",
    )
    .bind(MARIO)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(marios > 0, "the rebuild opened no request of {MARIO}");
    assert_eq!(
        rows, sent,
        "a request of the demo missing after the rebuild"
    );
}
