#!/usr/bin/env bash
# Upload bench of the real reference-server binary (issue 15): COUNT (64) files of SIZE
# (10 MiB) each, CONCURRENCY (8) at once, uploaded as multipart/form-data to one ticket, on
# SQLite with the attachments in their default folder beside the database, by the load
# generator benches/src/bin/uploadgen.rs (see its header). Every file differs, so every one is
# hashed, typed, written and renamed: nothing is deduplicated away. ROUNDS (3) runs, each on a
# fresh server and database; each holds the lock file LOCK (/tmp/bench.lock, flock) like the
# other benches.
#
# Reported per round: the throughput (MiB/s of file bytes stored) and the server's resident
# memory idle, before the load (after one warm-up upload) and at its peak during it (VmHWM),
# and the peak's growth over the warmed-up and over the idle server: the goal is under 32 MB,
# whatever the file size (try SIZE=52428800 COUNT=16).
#
# Run with: benches/upload.sh
# Environment (defaults): SIZE (10485760), MAX_UPLOAD_BYTES (SIZE), COUNT (64), CONCURRENCY (8),
# ROUNDS (3), PORT (18090), LOCK (/tmp/bench.lock), LOG_DIR (a new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

size=${SIZE:-10485760}
max=${MAX_UPLOAD_BYTES:-$size}
count=${COUNT:-64}
concurrency=${CONCURRENCY:-8}
rounds=${ROUNDS:-3}
port=${PORT:-18090}
lock=${LOCK:-/tmp/bench.lock}
log_dir=${LOG_DIR:-$(mktemp -d /tmp/upload-bench.XXXXXX)}
mkdir -p "$log_dir"

echo "== building (release): reference-server and uploadgen"
# One command for both: built apart, their dependencies' features differ and build twice.
cargo build --release -q -p reference-server -p support-benches --bin reference-server --bin uploadgen
target=${CARGO_TARGET_DIR:-target}
server_bin=$target/release/reference-server
gen_bin=$target/release/uploadgen

users=$log_dir/users.toml
printf '[[user]]\nid = 101\nname = "Alice Employee"\nrole = "employee"\ntoken = "upload-bench-alice-0001"\n' >"$users"

server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

for round in $(seq 1 "$rounds"); do
    data=$log_dir/round-$round
    mkdir -p "$data"
    out=$data/uploadgen.txt
    (
        flock 9
        RUST_LOG=warn "$server_bin" --bind "127.0.0.1:$port" --database-url "sqlite://$data/support.db" \
            --users "$users" --app-key-file "$data/app.key" --no-rate-limits \
            --max-upload-bytes "$max" >"$data/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 300); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
        ticket=$(curl -sf -H 'Authorization: Bearer upload-bench-alice-0001' -H 'Content-Type: application/json' \
            -d '{"subject":"bench","description":"uploads","category":"it","priority":"low"}' \
            "http://127.0.0.1:$port/api/employee/portal/support" | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
        status=0
        "$gen_bin" --port "$port" --token upload-bench-alice-0001 --ticket "$ticket" --size "$size" \
            --concurrency "$concurrency" --count "$count" --server-pid "$pid" >"$out" 2>&1 || status=$?
        stored=$(du -sm "$data/support.db.attachments" | cut -f1)
        echo "STORED mib=$stored" >>"$out"
        kill "$pid"; wait "$pid" 2>/dev/null || true
        exit $status
    ) 9>"$lock"
    grep RESULT "$out" || { cat "$out"; exit 1; }
done

echo "== uploads: $count files of $((size / 1048576)) MiB, $concurrency at once, SQLite + local folder ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-6s %10s %10s %12s %10s %10s %14s\n' round "MiB/s" "idle MB" "warmed MB" "peak MB" "growth MB" "from idle MB"
for round in $(seq 1 "$rounds"); do
    line=$(grep RESULT "$log_dir/round-$round/uploadgen.txt")
    f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%-6s %10s %10s %12s %10s %10s %14s\n' "$round" "$(f throughput_mib_s)" "$(f rss_idle_mib)" "$(f rss_before_mib)" "$(f peak_rss_mib)" "$(f growth_mib)" "$(f growth_from_idle_mib)"
done
echo "(logs: $log_dir)"
