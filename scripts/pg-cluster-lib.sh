# shellcheck shell=bash
# Helpers to run throw-away PostgreSQL clusters of our own (a data dir and a
# port each) for scripts/soak.sh and scripts/cluster.sh. Source it:
#
#   source scripts/pg-cluster-lib.sh
#   pgc_init   DIR [initdb args...]   # initdb --auth=trust -U postgres (once)
#   pgc_config DIR PORT [extra lines...]
#   pgc_start  DIR                    # pg_ctl start -w
#   pgc_stop   DIR [mode]             # pg_ctl stop (fast by default), if running
#   pgc_ready  PORT                   # wait until it accepts connections
#   pgc_psql   PORT DB -c "..."       # psql as postgres on 127.0.0.1
#
# Like scripts/pg-local.sh: Debian's binaries (installs the `postgresql`
# package if missing), run as the `postgres` user when we are root (initdb
# refuses root), over 127.0.0.1 only, fsync on. These clusters are separate
# from the development cluster of pg-local.sh, so restarting or killing them
# (soak faults, failover drills) never disturbs anyone else's tests.

PGC_HOST=127.0.0.1
PGC_BINDIR=""

pgc_log() { printf '%s: %s\n' "${PGC_NAME:-pg-cluster}" "$*" >&2; }
pgc_die() {
    pgc_log "error: $*"
    exit 1
}

pgc_is_root() { [[ "$(id -u)" == 0 ]]; }

pgc_as_owner() {
    if pgc_is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

pgc_find_bindir() {
    [[ -n "$PGC_BINDIR" ]] && return 0
    local d
    d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
        PGC_BINDIR="$d"
        return 0
    fi
    if pgc_is_root && command -v apt-get >/dev/null 2>&1; then
        pgc_log "PostgreSQL server binaries not found; installing Debian package 'postgresql'"
        apt-get update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null
        d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
        if [[ -x "$d/initdb" ]]; then
            PGC_BINDIR="$d"
            return 0
        fi
    fi
    pgc_die "PostgreSQL server binaries (initdb, pg_ctl) not found"
}

pgc_ensure_user() {
    pgc_is_root || return 0
    if ! getent passwd postgres >/dev/null; then
        useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
            --shell /bin/bash postgres
    fi
}

# Makes DIR (and its parents) reachable by the cluster owner.
pgc_prepare_dir() {
    local dir="$1" p
    mkdir -p "$dir"
    if pgc_is_root; then
        p="$(dirname "$dir")"
        while [[ "$p" != / ]]; do
            if ! runuser -u postgres -- test -x "$p"; then chmod a+x "$p"; fi
            p="$(dirname "$p")"
        done
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
}

pgc_init() {
    local dir="$1"
    shift
    pgc_find_bindir
    pgc_ensure_user
    [[ -e "$dir/PG_VERSION" ]] && return 0
    pgc_prepare_dir "$dir"
    local locale=C
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
    pgc_as_owner "$PGC_BINDIR/initdb" -D "$dir" --auth=trust -U postgres --encoding=UTF8 \
        --locale="$locale" "$@" >"$dir.initdb.log" 2>&1 || {
        cat "$dir.initdb.log" >&2
        pgc_die "initdb failed for $dir"
    }
}

# Writes DIR/combipat-cluster.conf (included by postgresql.conf).
pgc_config() {
    local dir="$1" port="$2"
    shift 2
    local sockdir="$dir"
    ((${#dir} > 80)) && sockdir=/tmp
    {
        echo "# Managed by scripts/pg-cluster-lib.sh; rewritten on every start."
        echo "port = $port"
        echo "listen_addresses = '$PGC_HOST'"
        echo "unix_socket_directories = '$sockdir'"
        echo "fsync = on"
        echo "max_connections = 200"
        echo "shared_buffers = 256MB"
        echo "max_wal_size = 4GB"
        # The projection workers commit asynchronously (decisions A22): their
        # commits reach the WAL on disk, and so the replica, with the WAL
        # writer's next round. Every 10 ms instead of 200 keeps a replica's
        # read-your-writes wait short (decisions A31).
        echo "wal_writer_delay = 10ms"
        local line
        for line in "$@"; do echo "$line"; done
    } | pgc_as_owner tee "$dir/combipat-cluster.conf" >/dev/null
    if ! grep -q "^include_if_exists = 'combipat-cluster.conf'" "$dir/postgresql.conf"; then
        printf "\ninclude_if_exists = 'combipat-cluster.conf'\n" |
            pgc_as_owner tee -a "$dir/postgresql.conf" >/dev/null
    fi
}

pgc_running() {
    local dir="$1" pid
    [[ -r "$dir/postmaster.pid" ]] || return 1
    pid="$(head -n1 "$dir/postmaster.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ && -d "/proc/$pid" ]] || return 1
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

pgc_start() {
    local dir="$1"
    pgc_find_bindir
    pgc_running "$dir" && return 0
    rm -f "$dir/postmaster.pid"
    pgc_as_owner "$PGC_BINDIR/pg_ctl" -D "$dir" -l "$dir/log" -w -t 120 start >/dev/null || {
        tail -n 20 "$dir/log" >&2 || true
        pgc_die "could not start the cluster in $dir"
    }
}

pgc_stop() {
    local dir="$1" mode="${2:-fast}"
    pgc_find_bindir
    pgc_running "$dir" || return 0
    pgc_as_owner "$PGC_BINDIR/pg_ctl" -D "$dir" -m "$mode" -w -t 120 stop >/dev/null || true
}

pgc_ready() {
    local port="$1" i
    pgc_find_bindir
    for ((i = 0; i < 120; i++)); do
        if "$PGC_BINDIR/pg_isready" -q -h "$PGC_HOST" -p "$port" -U postgres -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    pgc_die "PostgreSQL on port $port did not accept connections"
}

pgc_psql() {
    local port="$1" db="$2"
    shift 2
    pgc_find_bindir
    "$PGC_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGC_HOST" -p "$port" -U postgres -d "$db" -tA "$@"
}

pgc_url() { printf 'postgres://postgres@%s:%s/%s\n' "$PGC_HOST" "$1" "$2"; }

# Waits until URL/readyz answers 200 (bounded).
pgc_wait_http() {
    local url="$1" i
    for ((i = 0; i < 240; i++)); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
        sleep 0.25
    done
    return 1
}
