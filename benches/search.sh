#!/usr/bin/env bash
# The full-text search bench on SQLite and PostgreSQL: 1,000,000 messages over 100,000
# tickets (TICKETS, MESSAGES_PER_TICKET), loaded through each store's schema and triggers, then
# search p50/p95 (staff, and one employee's tickets) beside today's substring scan
# (LIKE '%term%') on the same data, with the speed-up factor. See src/bin/searchgen.rs.
#
# Run with: benches/search.sh [sqlite|postgres]   (both when no argument)
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), BENCH_DB (support_search_bench),
# TICKETS (100000), MESSAGES_PER_TICKET (10), RUNS (300), SCAN_RUNS (60).
# The databases are created afresh and deleted at the end (the SQLite file and the PostgreSQL
# database), unless KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
db=${BENCH_DB:-support_search_bench}
stores=${1:-sqlite postgres}
psql_admin=(psql -X -q -h "$host" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1)
dir=$(mktemp -d "${TMPDIR:-/tmp}/search-bench.XXXXXX")

cleanup() {
    if [ "${KEEP_DB:-0}" != 1 ]; then
        rm -rf "$dir"
        "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null || true
    fi
}
trap cleanup EXIT

echo "== building searchgen"
cargo build --release -p support-benches --bin searchgen 2>&1 | tail -1
bin=${CARGO_TARGET_DIR:-target}/release/searchgen
common=(--tickets "${TICKETS:-100000}" --messages-per-ticket "${MESSAGES_PER_TICKET:-10}"
    --runs "${RUNS:-300}" --scan-runs "${SCAN_RUNS:-60}")

for store in $stores; do
    case $store in
        sqlite)
            echo "== sqlite: $dir/search.db"
            "$bin" --store sqlite --url "sqlite://$dir/search.db" "${common[@]}"
            du -h "$dir/search.db" | sed 's/^/file size: /'
            ;;
        postgres)
            echo "== postgres: fresh database $db on $host:$port"
            "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
            "$bin" --store postgres --url "postgres://$user@$host:$port/$db" "${common[@]}"
            psql -X -h "$host" -p "$port" -U "$user" -d "$db" -tA \
                -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
            ;;
        *) echo "unknown store $store (sqlite|postgres)" >&2; exit 2 ;;
    esac
done
