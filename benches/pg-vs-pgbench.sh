#!/usr/bin/env bash
# The append bench on PostgreSQL beside pgbench doing single-row inserts, with the same client
# counts (8 and 32) on the same database, printed side by side.
#
# Run with: benches/pg-vs-pgbench.sh
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), BENCH_DB (support_bench),
# DURATION (10, seconds per pgbench run; the criterion bench measures 10 s per case too).
# The database BENCH_DB is created afresh, and dropped at the end unless KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
db=${BENCH_DB:-support_bench}
duration=${DURATION:-10}
url="postgres://$user@$host:$port/$db"
psql_admin=(psql -X -q -h "$host" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1)
psql_db=(psql -X -q -h "$host" -p "$port" -U "$user" -d "$db" -v ON_ERROR_STOP=1)

echo "== fresh database $db on $host:$port"
"${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
"${psql_db[@]}" -c "CREATE TABLE pgbench_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL,
    author_id bigint NOT NULL,
    content text NOT NULL,
    created_at timestamptz NOT NULL)" \
    -c "CREATE INDEX pgbench_messages_by_ticket ON pgbench_messages (ticket_id, id)"

echo "== building the bench"
cargo bench -p support-benches --bench append_postgres --no-run 2>&1 | tail -1

log=$(mktemp)
cleanup() {
    rm -f "$log"
    if [ "${KEEP_DB:-0}" != 1 ]; then
        "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
    fi
}
trap cleanup EXIT
# Each client count runs ours and then pgbench back to back, so that whatever else the
# machine is doing affects both figures of a row alike.
declare -A ours theirs
for clients in 8 32; do
    echo "== support-chat: messages appended through SupportService, $clients writers (criterion)"
    SUPPORT_BENCH_PG_URL=$url cargo bench -p support-benches --bench append_postgres -- \
        "/${clients}_writers\$" 2>&1 | tee -a "$log" | grep -E "thrpt|OVERALL" || true
    ours[$clients]=$(sed -n "s|^OVERALL append_postgres/${clients}_writers: \([0-9]*\) messages/s.*|\1|p" "$log")
    echo "== pgbench: single-row inserts, $clients clients, $duration s"
    out=$(pgbench -h "$host" -p "$port" -U "$user" -n -M prepared -c "$clients" -j 2 \
        -T "$duration" -f benches/pgbench-insert.sql "$db" 2>&1)
    echo "$out" | grep -E "^(latency average|tps)"
    theirs[$clients]=$(echo "$out" | sed -n 's/^tps = \([0-9]*\)\..*/\1/p')
done
echo "== support-chat: 8 writers on one ticket (criterion)"
SUPPORT_BENCH_PG_URL=$url cargo bench -p support-benches --bench append_postgres -- \
    "/8_writers_one_ticket\$" 2>&1 | tee -a "$log" | grep -E "thrpt|OVERALL" || true
shared=$(sed -n "s|^OVERALL append_postgres/8_writers_one_ticket: \([0-9]*\) messages/s.*|\1|p" "$log")

echo
printf '%-8s %22s %22s %8s\n' clients "support-chat msg/s" "pgbench INSERT tps" ratio
for clients in 8 32; do
    o=${ours[$clients]:-0}
    t=${theirs[$clients]:-0}
    ratio=$(awk -v o="$o" -v t="$t" 'BEGIN { if (t > 0) printf "%.2f", o / t; else print "n/a" }')
    printf '%-8s %22s %22s %8s\n' "$clients" "$o" "$t" "$ratio"
done
echo "(8 writers on one ticket, queued on its lock: ${shared:-n/a} msg/s)"
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
