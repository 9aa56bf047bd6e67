#!/usr/bin/env bash
# make soak — a bounded load run with faults (loopback only):
#
#   - a PostgreSQL cluster of its own (.local/soak/pg, port $SOAK_PG_PORT, fsync on),
#     so that restarting it disturbs nobody else's database;
#   - API process A (`combipat serve`, with projection workers), API process B
#     (`combipat serve --no-workers`) and a projection process P (`combipat project`):
#     two API processes and two processes running the projection workers
#     (one active worker per projection, the other standing by);
#   - `combipat-bench soak-load`: operators create requests, sede officers take
#     them in charge and reply, each command with its own Idempotency-Key,
#     retried with the same key when no answer comes; every 2xx is recorded;
#   - faults: SIGKILL of A (restarted), restart of PostgreSQL, SIGKILL of P
#     (restarted), all while the load runs;
#   - each created request is read back (`GET /requests/{id}`, a read of the citizen's
#     personal data) with a purpose of its own; every read answered 200 is recorded;
#   - then `combipat-bench soak-verify`: "acknowledged: N, in log: N, duplicated: 0",
#     "detail reads answered 200: M, with their record in the read log: M" (no read
#     answered unrecorded across the kills) and every projection compared with a
#     fresh rebuild of itself.
#
# Exit status non-zero on any mismatch. Environment: SOAK_SECS (150),
# SOAK_PG_PORT (54336), SOAK_CLIENTS (16), SOAK_KEEP=1 keeps the data dir,
# SOAK_PROFILE (release; `debug` reuses a debug build's cache for a quick check).
# With DATABASE_URL set, that database server is used instead and the
# PostgreSQL restart is skipped (it is not ours to restart).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
PGC_NAME=soak
# shellcheck source=scripts/pg-cluster-lib.sh
source "$ROOT/scripts/pg-cluster-lib.sh"

SOAK_SECS="${SOAK_SECS:-150}"
SOAK_PG_PORT="${SOAK_PG_PORT:-54336}"
SOAK_CLIENTS="${SOAK_CLIENTS:-16}"
WORK="$ROOT/.local/soak"
PGDIR="$WORK/pg"
TARGET_DIR="$(cd "$ROOT" && realpath -m "${CARGO_TARGET_DIR:-target}")"
SOAK_PROFILE="${SOAK_PROFILE:-release}"
case "$SOAK_PROFILE" in
    release) PROFILE_FLAG=(--release) ;;
    debug) PROFILE_FLAG=() ;;
    *) echo "soak: SOAK_PROFILE must be release or debug" >&2; exit 2 ;;
esac
BIN="$TARGET_DIR/$SOAK_PROFILE/combipat"
BENCH="$TARGET_DIR/$SOAK_PROFILE/combipat-bench"
PORT_A=18091
PORT_B=18092
export COMBIPAT_JWT_SECRET="${COMBIPAT_JWT_SECRET:-combipat-soak-secret}"
export RUST_LOG="${RUST_LOG:-warn}"

log() { printf 'soak: %s\n' "$*" >&2; }

mkdir -p "$WORK"
rm -f "$WORK"/*.log "$WORK/acks.jsonl" "$WORK/reads.jsonl"

OWN_PG=1
if [[ -n "${DATABASE_URL:-}" ]]; then
    OWN_PG=0
    ADMIN_URL="$DATABASE_URL"
    log "DATABASE_URL is set: using that server; the PostgreSQL restart fault is skipped"
else
    pgc_init "$PGDIR"
    pgc_config "$PGDIR" "$SOAK_PG_PORT" "idle_in_transaction_session_timeout = '60s'"
    pgc_start "$PGDIR"
    pgc_ready "$SOAK_PG_PORT"
    ADMIN_URL="$(pgc_url "$SOAK_PG_PORT" postgres)"
fi
DB="combipat_soak_$(date +%Y%m%d%H%M%S)"
URL="${ADMIN_URL%/*}/$DB"
pgc_find_bindir
PSQL="$PGC_BINDIR/psql"
psql_admin() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -tA -d "${ADMIN_URL%/*}/postgres" "$@"; }
psql_admin -c "CREATE DATABASE \"$DB\""
log "database $DB"

log "building target/$SOAK_PROFILE/combipat and combipat-bench"
cargo build "${PROFILE_FLAG[@]}" -p combipat-api -p combipat-bench

DATABASE_URL="$URL" "$BIN" seed >"$WORK/seed.log" 2>&1 || {
    cat "$WORK/seed.log" >&2
    exit 1
}

declare -A PIDS=()
start_proc() { # name, then the combipat arguments
    local name="$1"
    shift
    DATABASE_URL="$URL" COMBIPAT_DB_POOL=16 "$BIN" "$@" >>"$WORK/$name.log" 2>&1 &
    PIDS[$name]=$!
}
start_a() { COMBIPAT_ADDR="127.0.0.1:$PORT_A" start_proc a serve; }
start_b() { COMBIPAT_ADDR="127.0.0.1:$PORT_B" COMBIPAT_NO_WORKERS=true start_proc b serve; }
start_p() { start_proc p project; }

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local name
    for name in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$name]}" 2>/dev/null || true
    done
    if [[ -n "${LOAD_PID:-}" ]]; then kill -TERM "$LOAD_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    if [[ "${SOAK_KEEP:-0}" != 1 ]]; then
        psql_admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" 2>/dev/null || true
        if ((OWN_PG)); then pgc_stop "$PGDIR"; fi
    fi
}
trap cleanup EXIT

peak_rss() { sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null || echo "?"; }

start_a
start_b
start_p
pgc_wait_http "http://127.0.0.1:$PORT_A/readyz" || { tail "$WORK/a.log" >&2; exit 1; }
pgc_wait_http "http://127.0.0.1:$PORT_B/readyz" || { tail "$WORK/b.log" >&2; exit 1; }
log "A :$PORT_A (serve, workers) pid ${PIDS[a]}, B :$PORT_B (serve --no-workers) pid ${PIDS[b]}, P (project) pid ${PIDS[p]}"

CITIZENS="$("$PSQL" -X -tA -d "$URL" -c "SELECT string_agg(codice_fiscale, ',') FROM (SELECT c.codice_fiscale FROM ref_citizens c WHERE EXISTS (SELECT 1 FROM ref_cap_routes r WHERE c.cap LIKE r.cap_prefix || '%') ORDER BY md5(c.codice_fiscale) LIMIT 200) s")"
"$BENCH" soak-load --api "http://127.0.0.1:$PORT_A,http://127.0.0.1:$PORT_B" \
    --secs "$SOAK_SECS" --clients "$SOAK_CLIENTS" --acks "$WORK/acks.jsonl" \
    --reads "$WORK/reads.jsonl" --citizens "$CITIZENS" >"$WORK/load.log" 2>&1 &
LOAD_PID=$!
T0=$SECONDS
at() { # sleep until $1 seconds after the start of the load
    local d=$(($1 - (SECONDS - T0)))
    ((d > 0)) && sleep "$d"
    return 0
}
acked() { wc -l <"$WORK/acks.jsonl" 2>/dev/null || echo 0; }

at $((SOAK_SECS * 20 / 100))
log "t=$((SECONDS - T0))s acknowledged so far: $(acked); A peak RSS $(peak_rss "${PIDS[a]}"); SIGKILL A (pid ${PIDS[a]})"
kill -KILL "${PIDS[a]}"
wait "${PIDS[a]}" 2>/dev/null || true
sleep 2
start_a
log "A restarted (pid ${PIDS[a]})"

at $((SOAK_SECS * 45 / 100))
if ((OWN_PG)); then
    log "t=$((SECONDS - T0))s acknowledged so far: $(acked); restarting PostgreSQL (pg_ctl stop -m fast; start)"
    pgc_stop "$PGDIR" fast
    sleep 2
    pgc_start "$PGDIR"
    pgc_ready "$SOAK_PG_PORT"
    log "PostgreSQL back"
else
    log "PostgreSQL restart skipped (external DATABASE_URL)"
fi

at $((SOAK_SECS * 70 / 100))
log "t=$((SECONDS - T0))s acknowledged so far: $(acked); SIGKILL P (pid ${PIDS[p]})"
kill -KILL "${PIDS[p]}"
wait "${PIDS[p]}" 2>/dev/null || true
sleep 1
start_p
log "P restarted (pid ${PIDS[p]})"

wait "$LOAD_PID" || { cat "$WORK/load.log" >&2; exit 1; }
LOAD_PID=""
cat "$WORK/load.log"
log "peak RSS: A $(peak_rss "${PIDS[a]}") (since its restart), B $(peak_rss "${PIDS[b]}"), P $(peak_rss "${PIDS[p]}")"

# The check: projections are still being applied by the live workers while it
# waits for them to reach the end of the log; then each is compared with a rebuild.
set +e
DATABASE_URL="$URL" "$BENCH" soak-verify --acks "$WORK/acks.jsonl" --reads "$WORK/reads.jsonl"
status=$?
set -e
for name in a b p; do
    if grep -q "panicked" "$WORK/$name.log"; then
        log "process $name panicked (see $WORK/$name.log)"
        status=1
    fi
done
exit $status
