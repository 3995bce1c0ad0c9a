# Throwaway PostgreSQL and S3 (moto) for the benchmarks. Sourced, not run:
#
#   source "$ROOT/bench/pg.sh"
#   pg_start                        # a fresh cluster on a free loopback port
#   url=$(pg_createdb NAME)         # postgres://kycmedia@127.0.0.1:PORT/NAME
#   moto_start BUCKET               # moto on a free port, BUCKET created
#   ... kycmedia serve --database "$url" --storage s3://BUCKET/media \
#           --storage-endpoint "$MOTO_ENDPOINT"
#   services_stop                   # from the caller's EXIT trap; idempotent
#
# The caller defines `say` (progress to stderr) and `die` (message, exit 2).
#
# The cluster is initdb'd into its own temporary directory. initdb refuses to
# run as root, so as root the cluster belongs to the `postgres` user and every
# PostgreSQL program runs through `runuser -u postgres --`. The configuration
# is PostgreSQL's own default (fsync, synchronous_commit, full_page_writes
# on: what a real deployment runs) except for where it listens: TCP on
# 127.0.0.1 only, its Unix socket inside the temporary directory. Extra
# settings, one `name=value` a word, come from BENCH_PG_CONF (e.g.
# "shared_buffers=1GB"); the scripts print them with their results.
#
# The postmaster detaches itself (pg_ctl puts it in its own session), so a
# Ctrl-C in the terminal does not reach it: the EXIT trap stops it with
# `pg_ctl stop -m fast`, then kills its recorded pid if that did not work.
# moto runs as a background job of the calling script and is killed by pid.

PG_BIN=${PG_BIN:-}
PG_DIR=""
PG_PORT=""
PG_PID=""
PG_USER=kycmedia
PG_VERSION=""
MOTO_PID=""
MOTO_PORT=""
MOTO_ENDPOINT=""
MOTO_LOG=""

_pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a PostgreSQL program as the cluster's owner.
_pg_run() {
    local program=$1
    shift
    if ((EUID == 0)); then
        runuser -u postgres -- "$PG_BIN/$program" "$@"
    else
        "$PG_BIN/$program" "$@"
    fi
}

_pg_find_bin() {
    [[ -n $PG_BIN ]] && return 0
    local dir
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        PG_BIN=$(dirname "$(command -v initdb)")
        return 0
    fi
    # Debian keeps them out of the PATH; the newest version wins.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            PG_BIN=$dir
            return 0
        fi
    done
    die "PostgreSQL's initdb and pg_ctl are not installed"
}

pg_start() {
    _pg_find_bin
    command -v psql >/dev/null || die "psql is not installed"
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the cluster"
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kycmedia-pg.XXXXXX")
    chmod 700 "$PG_DIR"
    ((EUID == 0)) && chown postgres: "$PG_DIR"
    # --no-sync only skips flushing initdb's own files: the server started
    # below runs with fsync on.
    _pg_run initdb --pgdata="$PG_DIR/data" --username="$PG_USER" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    PG_PORT=$(_pg_free_port)
    {
        echo "# bench/pg.sh"
        echo "port = $PG_PORT"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$PG_DIR'"
        local setting
        for setting in ${BENCH_PG_CONF:-}; do
            [[ $setting == *=* ]] || die "BENCH_PG_CONF: '$setting' is not name=value"
            echo "${setting%%=*} = '${setting#*=}'"
        done
    } >>"$PG_DIR/data/postgresql.conf"
    say "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT in $PG_DIR${BENCH_PG_CONF:+ with $BENCH_PG_CONF}"
    _pg_run pg_ctl --pgdata="$PG_DIR/data" --log="$PG_DIR/postgres.log" --wait --timeout=60 start >/dev/null ||
        { cat "$PG_DIR/postgres.log" >&2 2>/dev/null; die "PostgreSQL did not start"; }
    PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    [[ $PG_PID =~ ^[0-9]+$ ]] || die "no postmaster pid in $PG_DIR/data/postmaster.pid"
    PG_VERSION=$(pg_psql postgres -At -c "SHOW server_version")
    PG_VERSION=${PG_VERSION%% *}
    export PG_VERSION
}

# Runs psql against DATABASE of the throwaway cluster with the remaining arguments.
pg_psql() {
    local database=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$database" "$@"
}

# Creates an empty database; prints its URL.
pg_createdb() {
    pg_psql postgres -c "CREATE DATABASE \"$1\"" >&2 || die "cannot create database $1"
    echo "postgres://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

# Bytes on disk of a database of the cluster.
pg_database_bytes() {
    pg_psql "$1" -At -c "SELECT pg_database_size(current_database())"
}

# User + system clock ticks used so far by the postmaster and its children
# (the backends serving connections, the WAL writer, the checkpointer...).
pg_cpu_ticks() {
    local pid total=0 ticks
    for pid in "$PG_PID" $(ps -o pid= --ppid "$PG_PID" 2>/dev/null); do
        ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ticks))
    done
    echo "$total"
}

pg_stop() {
    [[ -n $PG_DIR ]] || return 0
    if [[ -n $PG_PID ]] && kill -0 "$PG_PID" 2>/dev/null; then
        _pg_run pg_ctl --pgdata="$PG_DIR/data" --mode=fast --wait --timeout=30 stop >/dev/null 2>&1 || true
        if kill -0 "$PG_PID" 2>/dev/null; then
            kill -9 "$PG_PID" 2>/dev/null || true
            sleep 1
        fi
    elif [[ -z $PG_PID && -f $PG_DIR/data/postmaster.pid ]]; then
        # Interrupted while starting, before the pid was read.
        _pg_run pg_ctl --pgdata="$PG_DIR/data" --mode=fast --wait --timeout=30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    PG_DIR="" PG_PID="" PG_PORT=""
}

# Starts moto on a free port and creates BUCKET. Sets MOTO_ENDPOINT and the
# AWS_* variables kycmedia reads (moto accepts any credentials).
moto_start() {
    command -v moto_server >/dev/null || die "moto_server (pip install 'moto[server]') is not installed"
    MOTO_PORT=$(_pg_free_port)
    MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
    MOTO_LOG=$(mktemp "${TMPDIR:-/tmp}/kycmedia-moto.XXXXXX")
    say "starting moto (S3) on 127.0.0.1:$MOTO_PORT"
    moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
    MOTO_PID=$!
    local _
    for _ in $(seq 200); do
        curl -fsS -o /dev/null "$MOTO_ENDPOINT/" 2>/dev/null && break
        kill -0 "$MOTO_PID" 2>/dev/null || { cat "$MOTO_LOG" >&2; die "moto exited"; }
        sleep 0.1
    done
    curl -fsS -X PUT -o /dev/null "$MOTO_ENDPOINT/$1" || { cat "$MOTO_LOG" >&2; die "moto did not create bucket $1"; }
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
    unset AWS_SESSION_TOKEN AWS_PROFILE
}

moto_stop() {
    if [[ -n $MOTO_PID ]]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    [[ -n $MOTO_LOG ]] && rm -f "$MOTO_LOG"
    MOTO_PID="" MOTO_LOG=""
}

services_stop() {
    moto_stop
    pg_stop
}
