#!/usr/bin/env bash
# The full-text search bench on SQLite and PostgreSQL: 1,000,000 messages over 100,000
# tickets (TICKETS, MESSAGES_PER_TICKET), loaded through each store's schema and triggers, then
# search p50/p95 (staff, and one employee's tickets) beside today's substring scan
# (LIKE '%term%') on the same data, with the speed-up factor. See src/bin/searchgen.rs.
#
# Run with: benches/search.sh [sqlite|postgres]   (both when no argument)
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), BENCH_DB (support_search_bench),
# TICKETS (100000), MESSAGES_PER_TICKET (10), ROUNDS (10), SCAN_ROUNDS (2): a round times each
# of the 30 queries once, for the full-text searches and for the scan alike.
# The databases are created afresh and deleted at the end (the SQLite file and the PostgreSQL
# database), unless KEEP_DB=1 (the SQLite file is then kept in BENCH_DIR, default
# /tmp/search-bench); REUSE=1 searches the kept databases again without loading them.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
db=${BENCH_DB:-support_search_bench}
stores=${1:-sqlite postgres}
psql_admin=(psql -X -q -h "$host" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1)
if [ "${KEEP_DB:-0}" = 1 ] || [ "${REUSE:-0}" = 1 ]; then
    dir=${BENCH_DIR:-/tmp/search-bench}
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/search-bench.XXXXXX")
fi
reuse=()
if [ "${REUSE:-0}" = 1 ]; then
    reuse=(--reuse)
fi

cleanup() {
    if [ "${KEEP_DB:-0}" != 1 ] && [ "${REUSE:-0}" != 1 ]; then
        rm -rf "$dir"
        "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null || true
    fi
}
trap cleanup EXIT

echo "== building searchgen"
cargo build --release -p support-benches --bin searchgen 2>&1 | tail -1
bin=${CARGO_TARGET_DIR:-target}/release/searchgen
common=(--tickets "${TICKETS:-100000}" --messages-per-ticket "${MESSAGES_PER_TICKET:-10}"
    --rounds "${ROUNDS:-10}" --scan-rounds "${SCAN_ROUNDS:-2}" "${reuse[@]}")

for store in $stores; do
    case $store in
        sqlite)
            echo "== sqlite: $dir/search.db"
            if [ "${REUSE:-0}" != 1 ]; then rm -f "$dir"/search.db*; fi
            "$bin" --store sqlite --url "sqlite://$dir/search.db" "${common[@]}"
            du -h "$dir/search.db" | sed 's/^/file size: /'
            ;;
        postgres)
            echo "== postgres: fresh database $db on $host:$port"
            if [ "${REUSE:-0}" != 1 ]; then
                "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
            fi
            "$bin" --store postgres --url "postgres://$user@$host:$port/$db" "${common[@]}"
            psql -X -h "$host" -p "$port" -U "$user" -d "$db" -tA \
                -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
            ;;
        *) echo "unknown store $store (sqlite|postgres)" >&2; exit 2 ;;
    esac
done
