#!/usr/bin/env bash
# make cluster / make cluster-stop — scale-out on one machine, for real:
#
#   primary   .local/cluster/primary  127.0.0.1:$CLUSTER_PRIMARY_PORT (54340), wal_level=replica
#   replica   .local/cluster/replica  127.0.0.1:$CLUSTER_REPLICA_PORT (54341), made with
#             `pg_basebackup -R` (streaming replication, hot_standby=on)
#   API 1     127.0.0.1:18081  commands + projection workers on the primary,
#             queries on the replica (COMBIPAT_READ_DATABASE_URL)
#   API 2     127.0.0.1:18082  the same (a second stateless replica of the API)
#   API ref   127.0.0.1:18083  primary only, no read URL (the one-server reference
#             for `combipat-bench cluster-check`'s throughput comparison)
#
#   scripts/cluster.sh start    # idempotent; prints the URLs
#   scripts/cluster.sh check    # combipat-bench cluster-check (N=200 read-your-writes, throughput)
#   scripts/cluster.sh status
#   scripts/cluster.sh stop     # API processes, then replica, then primary
#   scripts/cluster.sh clean    # stop and delete .local/cluster
#
# Debian's PostgreSQL packages only; loopback only. The JWT secret is
# $COMBIPAT_JWT_SECRET or .local/cluster/jwt-secret (made once).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
PGC_NAME=cluster
# shellcheck source=scripts/pg-cluster-lib.sh
source "$ROOT/scripts/pg-cluster-lib.sh"

DIR="$ROOT/.local/cluster"
PRIMARY="$DIR/primary"
REPLICA="$DIR/replica"
P_PORT="${CLUSTER_PRIMARY_PORT:-54340}"
R_PORT="${CLUSTER_REPLICA_PORT:-54341}"
API_PORTS=(18081 18082)
REF_PORT=18083
DB=combipat
TARGET_DIR="$(cd "$ROOT" && realpath -m "${CARGO_TARGET_DIR:-target}")"
BIN="$TARGET_DIR/release/combipat"
BENCH="$TARGET_DIR/release/combipat-bench"
PRIMARY_URL="$(pgc_url "$P_PORT" "$DB")"
REPLICA_URL="$(pgc_url "$R_PORT" "$DB")"

log() { printf 'cluster: %s\n' "$*" >&2; }

secret() {
    if [[ -n "${COMBIPAT_JWT_SECRET:-}" ]]; then
        printf '%s\n' "$COMBIPAT_JWT_SECRET"
        return
    fi
    mkdir -p "$DIR"
    if [[ ! -s "$DIR/jwt-secret" ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$DIR/jwt-secret")
    fi
    cat "$DIR/jwt-secret"
}

api_running() { [[ -s "$DIR/api-$1.pid" ]] && kill -0 "$(cat "$DIR/api-$1.pid")" 2>/dev/null; }

start_api() { # port, read URL ('' for none)
    local port="$1" read_url="$2"
    api_running "$port" && return 0
    (
        export DATABASE_URL="$PRIMARY_URL" COMBIPAT_ADDR="127.0.0.1:$port"
        export COMBIPAT_JWT_SECRET
        COMBIPAT_JWT_SECRET="$(secret)"
        export RUST_LOG="${RUST_LOG:-warn}" COMBIPAT_DB_POOL="${COMBIPAT_DB_POOL:-24}"
        if [[ -n "$read_url" ]]; then
            export COMBIPAT_READ_DATABASE_URL="$read_url"
        else
            unset COMBIPAT_READ_DATABASE_URL
        fi
        exec "$BIN" serve >>"$DIR/api-$port.log" 2>&1
    ) &
    echo $! >"$DIR/api-$port.pid"
    pgc_wait_http "http://127.0.0.1:$port/readyz" || {
        tail -n 20 "$DIR/api-$port.log" >&2
        log "API on :$port did not become ready"
        exit 1
    }
}

cmd_start() {
    mkdir -p "$DIR"
    # Primary.
    pgc_init "$PRIMARY"
    pgc_config "$PRIMARY" "$P_PORT" \
        "wal_level = replica" "max_wal_senders = 10" "max_replication_slots = 10" \
        "hot_standby = on" "wal_keep_size = '512MB'"
    pgc_start "$PRIMARY"
    pgc_ready "$P_PORT"
    if [[ "$(pgc_psql "$P_PORT" postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
        pgc_psql "$P_PORT" postgres -c "CREATE DATABASE $DB"
    fi
    # Replica: a base backup of the primary that streams from it (-R writes
    # primary_conninfo and standby.signal).
    if [[ ! -e "$REPLICA/PG_VERSION" ]]; then
        log "pg_basebackup of the primary into $REPLICA"
        pgc_prepare_dir "$REPLICA"
        pgc_as_owner "$PGC_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$P_PORT" -U postgres \
            -D "$REPLICA" -R -X stream -c fast >/dev/null
    fi
    pgc_config "$REPLICA" "$R_PORT" "hot_standby = on" "hot_standby_feedback = on"
    pgc_start "$REPLICA"
    pgc_ready "$R_PORT"
    [[ "$(pgc_psql "$R_PORT" postgres -c "SELECT pg_is_in_recovery()")" == t ]] ||
        pgc_die "the replica on :$R_PORT is not in recovery"

    log "building target/release/combipat and combipat-bench"
    cargo build --release -p combipat-api -p combipat-bench >&2
    DATABASE_URL="$PRIMARY_URL" "$BIN" seed >"$DIR/seed.log" 2>&1 || {
        cat "$DIR/seed.log" >&2
        exit 1
    }
    local port
    for port in "${API_PORTS[@]}"; do start_api "$port" "$REPLICA_URL"; done
    start_api "$REF_PORT" ""
    cmd_status
}

cmd_status() {
    local port
    if pgc_running "$PRIMARY"; then
        echo "primary  $PRIMARY_URL  (wal_level=replica)"
        pgc_psql "$P_PORT" postgres -c \
            "SELECT '  streaming to ' || client_addr || ' state ' || state || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication" || true
    else
        echo "primary  stopped"
    fi
    if pgc_running "$REPLICA"; then
        echo "replica  $REPLICA_URL  (hot standby)"
    else
        echo "replica  stopped"
    fi
    for port in "${API_PORTS[@]}"; do
        if api_running "$port"; then
            echo "API      http://127.0.0.1:$port  pid $(cat "$DIR/api-$port.pid")  DATABASE_URL=primary COMBIPAT_READ_DATABASE_URL=replica"
        else
            echo "API      :$port stopped"
        fi
    done
    if api_running "$REF_PORT"; then
        echo "API ref  http://127.0.0.1:$REF_PORT  pid $(cat "$DIR/api-$REF_PORT.pid")  primary only (one-server reference)"
    fi
    echo "JWT secret: $DIR/jwt-secret (or \$COMBIPAT_JWT_SECRET); check: scripts/cluster.sh check"
}

cmd_check() {
    [[ -x "$BENCH" ]] || cargo build --release -p combipat-bench >&2
    COMBIPAT_JWT_SECRET="$(secret)" CLUSTER_REPLICA_URL="$REPLICA_URL" "$BENCH" cluster-check \
        --api "http://127.0.0.1:${API_PORTS[0]}" --api-single "http://127.0.0.1:$REF_PORT" "$@"
}

cmd_stop() {
    local port pid
    for port in "${API_PORTS[@]}" "$REF_PORT"; do
        if api_running "$port"; then
            pid="$(cat "$DIR/api-$port.pid")"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/api-$port.pid"
    done
    [[ -d "$REPLICA" ]] && pgc_stop "$REPLICA"
    [[ -d "$PRIMARY" ]] && pgc_stop "$PRIMARY"
    log "stopped"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
check)
    shift
    cmd_check "$@"
    ;;
clean)
    cmd_stop
    rm -rf -- "$DIR"
    ;;
*)
    echo "usage: $0 {start|stop|status|check|clean}" >&2
    exit 2
    ;;
esac
