#!/usr/bin/env bash
# Private PostgreSQL cluster for local development and tests.
#
#   scripts/pg-local.sh start    # init (first time) + start + create db "combipat"; idempotent
#   scripts/pg-local.sh stop     # fast shutdown, if running
#   scripts/pg-local.sh status   # exit 0 if running/reachable, 3 otherwise
#   scripts/pg-local.sh url      # print the connection URL
#   scripts/pg-local.sh clean    # stop, then delete the private data dir
#   scripts/pg-local.sh shared-buffers [kB]  # the shared_buffers a start writes (for that much memory)
#
# If DATABASE_URL is set (non-empty) the private cluster is not used at all:
# start/stop do nothing and `url` prints $DATABASE_URL.
#
# The data dir is <project>/.local/pg (git-ignored). When running as root the
# cluster runs as the `postgres` OS user; if that user cannot traverse the
# project path (e.g. the project lives under /root), the data dir is placed in
# /var/tmp/combipat-pg-<hash of project path> and recorded in .local/pg-datadir.
#
# Environment: COMBIPAT_PG_PORT (default 54329); COMBIPAT_PG_SHARED_BUFFERS
# (default a quarter of the machine's memory, 256MB to 8GB).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
LOCAL_DIR="$ROOT/.local"
DATADIR_RECORD="$LOCAL_DIR/pg-datadir"
DB_NAME="combipat"
PG_SUPERUSER="postgres"
PORT="${COMBIPAT_PG_PORT:-54329}"
HOST="127.0.0.1"

# Stray libpq variables must not redirect our own admin connections.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGSSLMODE PGDATA || true

log() { printf 'pg-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
    die "COMBIPAT_PG_PORT must be a TCP port number, got '$PORT'"
fi

external_url() { [[ -n "${DATABASE_URL:-}" ]]; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# Run a command as the cluster owner (postgres when we are root, else ourselves),
# from / so that an untraversable cwd does not produce warnings. fd 9 (our lock)
# is closed so that the postmaster does not inherit and hold it forever.
as_owner() {
    if is_root; then
        (cd / && runuser -u "$PG_SUPERUSER" -- "$@" 9>&-)
    else
        (cd / && "$@" 9>&-)
    fi
}

# ---------------------------------------------------------------- data dir ---

# Side-effect free: where the data dir is (or will be by default).
datadir() {
    if [[ -s "$DATADIR_RECORD" ]]; then
        head -n1 "$DATADIR_RECORD"
    else
        printf '%s\n' "$LOCAL_DIR/pg"
    fi
}

fallback_datadir() {
    local hash
    hash="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    printf '/var/tmp/combipat-pg-%s\n' "$hash"
}

ensure_pg_user() {
    is_root || return 0
    if ! getent passwd "$PG_SUPERUSER" >/dev/null; then
        log "creating system user '$PG_SUPERUSER'"
        useradd --system --user-group --no-create-home \
            --home-dir /var/lib/postgresql --shell /bin/bash "$PG_SUPERUSER"
    fi
}

# Decide (once) where the data dir lives, create it with the right owner.
prepare_datadir() {
    mkdir -p "$LOCAL_DIR"
    local dir
    dir="$(datadir)"
    if is_root && [[ ! -s "$DATADIR_RECORD" && ! -e "$dir/PG_VERSION" ]]; then
        # The postgres user must be able to reach .local/pg.
        if ! as_owner test -x "$LOCAL_DIR" && as_owner test -x "$ROOT"; then
            chmod a+x "$LOCAL_DIR" # traverse only; secrets in .local are mode 600
        fi
        if ! as_owner test -x "$LOCAL_DIR"; then
            dir="$(fallback_datadir)"
            log "user '$PG_SUPERUSER' cannot traverse $ROOT; using data dir $dir"
            printf '%s\n' "$dir" >"$DATADIR_RECORD"
        fi
    fi
    if [[ -L "$dir" ]]; then
        die "$dir is a symlink; refusing to use it"
    fi
    if [[ ! -d "$dir" ]]; then
        (umask 077 && mkdir -p "$dir")
    fi
    if is_root; then
        local owner
        owner="$(stat -c %U "$dir")"
        if [[ "$owner" != "$PG_SUPERUSER" ]]; then
            if [[ "$owner" != root ]]; then
                die "$dir is owned by '$owner', expected '$PG_SUPERUSER' or root"
            fi
            chown "$PG_SUPERUSER:" "$dir"
        fi
    fi
    chmod 700 "$dir"
    DATADIR="$dir"
}

# ---------------------------------------------------------------- binaries ---

BINDIR=""

has_server_bins() { [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]; }

find_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" ]] && has_server_bins "$d"; then BINDIR="$d"; return 0; fi
    fi
    d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)" # newest version
    if [[ -n "$d" ]] && has_server_bins "$d"; then BINDIR="$d"; return 0; fi
    if d="$(command -v initdb 2>/dev/null)"; then
        d="$(dirname "$(readlink -f "$d")")"
        if has_server_bins "$d"; then BINDIR="$d"; return 0; fi
    fi
    return 1
}

install_postgres() {
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 ||
            die "PostgreSQL is not installed and we are not root (no sudo): install the 'postgresql' package, or set DATABASE_URL"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "PostgreSQL server binaries not found and apt-get is unavailable: install PostgreSQL, or set DATABASE_URL"
    log "PostgreSQL server binaries not found; installing Debian package 'postgresql'"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
}

ensure_bindir() {
    if ! find_bindir; then
        install_postgres
        find_bindir || die "PostgreSQL installed but initdb/pg_ctl still not found"
    fi
}

client_bin() { # psql / pg_isready: prefer the server's bindir
    if [[ -n "$BINDIR" && -x "$BINDIR/$1" ]]; then
        printf '%s\n' "$BINDIR/$1"
    elif command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    else
        die "$1 not found"
    fi
}

# ----------------------------------------------------------------- process ---

# PID of the postmaster serving $1 (data dir), or failure. Does not trust a
# postmaster.pid whose PID has been reused by an unrelated process.
running_pid() {
    local dir="$1" pidfile pid cwd comm state
    pidfile="$dir/postmaster.pid"
    [[ -r "$pidfile" ]] || return 1
    pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -d "/proc/$pid" ]] || return 1
    # A killed postmaster may linger as a zombie when nothing reaps it (containers).
    state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
    if cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)"; then
        [[ "$cwd" == "$(readlink -f "$dir")" ]] || return 1
    else
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        [[ "$comm" == postgres || "$comm" == postmaster ]] || return 1
    fi
    printf '%s\n' "$pid"
}

# Port of the running cluster (from postmaster.pid), else the configured one.
current_port() {
    local dir port
    dir="$(datadir)"
    if running_pid "$dir" >/dev/null 2>&1; then
        port="$(sed -n 4p "$dir/postmaster.pid" 2>/dev/null || true)"
        if [[ "$port" =~ ^[0-9]+$ ]]; then
            printf '%s\n' "$port"
            return
        fi
    fi
    printf '%s\n' "$PORT"
}

# PIDs of live postgres processes whose cwd is data dir $1 (the postmaster and
# all its children chdir there).
server_pids() {
    local real p
    real="$(readlink -f "$1")"
    for p in /proc/[0-9]*; do
        if [[ "$(readlink "$p/cwd" 2>/dev/null || true)" == "$real" &&
            "$(readlink "$p/exe" 2>/dev/null || true)" == */postgres ]]; then
            printf '%s\n' "${p#/proc/}"
        fi
    done
}

# After a crash (kill -9 of the postmaster) its children may linger, still
# attached to the old shared memory, and then the new postmaster refuses to
# start. Idle ones exit by themselves within moments; a backend busy in a long
# query does not notice until it finishes, so terminate those.
reap_orphans() {
    local dir="$1" i pids=()
    for ((i = 0; i < 30; i++)); do
        mapfile -t pids < <(server_pids "$dir")
        ((${#pids[@]} == 0)) && return 0
        ((i == 0)) && log "waiting for leftover server processes to exit: ${pids[*]}"
        if ((i == 10)); then
            log "terminating leftover server processes: ${pids[*]}"
            kill -QUIT "${pids[@]}" 2>/dev/null || true
        elif ((i == 20)); then
            kill -KILL "${pids[@]}" 2>/dev/null || true
        fi
        sleep 0.5
    done
    log "warning: leftover server processes still running: ${pids[*]}"
}

# Where the cluster in data dir $1 puts its Unix socket: the data dir itself,
# or /tmp when its path is too long for a socket path (~107 bytes).
socket_dir() {
    if ((${#1} > 80)); then echo /tmp; else echo "$1"; fi
}

# A quarter of the machine's memory, between 256 MB and 8 GB (PostgreSQL's
# own advice for a dedicated server). PostgreSQL's buffers are the one cache a
# query can count on: some hosts (this project's VMs among them) reclaim the
# kernel's idle page cache within a minute (decision A49).
# $1: the memory in kB (default: this machine's MemTotal).
shared_buffers_mb() {
    local total_kb="${1:-}" mb
    [[ -n "$total_kb" ]] || total_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null || true)"
    [[ "$total_kb" =~ ^[0-9]+$ ]] || total_kb=$((1024 * 1024))
    mb=$((total_kb / 1024 / 4))
    ((mb < 256)) && mb=256
    ((mb > 8192)) && mb=8192
    echo "$mb"
}

# The shared_buffers a start writes: COMBIPAT_PG_SHARED_BUFFERS, else the above.
shared_buffers() {
    echo "${COMBIPAT_PG_SHARED_BUFFERS:-$(shared_buffers_mb "${1:-}")MB}"
}

write_config() {
    local dir="$1" sockdir
    sockdir="$(socket_dir "$dir")"
    as_owner tee "$dir/combipat.conf" >/dev/null <<EOF
# Managed by scripts/pg-local.sh; rewritten on every start.
port = $PORT
listen_addresses = '$HOST'
unix_socket_directories = '$sockdir'
fsync = on
max_connections = 200
shared_buffers = $(shared_buffers)
# PostgreSQL's 1GB made a checkpoint every ~40 s under load, each followed by a
# burst of full-page images in the WAL (docs/decisions.md A30). Durability is
# unchanged; crash recovery replays at most this much WAL.
max_wal_size = 4GB
EOF
    if ! grep -q "^include_if_exists = 'combipat.conf'" "$dir/postgresql.conf"; then
        printf "\ninclude_if_exists = 'combipat.conf'\n" | as_owner tee -a "$dir/postgresql.conf" >/dev/null
    fi
}

init_cluster() {
    local dir="$1" locale="C"
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale="C.UTF-8"; fi
    if [[ -n "$(ls -A "$dir")" ]]; then
        die "$dir is not empty but holds no cluster (PG_VERSION missing); run 'make clean-db' first"
    fi
    log "initializing cluster in $dir ($("$BINDIR/postgres" --version))"
    as_owner "$BINDIR/initdb" -D "$dir" --auth=trust -U "$PG_SUPERUSER" \
        --encoding=UTF8 --locale="$locale" >"$LOCAL_DIR/initdb.log" 2>&1 || {
        cat "$LOCAL_DIR/initdb.log" >&2
        die "initdb failed"
    }
}

start_server() {
    local dir="$1" pidfile="$1/postmaster.pid" _attempt
    if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        die "port $PORT on $HOST is already in use by another program; set COMBIPAT_PG_PORT to a free port"
    fi
    for _attempt in 1 2; do
        # Not running (checked by caller); clean up after a crash, if any.
        reap_orphans "$dir"
        if [[ -e "$pidfile" ]]; then
            log "removing stale $pidfile"
            rm -f "$pidfile" "$dir"/.s.PGSQL.*.lock
        fi
        if as_owner "$BINDIR/pg_ctl" -D "$dir" -l "$dir/log" -w -t 60 start >/dev/null; then
            return 0
        fi
        running_pid "$dir" >/dev/null && return 0
        sleep 1
    done
    log "server log tail ($dir/log):"
    tail -n 20 "$dir/log" >&2 || true
    die "could not start PostgreSQL (data dir $dir)"
}

wait_ready() {
    local isready i
    isready="$(client_bin pg_isready)"
    for ((i = 0; i < 60; i++)); do
        if "$isready" -q -h "$HOST" -p "$1" -U "$PG_SUPERUSER" -d postgres; then return 0; fi
        sleep 0.5
    done
    die "server did not accept connections on $HOST:$1"
}

ensure_database() {
    local psql port="$1"
    psql="$(client_bin psql)"
    local q=("$psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$port" -U "$PG_SUPERUSER" -d postgres -tA)
    if [[ "$("${q[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
        log "creating database $DB_NAME"
        "${q[@]}" -c "CREATE DATABASE \"$DB_NAME\""
    fi
}

lock() {
    mkdir -p "$LOCAL_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCAL_DIR/pg.lock"
        flock -w 120 9 || die "timed out waiting for $LOCAL_DIR/pg.lock"
    fi
}

# ---------------------------------------------------------------- commands ---

cmd_start() {
    if external_url; then
        log "DATABASE_URL is set; not starting the private cluster"
        return 0
    fi
    lock
    ensure_bindir
    ensure_pg_user
    prepare_datadir
    local dir="$DATADIR" port
    if running_pid "$dir" >/dev/null; then
        port="$(current_port)"
        if [[ "$port" != "$PORT" ]]; then
            log "warning: cluster already running on port $port (COMBIPAT_PG_PORT=$PORT ignored until restart)"
        fi
    else
        [[ -e "$dir/PG_VERSION" ]] || init_cluster "$dir"
        write_config "$dir"
        start_server "$dir"
        port="$PORT"
        log "started PostgreSQL on $HOST:$port (data dir $dir)"
    fi
    wait_ready "$port"
    ensure_database "$port"
}

cmd_stop() {
    if external_url; then
        log "DATABASE_URL is set; nothing to stop"
        return 0
    fi
    local dir
    dir="$(datadir)"
    if ! running_pid "$dir" >/dev/null; then
        log "not running"
        return 0
    fi
    lock
    find_bindir || die "PostgreSQL binaries not found"
    as_owner "$BINDIR/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    log "stopped"
}

cmd_status() {
    if external_url; then
        echo "DATABASE_URL is set: using an external database (not managed here)"
        if command -v pg_isready >/dev/null 2>&1; then
            pg_isready -q -t 5 -d "$DATABASE_URL" || { echo "external database not reachable"; return 3; }
            echo "external database accepting connections"
        fi
        return 0
    fi
    local dir pid
    dir="$(datadir)"
    if pid="$(running_pid "$dir")"; then
        echo "running: pid $pid, port $(current_port), data dir $dir"
        echo "url: $(cmd_url)"
    elif [[ -e "$dir/PG_VERSION" ]]; then
        echo "stopped (data dir $dir)"
        return 3
    else
        echo "not initialized (scripts/pg-local.sh start creates it)"
        return 3
    fi
}

# The private cluster is reached over its Unix socket: the service and its
# database share the machine, and a socket costs the kernel less per round
# trip than loopback TCP (docs/decisions.md A37). The server also listens on
# $HOST:port for tools that want TCP.
cmd_url() {
    if external_url; then
        printf '%s\n' "$DATABASE_URL"
    else
        printf 'postgres://%s@localhost:%s/%s?host=%s\n' "$PG_SUPERUSER" "$(current_port)" "$DB_NAME" \
            "$(socket_dir "$(datadir)")"
    fi
}

cmd_clean() {
    local dir
    dir="$(datadir)"
    if running_pid "$dir" >/dev/null; then
        lock
        find_bindir || die "PostgreSQL binaries not found"
        as_owner "$BINDIR/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    fi
    if [[ -e "$dir" ]]; then
        log "removing $dir"
        rm -rf -- "$dir"
    fi
    rm -f -- "$DATADIR_RECORD" "$LOCAL_DIR/initdb.log"
    if external_url; then
        log "note: DATABASE_URL is set; the external database was not touched"
    fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) cmd_url ;;
shared-buffers) shared_buffers "${2:-}" ;;
clean) cmd_clean ;;
*)
    echo "usage: $0 {start|stop|status|url|clean|shared-buffers [memory in kB]}" >&2
    exit 2
    ;;
esac
