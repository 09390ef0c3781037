#!/usr/bin/env bash
# A throw-away PostgreSQL server on a Unix socket (no TCP) for the store tests.
#   test-postgres.sh start   -> prints the SQLAlchemy URL of an empty scratch database
#   test-postgres.sh stop    -> stops the server and removes its folder
# Prints nothing and exits 1 when no PostgreSQL server binaries are installed.
set -euo pipefail
state=/tmp/spine-endpoints-test-postgres
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || exit 1
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
    [ -d "$state" ] && "$0" stop || true
    mkdir -p "$state"
    [ "$(id -u)" -eq 0 ] && chown postgres "$state"
    run "$bindir/initdb" -D "$state/data" -U postgres -A trust >/dev/null
    run "$bindir/pg_ctl" -D "$state/data" -l "$state/log" -w \
        -o "-k $state -c listen_addresses='' -c fsync=off" start >/dev/null
    run "$bindir/createdb" -h "$state" -U postgres scratch
    echo "postgresql+psycopg://postgres@/scratch?host=$state"
    ;;
stop)
    [ -d "$state/data" ] && run "$bindir/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$state"
    ;;
esac
