#!/usr/bin/env bash
# support-transport-ws beside sockudo, one after the other in the same run, under the same load
# from the same load generator (benches/src/bin/loadgen.rs), with the figures side by side:
#
#   - deliveries lost and p50/p99/p99.9 delivery latency at RATE publishes/s (5,000) over
#     CHANNELS private channels (1000) x SUBSCRIBERS subscribers (2), events published through
#     the signed HTTP API (POST /apps/{id}/events, one event a request), and the server's CPU
#     time per publish;
#   - the ceiling: the highest publish rate with nothing lost (rising rates, then bisection,
#     CEILING_DURATION s per step; see `loadgen --help` for what passes);
#   - server memory (RSS) per idle subscribed connection, IDLE_CONNECTIONS (10,000) connections
#     each on its own private channel, on a freshly started server.
#
# Every phase starts its server afresh and stops it afterwards. The latency phase runs ROUNDS
# times and the ceiling CEILING_ROUNDS times, the two servers taking turns, because other work
# on a shared machine comes in bursts: the table shows the median latency and the best ceiling.
# Not part of `cargo test` or CI: it takes about 20 minutes and wants the machine to itself.
#
# Run with: benches/ws-vs-sockudo.sh
# Needs sockudo: `apt-get install -y protobuf-compiler && cargo install sockudo` (or SOCKUDO=path).
# Environment (defaults): RATE (5000), CHANNELS (1000), SUBSCRIBERS (2), DURATION (20 s measured
# at RATE), WARMUP (2 s), ROUNDS (3), CEILING_DURATION (10 s per step), CEILING_ROUNDS (2),
# START_RATE (4000), IDLE_CONNECTIONS (10000), PUBLISHERS (64 keep-alive HTTP connections),
# PAYLOAD (100 bytes of data per event), SOURCE_IPS (1), PORT (6001, ours), SOCKUDO_PORT (6002),
# LOG_DIR (a new temporary directory), NICE (unset: run at the caller's priority).
#
# On a machine other people's jobs share, NICE=-10 (as root) runs the script, both servers and
# the load generator ahead of those jobs: the nice value of the script's process and of its
# scheduler autogroup (the session's group that CFS shares the CPUs between when
# kernel.sched_autogroup_enabled=1, where a plain `nice` only ranks processes within the group).
# Start it in a session of its own so nothing else is raised with it:
#
#   NICE=-10 setsid benches/ws-vs-sockudo.sh
#
# REPORT_FROM=DIR prints the table again from the logs of an earlier run, running nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=benches/ws-common.sh
source benches/ws-common.sh
[[ -n ${REPORT_FROM:-} ]] || find_sockudo

rate=${RATE:-5000}
channels=${CHANNELS:-1000}
subscribers=${SUBSCRIBERS:-2}
duration=${DURATION:-20}
warmup=${WARMUP:-2}
ceiling_duration=${CEILING_DURATION:-10}
start_rate=${START_RATE:-4000}
idle=${IDLE_CONNECTIONS:-10000}
publishers=${PUBLISHERS:-64}
rounds=${ROUNDS:-3}
ceiling_rounds=${CEILING_ROUNDS:-2}
payload=${PAYLOAD:-100}
source_ips=${SOURCE_IPS:-1}
our_port=${PORT:-6001}
sockudo_port=${SOCKUDO_PORT:-6002}
if [[ -n ${REPORT_FROM:-} ]]; then
    log_dir=$REPORT_FROM
    rounds=$(find "$log_dir" -name 'ours-latency-*.txt' | wc -l)
    ceiling_rounds=$(find "$log_dir" -name 'ours-ceiling-*.txt' | wc -l)
else
    log_dir=${LOG_DIR:-$(mktemp -d /tmp/ws-vs-sockudo.XXXXXX)}
    mkdir -p "$log_dir"
fi

run_all() {
    raise_priority

    # 10,000 connections need as many descriptors on each side.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    if (($(ulimit -n) < idle + 200)); then
        echo "warning: ulimit -n is $(ulimit -n); $idle connections need more" >&2
    fi

    echo "== building (release): bench_server example and loadgen"
    cargo build --release -q -p support-transport-ws --example bench_server
    cargo build --release -q -p support-benches --bin loadgen
    server_bin=target/release/examples/bench_server
    loadgen_bin=target/release/loadgen
    echo "   sockudo: $sockudo ($("$sockudo" --version 2>/dev/null | head -1 || echo "version unknown"))"
    echo "   logs: $log_dir"
    trap stop_server EXIT

    label() { if [[ $1 == ours ]]; then echo support-transport-ws; else echo sockudo; fi; }
    port_of() { if [[ $1 == ours ]]; then echo "$our_port"; else echo "$sockudo_port"; fi; }

    # phase NAME ID LOADGEN-ARGS…: a freshly started server, one load generator run, stopped.
    phase() {
        local name=$1 id=$2
        shift 2
        start_server "$name" "$(port_of "$name")" "$log_dir/$name-server-$id.log"
        run_loadgen "$name" "$(port_of "$name")" "$id" "$@" || exit 1
        stop_server
    }

    for name in ours sockudo; do
        echo "== $(label "$name"): memory per idle subscribed connection ($idle connections, fresh server)"
        phase "$name" idle --mode idle --channels "$idle" --subscribers 1
    done
    # Other work on a shared machine only ever adds latency and lowers the ceiling, in bursts: the
    # servers take turns, round after round, and the table shows the median latency and the best
    # ceiling of the rounds (every round's figures are in the logs).
    for round in $(seq "$rounds"); do
        for name in ours sockudo; do
            echo "== $(label "$name"), round $round/$rounds: $rate publishes/s over $channels private channels x $subscribers, ${duration} s"
            phase "$name" "latency-$round" --mode latency --channels "$channels" \
                --subscribers "$subscribers" --rate "$rate" --duration "$duration" --warmup "$warmup"
        done
    done
    for round in $(seq "$ceiling_rounds"); do
        for name in ours sockudo; do
            echo "== $(label "$name"), round $round/$ceiling_rounds: ceiling (highest rate with nothing lost, ${ceiling_duration} s steps)"
            phase "$name" "ceiling-$round" --mode ceiling --channels "$channels" \
                --subscribers "$subscribers" --duration "$ceiling_duration" --warmup 1 \
                --start-rate "$start_rate"
        done
    done
}

[[ -n ${REPORT_FROM:-} ]] || run_all

# each NAME PHASE KEY ROUNDS: the key's value in every round, one a line.
each() { for r in $(seq "$4"); do field "$1" "$2-$r" "$3"; done; }

declare -A lost p50 p99 p999 achieved cpu lg_cpu ceiling mem
for name in ours sockudo; do
    lost[$name]=$(each "$name" latency lost "$rounds" | sum)
    p50[$name]=$(each "$name" latency p50_us "$rounds" | median)
    p99[$name]=$(each "$name" latency p99_us "$rounds" | median)
    p999[$name]=$(each "$name" latency p999_us "$rounds" | median)
    achieved[$name]=$(each "$name" latency achieved "$rounds" | median)
    cpu[$name]=$(each "$name" latency server_cpu_ns_per_publish "$rounds" | median)
    lg_cpu[$name]=$(each "$name" latency loadgen_cpu_ns_per_publish "$rounds" | median)
    ceiling[$name]=$(each "$name" ceiling ceiling "$ceiling_rounds" | best)
    mem[$name]=$(field "$name" idle bytes_per_connection)
done

echo
echo "== side by side: same run, same load (ratio = support-transport-ws / sockudo)"
echo "   latency: median of $rounds rounds of ${duration} s; ceiling: best of $ceiling_rounds rounds"
row "figure" "support-transport-ws" "sockudo" "ratio" "goal"
row "lost deliveries at $rate/s (all rounds)" "${lost[ours]}" "${lost[sockudo]}" "" \
    "0: $(verdict "$([[ ${lost[ours]} == 0 ]] && echo 1)")"
row "publish rate achieved when asked $rate/s" "${achieved[ours]}" "${achieved[sockudo]}" \
    "$(ratio "${achieved[ours]}" "${achieved[sockudo]}")" ""
for q in p50 p99 p999; do
    declare -n v=$q
    goal=""
    [[ $q == p99 ]] && goal="<= sockudo's: $(verdict "$(awk -v o="${v[ours]}" -v s="${v[sockudo]}" 'BEGIN { if (o <= s) print 1 }')")"
    row "${q/p999/p99.9} delivery latency at $rate/s (ms)" "$(ms "${v[ours]}")" "$(ms "${v[sockudo]}")" \
        "$(ratio "${v[ours]}" "${v[sockudo]}")" "$goal"
done
row "server CPU per publish at $rate/s (us)" "$(us "${cpu[ours]}")" "$(us "${cpu[sockudo]}")" \
    "$(ratio "${cpu[ours]}" "${cpu[sockudo]}")" ""
row "load generator CPU per publish at $rate/s (us)" "$(us "${lg_cpu[ours]}")" "$(us "${lg_cpu[sockudo]}")" \
    "$(ratio "${lg_cpu[ours]}" "${lg_cpu[sockudo]}")" ""
row "ceiling: publishes/s with nothing lost" "${ceiling[ours]}" "${ceiling[sockudo]}" \
    "$(ratio "${ceiling[ours]}" "${ceiling[sockudo]}")" \
    ">= 1.5 x sockudo's: $(verdict "$(awk -v o="${ceiling[ours]}" -v s="${ceiling[sockudo]}" 'BEGIN { if (o >= 1.5 * s) print 1 }')")"
row "memory per idle subscribed connection (KB)" "$(kb "${mem[ours]}")" "$(kb "${mem[sockudo]}")" \
    "$(ratio "${mem[ours]}" "${mem[sockudo]}")" \
    "<= 16 KB: $(verdict "$( ((mem[ours] <= 16384)) && echo 1)")"
echo "(load generator output, per round, and server logs: $log_dir)"
