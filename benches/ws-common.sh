# Functions the websocket benchmarks share (sourced by benches/ws-vs-sockudo.sh and
# benches/ws-100k.sh, not run on its own): the servers they start and stop, the load generator
# (benches/src/bin/loadgen.rs) they drive, and the helpers of their tables.
#
# The caller sets, before calling:
#   log_dir          where logs and the load generator's output go
#   loadgen_bin      the load generator's binary
#   server_bin       ours: support-transport-ws's bench_server example (start_server ours)
#   reference_bin    the reference-server binary (start_server reference), with the flags of
#                    the array reference_flags (may be empty) added to its command line
#   sockudo          sockudo's binary (start_server sockudo)
#   publishers, payload, source_ips   passed to every loadgen run
# and gets server_pid, the pid of the server started last (empty when none runs).

# find_sockudo: sockudo's binary (SOCKUDO, or on PATH, or in ~/.cargo/bin) into $sockudo;
# exits with advice when it is missing.
find_sockudo() {
    sockudo=${SOCKUDO:-$(command -v sockudo || echo "$HOME/.cargo/bin/sockudo")}
    if [[ ! -x $sockudo ]]; then
        echo "error: sockudo is not installed (looked for \`sockudo\` on PATH and $HOME/.cargo/bin)." >&2
        echo "Install it with: apt-get install -y protobuf-compiler && cargo install sockudo --locked" >&2
        echo "or point SOCKUDO at its binary." >&2
        exit 2
    fi
}

# raise_priority: with NICE set, the nice value of this script's process and of its scheduler
# autogroup (the session's group that CFS shares the CPUs between when
# kernel.sched_autogroup_enabled=1, where a plain `nice` only ranks processes within the group);
# the servers and the load generator it starts afterwards inherit it.
raise_priority() {
    [[ -n ${NICE:-} ]] || return 0
    renice -n "$NICE" -p $$ >/dev/null
    if [[ -w /proc/$$/autogroup ]]; then
        echo "$NICE" >/proc/$$/autogroup
    fi
    echo "== running at nice $NICE (autogroup: $(cat /proc/$$/autogroup 2>/dev/null || echo none))"
}

# One app for every server: bench_server and loadgen read sockudo's variables too, and
# start_server gives the reference server the same values by flag.
export SOCKUDO_DEFAULT_APP_ID=bench-app
export SOCKUDO_DEFAULT_APP_KEY=bench-key
export SOCKUDO_DEFAULT_APP_SECRET=bench-secret

server_pid=

# stop_server: SIGTERM to the running server, SIGKILL after 10 s.
stop_server() {
    [[ -n $server_pid ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# start_server NAME PORT LOG: starts the named server (ours, reference or sockudo) in the
# background and waits for its port.
start_server() {
    local name=$1 port=$2 log=$3
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "error: something already listens on port $port" >&2
        exit 1
    fi
    case $name in
    ours)
        "$server_bin" --bind "127.0.0.1:$port" >"$log" 2>&1 &
        ;;
    reference)
        # A fresh SQLite file for each start; demo users (loopback), which the load does not use:
        # it subscribes with channel signatures it makes with the app secret.
        local db=$log_dir/reference-$port.db
        rm -f "$db" "$db-wal" "$db-shm" "$log_dir/reference-$port.key"
        RUST_LOG=${REFERENCE_RUST_LOG:-warn} "$reference_bin" --bind "127.0.0.1:$port" \
            --database-url "sqlite://$db" --app-key-file "$log_dir/reference-$port.key" \
            --app-id "$SOCKUDO_DEFAULT_APP_ID" --app-key "$SOCKUDO_DEFAULT_APP_KEY" \
            --app-secret "$SOCKUDO_DEFAULT_APP_SECRET" "${reference_flags[@]}" >"$log" 2>&1 &
        ;;
    sockudo)
        # Local adapter, memory app manager/cache, no queue, no Redis. Sockudo's own request
        # and connection rate limits (100 API requests and 20 connections a minute by default)
        # and the default app's limits (100 connections, 100 backend events/s) would refuse
        # the benchmark itself, so they are lifted; metrics and info logging are off, as ours
        # has neither. Run from an empty directory so no config/config.toml is picked up.
        # Sockudo 5.2 answers every HTTP API request with `Connection: close`
        # (src/bootstrap/router.rs: "prevent idle HTTP connection buildup"), so the load
        # generator, like any SDK, opens a new connection for each publish to it: that
        # cost is sockudo's, and shows in both CPU figures of the tables.
        (
            cd "$log_dir"
            exec env HOST=127.0.0.1 PORT="$port" \
                ADAPTER_DRIVER=local APP_MANAGER_DRIVER=memory CACHE_DRIVER=memory \
                QUEUE_DRIVER=none RATE_LIMITER_ENABLED=false METRICS_ENABLED=false \
                SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=1000000 \
                SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=10000000 \
                SOCKUDO_DEFAULT_APP_MAX_READ_REQUESTS_PER_SECOND=10000000 \
                RUST_LOG="${SOCKUDO_RUST_LOG:-warn}" \
                "$sockudo"
        ) >"$log" 2>&1 &
        ;;
    *)
        echo "error: unknown server $name" >&2
        exit 1
        ;;
    esac
    server_pid=$!
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            sleep 1 # let it finish starting before its baseline memory is read
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: $name did not start listening on port $port; its log ($log):" >&2
    tail -20 "$log" >&2
    exit 1
}

# run_loadgen NAME PORT PHASE ARGS…: runs the load generator against the running server, keeps
# its output in $log_dir/NAME-PHASE.txt and prints its summary; fails (printing the end of the
# output) when the load generator does.
run_loadgen() {
    local name=$1 port=$2 phase=$3
    shift 3
    local out="$log_dir/$name-$phase.txt"
    if ! "$loadgen_bin" --port "$port" --server-pid "$server_pid" --publishers "$publishers" \
        --payload "$payload" --source-ips "$source_ips" "$@" >"$out" 2>&1; then
        echo "error: loadgen failed against $name ($phase):" >&2
        tail -20 "$out" >&2
        return 1
    fi
    grep -E '^(connected|idle:|scale:|ceiling:|\[)' "$out" | sed 's/^/   /'
}

# field NAME PHASE KEY: a value of a RESULT line of the phase's load generator output.
field() {
    sed -n "s/^RESULT .* $3=\([^ ]*\).*/\1/p" "$log_dir/$1-$2.txt" 2>/dev/null | tail -1
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sum() { awk '{ s += $1 } END { print s + 0 }'; }
best() { sort -n | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ms() { awk -v us="$1" 'BEGIN { if (us == "") print "n/a"; else printf "%.2f", us / 1000 }'; }
us() { awk -v ns="$1" 'BEGIN { if (ns == "") print "n/a"; else printf "%.1f", ns / 1000 }'; }
kb() { awk -v b="$1" 'BEGIN { if (b == "") print "n/a"; else printf "%.1f", b / 1024 }'; }
secs() { awk -v ms="$1" 'BEGIN { if (ms == "") print "n/a"; else printf "%.1f", ms / 1000 }'; }
row() { printf '%-50s %21s %12s %7s   %s\n' "$@"; }
verdict() { if [[ $1 == 1 ]]; then echo "met"; else echo "MISSED"; fi; }
