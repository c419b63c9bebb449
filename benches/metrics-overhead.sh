#!/usr/bin/env bash
# What the metrics cost: the reference server without a metrics flag (no recorder installed,
# every measurement a no-op) beside the same server with `--metrics-token` (the Prometheus
# recorder installed, every connection, subscription, event, frame, HTTP request and store
# call recorded), under the same load from the same load generator (benches/src/bin/loadgen.rs):
#
#   - deliveries lost and p50/p99/p99.9 delivery latency at RATE publishes/s (5,000) over
#     CHANNELS private channels (1000) x SUBSCRIBERS subscribers (2), events published through
#     the signed HTTP API (one event a request: each is one measured HTTP request too), and the
#     server's CPU time per publish;
#   - server memory (RSS) per idle subscribed connection, IDLE_CONNECTIONS (10,000) connections.
#
# The two take turns for ROUNDS rounds (3); the table shows the median of the rounds. After the
# last round with metrics, /metrics is read once and its delivery count is shown beside the
# load generator's. Not part of `cargo test` or CI.
#
# Run with: benches/metrics-overhead.sh
# Environment (defaults): RATE (5000), CHANNELS (1000), SUBSCRIBERS (2), DURATION (20 s), WARMUP
# (2 s), ROUNDS (3), IDLE_CONNECTIONS (10000), PUBLISHERS (64), PAYLOAD (100), PORT (6001),
# LOG_DIR (a new temporary directory), NICE (unset), REPORT_FROM (print the table of an earlier
# run's logs).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=benches/ws-common.sh
source benches/ws-common.sh

rate=${RATE:-5000}
channels=${CHANNELS:-1000}
subscribers=${SUBSCRIBERS:-2}
duration=${DURATION:-20}
warmup=${WARMUP:-2}
idle=${IDLE_CONNECTIONS:-10000}
publishers=${PUBLISHERS:-64}
rounds=${ROUNDS:-3}
payload=${PAYLOAD:-100}
source_ips=1
port=${PORT:-6001}
token=metrics-overhead-token-0123456789
if [[ -n ${REPORT_FROM:-} ]]; then
    log_dir=$REPORT_FROM
    rounds=$(find "$log_dir" -name 'plain-latency-*.txt' | wc -l)
else
    log_dir=${LOG_DIR:-$(mktemp -d /tmp/metrics-overhead.XXXXXX)}
    mkdir -p "$log_dir"
fi

# start NAME: the reference server, with the metrics recorder for `metrics`.
start() {
    reference_flags=(--no-rate-limits --max-connections $((idle + 2 * publishers + 1024)))
    [[ $1 == metrics ]] && reference_flags+=(--metrics-token "$token")
    start_server reference "$port" "$log_dir/$1-server-$2.log"
}

run_all() {
    raise_priority
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    echo "== building (release): reference-server and loadgen"
    cargo build --release -q -p reference-server
    cargo build --release -q -p support-benches --bin loadgen
    reference_bin=target/release/reference-server
    loadgen_bin=target/release/loadgen

    for name in plain metrics; do
        echo "== $name: memory per idle subscribed connection ($idle connections, fresh server)"
        start "$name" idle
        run_loadgen "$name" "$port" idle --mode idle --channels "$idle" --subscribers 1
        stop_server
    done
    for round in $(seq "$rounds"); do
        for name in plain metrics; do
            echo "== $name, round $round/$rounds: $rate publishes/s over $channels private channels x $subscribers, ${duration} s"
            start "$name" "latency-$round"
            run_loadgen "$name" "$port" "latency-$round" --mode latency --channels "$channels" \
                --subscribers "$subscribers" --rate "$rate" --duration "$duration" --warmup "$warmup"
            if [[ $name == metrics && $round == "$rounds" ]]; then
                curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" \
                    >"$log_dir/metrics-scrape.txt"
            fi
            stop_server
        done
    done
}

[[ -n ${REPORT_FROM:-} ]] || run_all

each() { for r in $(seq "$4"); do field "$1" "$2-$r" "$3"; done; }

declare -A lost p50 p99 p999 achieved cpu mem
for name in plain metrics; do
    lost[$name]=$(each "$name" latency lost "$rounds" | sum)
    p50[$name]=$(each "$name" latency p50_us "$rounds" | median)
    p99[$name]=$(each "$name" latency p99_us "$rounds" | median)
    p999[$name]=$(each "$name" latency p999_us "$rounds" | median)
    achieved[$name]=$(each "$name" latency achieved "$rounds" | median)
    cpu[$name]=$(each "$name" latency server_cpu_ns_per_publish "$rounds" | median)
    mem[$name]=$(field "$name" idle bytes_per_connection)
done

echo
echo "== the reference server without and with metrics (ratio = with / without)"
echo "   median of $rounds rounds of ${duration} s at $rate publishes/s, $channels channels x $subscribers"
row "figure" "no metrics" "metrics" "ratio" ""
row "lost deliveries (all rounds)" "${lost[plain]}" "${lost[metrics]}" "" ""
row "publish rate achieved" "${achieved[plain]}" "${achieved[metrics]}" \
    "$(ratio "${achieved[metrics]}" "${achieved[plain]}")" ""
for q in p50 p99 p999; do
    declare -n v=$q
    row "${q/p999/p99.9} delivery latency (ms)" "$(ms "${v[plain]}")" "$(ms "${v[metrics]}")" \
        "$(ratio "${v[metrics]}" "${v[plain]}")" ""
done
row "server CPU per publish (us)" "$(us "${cpu[plain]}")" "$(us "${cpu[metrics]}")" \
    "$(ratio "${cpu[metrics]}" "${cpu[plain]}")" ""
row "memory per idle subscribed connection (KB)" "$(kb "${mem[plain]}")" "$(kb "${mem[metrics]}")" \
    "$(ratio "${mem[metrics]}" "${mem[plain]}")" ""
if [[ -s $log_dir/metrics-scrape.txt ]]; then
    echo "last metrics round, as /metrics counted it:"
    grep -E '^support_ws_(frames_delivered_total|delivery_latency_seconds_count|connections) ' \
        "$log_dir/metrics-scrape.txt" | sed 's/^/   /'
    grep -E '^support_http_requests_total\{.*route="/apps/\{app_id\}/events"' \
        "$log_dir/metrics-scrape.txt" | sed 's/^/   /'
fi
echo "(load generator output, per round, and server logs: $log_dir)"
