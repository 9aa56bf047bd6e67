//! The private cluster's memory rule (`scripts/pg-local.sh`, decision A49):
//! `shared_buffers` a quarter of the machine's memory, between 256 MB and
//! 8 GB, unless `COMBIPAT_PG_SHARED_BUFFERS` says otherwise.

use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-local.sh");

/// What `pg-local.sh shared-buffers [memory_kb]` prints, with `override_`
/// as `COMBIPAT_PG_SHARED_BUFFERS`.
fn shared_buffers(memory_kb: Option<u64>, override_: Option<&str>) -> String {
    let mut command = Command::new("bash");
    command.arg(SCRIPT).arg("shared-buffers");
    if let Some(kb) = memory_kb {
        command.arg(kb.to_string());
    }
    command.env_remove("COMBIPAT_PG_SHARED_BUFFERS");
    if let Some(value) = override_ {
        command.env("COMBIPAT_PG_SHARED_BUFFERS", value);
    }
    let out = command.output().expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const GIB_KB: u64 = 1024 * 1024;

#[test]
fn shared_buffers_is_a_quarter_of_memory_between_256_mb_and_8_gb() {
    assert_eq!(shared_buffers(Some(24 * GIB_KB), None), "6144MB");
    assert_eq!(shared_buffers(Some(2 * GIB_KB), None), "512MB");
    assert_eq!(shared_buffers(Some(GIB_KB / 2), None), "256MB");
    assert_eq!(shared_buffers(Some(64 * GIB_KB), None), "8192MB");
}

#[test]
fn shared_buffers_follows_this_machines_memory() {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("MemTotal in /proc/meminfo");
    assert_eq!(
        shared_buffers(None, None),
        shared_buffers(Some(total_kb), None)
    );
}

#[test]
fn an_explicit_shared_buffers_wins() {
    assert_eq!(shared_buffers(Some(64 * GIB_KB), Some("1GB")), "1GB");
    assert_eq!(shared_buffers(None, Some("300MB")), "300MB");
}
