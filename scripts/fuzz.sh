#!/usr/bin/env bash
# make fuzz — schemathesis against the served OpenAPI document (issue 23, item 10).
#
#   - installs schemathesis 4 (PyPI) into .local/venv when missing;
#   - builds target/debug/combipat unless COMBIPAT_BIN names a binary (CI
#     passes the one `make test` built), creates a fresh database on the server of
#     DATABASE_URL (the private cluster's by default), migrates it and loads the
#     demo data, and serves it on 127.0.0.1:$FUZZ_PORT;
#   - runs schemathesis with a token of every role (and once without one),
#     FUZZ_MAX_EXAMPLES examples per operation;
#   - passes when no answer is a 5xx and every status code and content type is
#     one the document declares (checks not_a_server_error,
#     status_code_conformance, content_type_conformance).
#
# `scripts/fuzz.sh install` only installs schemathesis.
# Environment: COMBIPAT_BIN, FUZZ_MAX_EXAMPLES (10), FUZZ_ROLES (all; space-separated),
# FUZZ_PORT (18095), FUZZ_KEEP=1 keeps the database; logs in .local/fuzz/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
PGC_NAME=fuzz
# shellcheck source=scripts/pg-cluster-lib.sh
source "$ROOT/scripts/pg-cluster-lib.sh"
# shellcheck source=scripts/dev-env.sh
source "$ROOT/scripts/dev-env.sh"

FUZZ_MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-10}"
FUZZ_PORT="${FUZZ_PORT:-18095}"
WORK="$ROOT/.local/fuzz"
VENV="$ROOT/.local/venv"
TARGET_DIR="$(cd "$ROOT" && realpath -m "${CARGO_TARGET_DIR:-target}")"
BIN="${COMBIPAT_BIN:-$TARGET_DIR/debug/combipat}"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
ST="$VENV/bin/schemathesis"
export COMBIPAT_LOG="${COMBIPAT_LOG:-warn}"

log() { printf 'fuzz: %s\n' "$*" >&2; }
mkdir -p "$WORK"

if [[ ! -x "$ST" ]]; then
    log "installing schemathesis into $VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian ships venv apart from python3.
        if pgc_is_root && command -v apt-get >/dev/null 2>&1; then
            apt-get update >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >/dev/null
            rm -rf "$VENV"
            python3 -m venv "$VENV"
        else
            log "python3 -m venv failed: install python3-venv"
            exit 1
        fi
    fi
    "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
"$ST" --version
# `scripts/fuzz.sh install`: schemathesis only (CI installs it while cargo compiles).
[[ "${1:-}" != install ]] || exit 0

if [[ -z "${COMBIPAT_BIN:-}" ]]; then
    # `-p combipat-api` unifies the dependencies' features differently from a
    # workspace build: after `make test` it compiles a second binary (A70).
    log "building $BIN"
    cargo build -q -p combipat-api
fi
[[ -x "$BIN" ]] || { log "$BIN not found"; exit 1; }

# DATABASE_URL may carry a query (the private cluster's ?host=<socket dir>).
SERVER_URL="${DATABASE_URL%%\?*}"
QUERY="${DATABASE_URL#"$SERVER_URL"}"
SERVER_URL="${SERVER_URL%/*}"
DB="combipat_fuzz_$(date +%Y%m%d%H%M%S)"
URL="$SERVER_URL/$DB$QUERY"
pgc_find_bindir
psql_admin() { "$PGC_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -tA -d "$SERVER_URL/postgres$QUERY" "$@"; }
psql_admin -c "CREATE DATABASE \"$DB\""

SERVER=""
cleanup() {
    if [[ -n "$SERVER" ]]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    if [[ "${FUZZ_KEEP:-0}" != 1 ]]; then
        psql_admin -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
    fi
}
trap cleanup EXIT

DATABASE_URL="$URL" "$BIN" migrate >"$WORK/seed.log" 2>&1
DATABASE_URL="$URL" "$BIN" seed --demo >>"$WORK/seed.log" 2>&1 || {
    cat "$WORK/seed.log" >&2
    exit 1
}
DATABASE_URL="$URL" COMBIPAT_ADDR="127.0.0.1:$FUZZ_PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$FUZZ_PORT"
ready() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$BASE/readyz" 2>/dev/null; }
for _ in $(seq 1 100); do
    ready && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
ready || { log "the server did not become ready"; cat "$WORK/server.log" >&2; exit 1; }

token() { "$BIN" token "$@"; }
declare -A TOKENS=(
    [operator]="$(token --role operator --patronato INCA --office INCA-RM01 --sub op.rossi)"
    [patronato_admin]="$(token --role patronato_admin --patronato INCA --office INCA-RM01 --sub adm.inca)"
    [regional_referent]="$(token --role regional_referent --patronato INCA --office INCA-LAZ --region LAZ --sub ref.lazio)"
    [sede_officer]="$(token --role sede_officer --sede 3201 --sub uff.bianchi)"
    [auditor]="$(token --role auditor --sub aud.demo)"
    [analyst]="$(token --role analyst --sub ana.demo)"
    [citizen]="$(token --role citizen --sub BNCNNA52S63H501H)"
    [system_admin]="$(token --role system_admin --sub sys.demo)"
    [anonymous]=""
)

failed=()
read -r -a ROLES <<<"${FUZZ_ROLES:-operator patronato_admin regional_referent sede_officer auditor analyst citizen system_admin anonymous}"
for role in "${ROLES[@]}"; do
    log "role $role: $FUZZ_MAX_EXAMPLES examples per operation"
    args=(run "$BASE/api/openapi.json"
        --checks not_a_server_error,status_code_conformance,content_type_conformance
        --max-examples "$FUZZ_MAX_EXAMPLES"
        --request-timeout 30
        --seed 23
        --no-color)
    if [[ -n "${TOKENS[$role]}" ]]; then
        args+=(--header "Authorization: Bearer ${TOKENS[$role]}")
    fi
    # Run from .local/fuzz: schemathesis keeps its cache in ./.schemathesis.
    if ! (cd "$WORK" && "$ST" "${args[@]}") >"$WORK/$role.log" 2>&1; then
        failed+=("$role")
        tail -n 60 "$WORK/$role.log" >&2
    else
        tail -n 3 "$WORK/$role.log" >&2
    fi
done
if ((${#failed[@]})); then
    log "FAILED for: ${failed[*]} (logs in .local/fuzz/)"
    exit 1
fi
log "every role: 0 server errors, statuses and content types as documented"
