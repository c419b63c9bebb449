#!/usr/bin/env bash
# 100,000 concurrently subscribed websocket connections on ONE reference-server process (the
# real binary, on SQLite), then sockudo under the same load in the same run, with the figures
# side by side. For each server, started afresh, the load generator (benches/src/bin/loadgen.rs,
# mode `scale`) reports:
#
#   - the server's resident memory per subscribed connection: VmRSS once they are all subscribed
#     (and SETTLE s later) minus VmRSS of the fresh server, divided by the count (goal for the
#     reference server: <= 10 KB), with its anonymous part (heap and stacks), the kernel's
#     memory per connection (socket buffers and the slab of the sockets themselves, both ends:
#     in no process's RSS; machine-wide figures, so other work on the machine moves them) and
#     the load generator's own RSS per connection;
#   - the time to connect and subscribe them all (CONNECT_CONCURRENCY handshakes at once);
#   - fan-out while they are all connected: RATE publishes/s (5,000) through the signed HTTP API
#     (POST /apps/{id}/events, one event a request, as benches/ws-vs-sockudo.sh publishes) for
#     WARMUP + DURATION s, delivery latency p50/p99/p99.9 (after the warmup), and every expected
#     delivery counted (lost, duplicated, misrouted: see `loadgen --help`).
#
# Channel layout: CONNECTIONS (100,000) over CONNECTIONS / SUBSCRIBERS private channels of
# SUBSCRIBERS (2) connections each: the layout of benches/ws-vs-sockudo.sh (1,000 channels x 2
# at 5,000 publishes/s) scaled to the count, so its latency figures compare with this one's
# directly and the only difference is the 98,000 more connections held. Each publish goes to one
# channel, the channels in turn: 5,000 publishes/s make 10,000 deliveries/s, and in a 20 s run
# (+2 s warmup) every one of the 50,000 channels gets 2 or 3 events, so each of the 100,000
# connections is checked to receive, not only held open. SUBSCRIBERS=10 (10,000 channels of
# 10, a ticket with its employee and several staff tabs) is the heavier fan-out: 50,000
# deliveries/s, which the two CPUs share with the load generator that reads them all.
#
# The machine: both servers, the load generator and the kernel's side of 2 x CONNECTIONS
# loopback sockets share it. The script raises what it must and says so (as root; it changes
# nothing that is already enough): the file limit of this shell (ulimit -n, inherited by the
# servers and the load generator), fs.nr_open and fs.file-max if they are below it; it checks
# net.ipv4.ip_local_port_range (the connections leave from SOURCE_IPS addresses 127.0.0.x, each
# with that many ports, a separate range for each server since the previous one's ports wait in
# TIME_WAIT), net.core.somaxconn, net.ipv4.tcp_mem and the conntrack table, and stops with advice
# when one is short. Everything it found is in $LOG_DIR/system.txt and in the table. Raising the
# hard file limit takes CAP_SYS_RESOURCE: in a container without it (hard limit 20,000, say)
# one process holds at most the hard limit less 384 connections, and the script says so and
# which CONNECTIONS fits.
#
# Run with: benches/ws-100k.sh            (a few minutes; wants the machine to itself)
# Develop with: CONNECTIONS=10000 benches/ws-100k.sh
# Needs sockudo for its column (`apt-get install -y protobuf-compiler && cargo install sockudo
# --locked`, or SOCKUDO=path; SERVERS=reference runs without it).
# Environment (defaults): CONNECTIONS (100000), SUBSCRIBERS (2 a channel), RATE (5000),
# DURATION (20 s measured), WARMUP (2 s), DRAIN (3 s), SETTLE (5 s), CONNECT_CONCURRENCY (128),
# PUBLISHERS (64 keep-alive HTTP connections), PAYLOAD (100 bytes of data per event),
# SOURCE_IPS (enough for the port range), SERVERS ("reference sockudo"), PORT (6011, the
# reference server), SOCKUDO_PORT (6012), LOCK (/tmp/bench.lock, held for the whole run so no
# other benchmark that takes it overlaps), LOG_DIR (a new temporary directory), NICE (unset: see
# benches/ws-vs-sockudo.sh: NICE=-10 setsid benches/ws-100k.sh runs ahead of other jobs).
#
# The reference server runs with --no-rate-limits when its --help lists that flag (the load
# comes from a handful of addresses and 5,000 API calls a second), and with --max-connections
# above CONNECTIONS when it has that flag.
#
# REPORT_FROM=DIR prints the table again from the logs of an earlier run, running nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/ws-common.sh
source benches/ws-common.sh

connections=${CONNECTIONS:-100000}
subscribers=${SUBSCRIBERS:-2}
rate=${RATE:-5000}
duration=${DURATION:-20}
warmup=${WARMUP:-2}
drain=${DRAIN:-3}
settle=${SETTLE:-5}
concurrency=${CONNECT_CONCURRENCY:-128}
publishers=${PUBLISHERS:-64}
payload=${PAYLOAD:-100}
servers=${SERVERS:-reference sockudo}
reference_port=${PORT:-6011}
sockudo_port=${SOCKUDO_PORT:-6012}
lock=${LOCK:-/tmp/bench.lock}
if ((connections % subscribers)); then
    echo "error: CONNECTIONS ($connections) must be a multiple of SUBSCRIBERS ($subscribers)" >&2
    exit 2
fi
channels=$((connections / subscribers))
if [[ -n ${REPORT_FROM:-} ]]; then
    log_dir=$REPORT_FROM
else
    log_dir=${LOG_DIR:-$(mktemp -d /tmp/ws-100k.XXXXXX)}
    mkdir -p "$log_dir"
fi

label() { if [[ $1 == reference ]]; then echo reference-server; else echo "$1"; fi; }
port_of() { if [[ $1 == reference ]]; then echo "$reference_port"; else echo "$sockudo_port"; fi; }

# note LINE: one line about the machine, printed and kept in system.txt.
note() {
    echo "   $*"
    echo "$*" >>"$log_dir/system.txt"
}

# sysctl_at_least NAME VALUE: raises a sysctl to VALUE (as root) if it is below; says which.
sysctl_at_least() {
    local name=$1 want=$2 have
    have=$(sysctl -n "$name")
    if ((have >= want)); then
        note "$name = $have: enough for $want (unchanged)"
    elif sysctl -qw "$name=$want" 2>/dev/null; then
        note "$name = $have: raised to $want"
    else
        echo "error: $name is $have, below the $want this load needs; as root: sysctl -w $name=$want" >&2
        exit 2
    fi
}

prepare_system() {
    : >"$log_dir/system.txt"
    echo "== the machine"
    note "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"

    # Descriptors: every connection is one in the server and one in the load generator, plus
    # the publishers' HTTP connections and some slack (listener, database, epoll, logs).
    local fds=$((connections + 2 * publishers + 256))
    sysctl_at_least fs.nr_open "$fds"
    sysctl_at_least fs.file-max $((2 * fds + 65536))
    local soft hard
    soft=$(ulimit -Sn)
    hard=$(ulimit -Hn)
    if ((soft >= fds)); then
        note "ulimit -n = $soft: enough for $fds (unchanged)"
    elif ((hard >= fds)) && ulimit -Sn "$fds"; then
        note "ulimit -n = $soft: raised to $fds (soft limit; for this script and what it starts)"
    elif ulimit -n "$fds" 2>/dev/null; then
        note "ulimit -n = $soft (hard $hard): raised to $fds (soft and hard; for this script and what it starts)"
    else
        echo "error: ulimit -n is $soft (hard $hard), below the $fds descriptors this load needs," >&2
        echo "and this shell cannot raise its hard limit (that takes root with CAP_SYS_RESOURCE)." >&2
        echo "At most $((hard - 2 * publishers - 256)) connections fit: CONNECTIONS=$(((hard - 2 * publishers - 256) / subscribers * subscribers))." >&2
        exit 2
    fi

    # Ports: a connection from a source address bound before connecting takes one of that
    # address's ephemeral ports. Half the range per address, so the kernel finds free ports fast.
    local low high range per_ip
    read -r low high </proc/sys/net/ipv4/ip_local_port_range
    range=$((high - low + 1))
    if [[ -z ${SOURCE_IPS:-} ]]; then
        source_ips=$(((connections + range / 2 - 1) / (range / 2)))
    else
        source_ips=$SOURCE_IPS
    fi
    per_ip=$(((connections + source_ips - 1) / source_ips))
    if ((per_ip > range - 1024)); then
        echo "error: $per_ip connections per source address, but net.ipv4.ip_local_port_range ($low-$high) has $range ports: raise SOURCE_IPS" >&2
        exit 2
    fi
    if ((source_ips > 1 && 2 + source_ips * 2 > 256)); then
        echo "error: SOURCE_IPS ($source_ips) x 2 servers does not fit in 127.0.0.2-255" >&2
        exit 2
    fi
    if ((source_ips > 1)); then
        note "net.ipv4.ip_local_port_range = $low-$high ($range ports an address): $source_ips source addresses a server, $per_ip connections each (unchanged)"
    else
        note "net.ipv4.ip_local_port_range = $low-$high ($range ports): $connections connections from one address (unchanged)"
    fi

    # Accept queue: the servers listen with their own backlog (1024 for tokio's and
    # sockudo's listeners), capped by somaxconn; at most CONNECT_CONCURRENCY handshakes wait.
    local somaxconn
    somaxconn=$(sysctl -n net.core.somaxconn)
    if ((somaxconn >= concurrency)); then
        note "net.core.somaxconn = $somaxconn: above the $concurrency connections opened at once (unchanged)"
    else
        sysctl_at_least net.core.somaxconn "$concurrency"
    fi

    # Kernel TCP memory: the limit (pages of 4 kB) beyond which the kernel refuses socket
    # memory. An idle loopback connection holds little; 4 kB per socket is a generous bound.
    local tcp_min tcp_pressure tcp_max want=$((2 * connections))
    read -r tcp_min tcp_pressure tcp_max </proc/sys/net/ipv4/tcp_mem
    if ((tcp_max >= want)); then
        note "net.ipv4.tcp_mem max = $((tcp_max * 4 / 1024)) MB: above 4 kB for each of the $want sockets (unchanged; the load's own use is measured below)"
    elif sysctl -qw "net.ipv4.tcp_mem=$tcp_min $((tcp_pressure > want ? tcp_pressure : want)) $((2 * want))" 2>/dev/null; then
        note "net.ipv4.tcp_mem max = $((tcp_max * 4 / 1024)) MB: raised to $((2 * want * 4 / 1024)) MB (8 kB for each of the $want sockets)"
    else
        echo "warning: net.ipv4.tcp_mem max is $((tcp_max * 4 / 1024)) MB, little for $want sockets" >&2
    fi

    # Conntrack: loopback connections are tracked only when a firewall rule asks for it.
    if [[ -r /proc/sys/net/netfilter/nf_conntrack_count ]]; then
        local count
        count=$(cat /proc/sys/net/netfilter/nf_conntrack_count)
        if ((count == 0)); then
            note "conntrack: no connection tracked (nf_conntrack_max unchanged)"
        else
            sysctl_at_least net.netfilter.nf_conntrack_max $((4 * connections))
        fi
    fi
}

run_all() {
    local name
    for name in $servers; do
        [[ $name == reference || $name == sockudo ]] || {
            echo "error: SERVERS names reference and/or sockudo, not $name" >&2
            exit 2
        }
    done
    [[ " $servers " != *" sockudo "* ]] || find_sockudo
    echo "== building (release): reference-server and loadgen"
    cargo build --release -q -p reference-server --bin reference-server
    cargo build --release -q -p support-benches --bin loadgen
    local target=${CARGO_TARGET_DIR:-target}
    reference_bin=$target/release/reference-server
    loadgen_bin=$target/release/loadgen
    reference_flags=()
    local help
    help=$("$reference_bin" --help)
    if grep -q -- '--no-rate-limits' <<<"$help"; then
        reference_flags+=(--no-rate-limits)
    fi
    if grep -q -- '--max-connections ' <<<"$help"; then
        reference_flags+=(--max-connections $((connections + 2 * publishers + 1024)))
    fi
    echo "   reference-server: $reference_bin ${reference_flags[*]:-(no extra flags)}"
    [[ " $servers " != *" sockudo "* ]] ||
        echo "   sockudo: $sockudo ($("$sockudo" --version 2>/dev/null | head -1 || echo "version unknown"))"
    echo "   logs: $log_dir"
    echo "reference_flags=${reference_flags[*]:-}" >"$log_dir/run.txt"

    exec 9>"$lock"
    if ! flock -n 9; then
        echo "== waiting for $lock (another benchmark holds it)"
        flock 9
    fi
    raise_priority
    prepare_system
    trap stop_server EXIT

    local first=2
    for name in $servers; do
        echo "== $(label "$name"): $connections connections ($channels private channels x $subscribers), then $rate publishes/s for ${duration} s (+${warmup} s warmup) while all are connected"
        start_server "$name" "$(port_of "$name")" "$log_dir/$name-server.log"
        if ! run_loadgen "$name" "$(port_of "$name")" scale --mode scale \
            --channels "$channels" --subscribers "$subscribers" --rate "$rate" \
            --duration "$duration" --warmup "$warmup" --drain "$drain" --settle "$settle" \
            --connect-concurrency "$concurrency" --first-source-ip "$first"; then
            echo "   $(label "$name") did not hold the load (its log: $log_dir/$name-server.log)"
            tail -5 "$log_dir/$name-server.log" | sed 's/^/   | /'
        fi
        stop_server
        # The next server's connections leave from addresses of their own: this one's ports
        # wait in TIME_WAIT for a minute.
        first=$((first + source_ips))
    done
}

[[ -n ${REPORT_FROM:-} ]] || run_all

shown=()
for name in reference sockudo; do
    [[ -e $log_dir/$name-scale.txt ]] && shown+=("$name")
done
[[ ${#shown[@]} -gt 0 ]] || { echo "no results in $log_dir" >&2; exit 1; }

# value NAME KEY: the key of the server's RESULT lines, empty when it has none.
value() { field "$1" scale "$2"; }
# cell NAME KEY FORMAT: the value formatted, or "-" when the server did not get that far.
cell() {
    local v
    v=$(value "$1" "$2")
    if [[ -z $v ]]; then echo "-"; elif [[ -n $3 ]]; then "$3" "$v"; else echo "$v"; fi
}
line() {
    local label=$1 key=$2 fmt=${3:-} goal=${4:-} a b
    a=$(cell reference "$key" "$fmt")
    b=$(cell sockudo "$key" "$fmt")
    row "$label" "$a" "$b" "$(ratio "$(value reference "$key")" "$(value sockudo "$key")")" "$goal"
}

n=$(value "${shown[0]}" connections)
echo
echo "== side by side: $n connections on one process, $(value "${shown[0]}" rate)/s publishes (ratio = reference-server / sockudo)"
sed 's/^/   /' "$log_dir/system.txt" 2>/dev/null || true
[[ ! -s $log_dir/run.txt ]] || sed 's/^/   /' "$log_dir/run.txt"
row "figure" "reference-server" "sockudo" "ratio" "goal"
line "connections subscribed and alive" alive "" ""
line "time to connect and subscribe them all (s)" connect_ms secs ""
per=$(value reference bytes_per_connection)
line "server RSS per connection (KB)" bytes_per_connection kb \
    "$([[ -n $per ]] && echo "<= 10 KB: $(verdict "$( ((per <= 10240)) && echo 1)")")"
line "  of which anonymous: heap, stacks (KB)" anon_bytes_per_connection kb ""
line "kernel socket buffers per connection, both ends (KB)" kernel_tcp_bytes_per_connection kb ""
line "kernel slab per connection, both ends (KB)" kernel_slab_bytes_per_connection kb ""
line "load generator RSS per connection (KB)" loadgen_bytes_per_connection kb ""
line "server RSS with all connected (MB)" rss_after_kb "kb" ""
line "publish rate achieved (publishes/s)" achieved "" ""
line "deliveries expected" expected "" ""
line "deliveries received" delivered "" ""
lost=$(value reference lost)
line "lost deliveries" lost "" "$([[ -n $lost ]] && echo "0: $(verdict "$([[ $lost == 0 && $(value reference publish_errors) == 0 ]] && echo 1)")")"
line "duplicated" duplicates "" ""
line "misrouted" misrouted "" ""
line "publish errors" publish_errors "" ""
line "delivery latency p50 (ms)" p50_us ms ""
line "delivery latency p99 (ms)" p99_us ms ""
line "delivery latency p99.9 (ms)" p999_us ms ""
line "delivery latency max (ms)" max_us ms ""
line "server CPU per publish (us)" server_cpu_ns_per_publish us ""
line "load generator CPU per publish (us)" loadgen_cpu_ns_per_publish us ""
row "machine load average (1 min) after publishing" "$(cell reference load1 "")" "$(cell sockudo load1 "")" "" ""
echo "(load generator output and server logs: $log_dir)"
