#!/usr/bin/env bash
# End-to-end chat bench of the real reference-server binary (issue 6): employees and staff on
# websockets, chat messages POSTed to /chat at a fixed rate, delivery measured on the other
# side's socket, by the load generator benches/src/bin/chatgen.rs (see its header for what is
# sent, checked and measured). For each store, SQLite then PostgreSQL:
#
#   - ROUNDS (3) runs of DURATION (20) s at RATE (2,000) messages/s; the table shows the median
#     of the rounds (losses: the sum) against the goal: p99 under 10 ms, nothing lost;
#   - the highest rate with nothing lost: steps of CEILING_DURATION (10) s from START_RATE
#     (RATE), times GROWTH (1.5) while they pass, then bisection until the failing rate is
#     within PRECISION (5%) of the passing one. A step passes with nothing lost (chat.message
#     or admin message.created), duplicated, misrouted or echoed back to its sender, no HTTP
#     error, no socket disconnected, and at least 97% of the rate achieved.
#
# Every run, ceiling steps included, gets a freshly started server on a fresh database (a new
# SQLite file; a new PostgreSQL database, created with createdb and dropped afterwards), a fresh
# set-up (EMPLOYEES tickets and sockets, STAFF staff sockets, ADMIN_WATCHERS admin sockets) and
# the load; each run holds the lock file LOCK (/tmp/bench.lock, flock) from the server's start
# to its stop, so it never overlaps another benchmark that takes the same lock. The machine's
# load average is logged before each run and printed in the table.
#
# Run with: benches/chat-e2e.sh
# Needs PostgreSQL at PG_URL (postgres://postgres@127.0.0.1:5432, trust auth) and its client
# tools (createdb, dropdb) unless STORES=sqlite.
# Environment (defaults): STORES ("sqlite postgres"), RATE (2000), DURATION (20), WARMUP (2),
# ROUNDS (3), CEILING_DURATION (10), START_RATE (RATE), GROWTH (1.5), PRECISION (0.05),
# MAX_STEPS (14), EMPLOYEES (1000), STAFF (20), ADMIN_WATCHERS (1), HTTP_CONNECTIONS (256),
# PAYLOAD (100 characters a message), DRAIN (3 s), PORT (18080), PG_URL, LOCK (/tmp/bench.lock),
# LOG_DIR (a new temporary directory), SKIP_CEILING (unset), NICE (unset: run at the caller's
# priority).
#
# The load generator shares the machine with the server (and PostgreSQL), and on a shared
# machine other people's jobs add to the latency in bursts. NICE=-10 (as root) runs the script,
# the server and the load generator ahead of them: the nice value of the script's process and of
# its scheduler autogroup, as in benches/ws-vs-sockudo.sh (PostgreSQL keeps its own priority).
# Start it in a session of its own so nothing else is raised with it:
#
#   NICE=-10 setsid benches/chat-e2e.sh
#
# REPORT_FROM=DIR prints the table again from the logs of an earlier run, running nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

stores=${STORES:-sqlite postgres}
rate=${RATE:-2000}
duration=${DURATION:-20}
warmup=${WARMUP:-2}
rounds=${ROUNDS:-3}
ceiling_duration=${CEILING_DURATION:-10}
start_rate=${START_RATE:-$rate}
growth=${GROWTH:-1.5}
precision=${PRECISION:-0.05}
max_steps=${MAX_STEPS:-14}
employees=${EMPLOYEES:-1000}
staff=${STAFF:-20}
watchers=${ADMIN_WATCHERS:-1}
http_connections=${HTTP_CONNECTIONS:-256}
payload=${PAYLOAD:-100}
drain=${DRAIN:-3}
port=${PORT:-18080}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432}
lock=${LOCK:-/tmp/bench.lock}
app_key=chat-e2e-key
app_secret=chat-e2e-secret
if [[ -n ${REPORT_FROM:-} ]]; then
    log_dir=$REPORT_FROM
else
    log_dir=${LOG_DIR:-$(mktemp -d /tmp/chat-e2e.XXXXXX)}
    mkdir -p "$log_dir"
fi

# field FILE KEY: a value of the file's RESULT line.
field() {
    sed -n "s/^RESULT .* $2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | tail -1
}
# Also the first key of the line.
field_rate() {
    sed -n "s/^RESULT rate=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | tail -1
}

run_all() {
    echo "== building (release): reference-server and chatgen"
    cargo build --release -q -p reference-server --bin reference-server
    cargo build --release -q -p support-benches --bin chatgen
    local target=${CARGO_TARGET_DIR:-target}
    server_bin=$target/release/reference-server
    chatgen_bin=$target/release/chatgen
    echo "   logs: $log_dir"
    # Raised priority (if asked) from here on: not for the build.
    if [[ -n ${NICE:-} ]]; then
        renice -n "$NICE" -p $$ >/dev/null
        if [[ -w /proc/$$/autogroup ]]; then
            echo "$NICE" >/proc/$$/autogroup
        fi
        echo "== running at nice $NICE (autogroup: $(cat /proc/$$/autogroup 2>/dev/null || echo none))"
    fi
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    # The users: EMPLOYEES employees, STAFF support agents.
    users=$log_dir/users.toml
    {
        for i in $(seq 1 "$employees"); do
            printf '[[user]]\nid = %d\nname = "Employee %d"\nrole = "employee"\ntoken = "chat-e2e-employee-%07d"\n\n' $((10000 + i)) "$i" "$i"
        done
        for i in $(seq 1 "$staff"); do
            printf '[[user]]\nid = %d\nname = "Agent %d"\nrole = "support"\ntoken = "chat-e2e-support-%07d"\n\n' $((1000 + i)) "$i" "$i"
        done
    } >"$users"

    server_pid=
    db_file=
    pg_db=
    cleanup() {
        if [[ -n $server_pid ]]; then
            kill -TERM "$server_pid" 2>/dev/null || true
            for _ in $(seq 100); do
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$server_pid" 2>/dev/null || true
            wait "$server_pid" 2>/dev/null || true
            server_pid=
        fi
        if [[ -n $db_file ]]; then
            rm -f "$db_file" "$db_file-wal" "$db_file-shm"
            db_file=
        fi
        if [[ -n $pg_db ]]; then
            dropdb --force --maintenance-db="$pg_url/postgres" "$pg_db" 2>/dev/null || true
            pg_db=
        fi
    }
    trap cleanup EXIT

    # run_once STORE RATE SECONDS OUT: a fresh database and server, one chatgen run, all stopped.
    run_once() {
        local store=$1 r=$2 secs=$3 out=$4 url
        exec 9>"$lock"
        flock 9
        {
            echo "# $(date -Is) store=$store rate=$r duration=$secs nice=${NICE:-0}"
            echo "# uptime: $(uptime)"
        } >"$out"
        case $store in
        sqlite)
            db_file=$log_dir/chat-e2e.db
            rm -f "$db_file" "$db_file-wal" "$db_file-shm"
            url="sqlite://$db_file"
            ;;
        postgres)
            pg_db="chat_e2e_$$_$RANDOM"
            createdb --maintenance-db="$pg_url/postgres" "$pg_db"
            url="$pg_url/$pg_db"
            ;;
        esac
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "error: something already listens on port $port (set PORT)" >&2
            exit 1
        fi
        # Every client is on 127.0.0.1: no per-address connection cap.
        RUST_LOG=${SERVER_RUST_LOG:-warn} "$server_bin" --bind "127.0.0.1:$port" \
            --database-url "$url" --users "$users" --app-key "$app_key" \
            --app-secret "$app_secret" --no-rate-limits >"${out%.txt}.server.log" 2>&1 &
        server_pid=$!
        local up=
        for _ in $(seq 300); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                up=1
                break
            fi
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if [[ -z $up ]]; then
            echo "error: reference-server did not start on port $port; its log:" >&2
            tail -20 "${out%.txt}.server.log" >&2
            exit 1
        fi
        if ! "$chatgen_bin" --port "$port" --app-key "$app_key" --users "$users" \
            --server-pid "$server_pid" --rate "$r" --duration "$secs" --warmup "$warmup" \
            --drain "$drain" --payload "$payload" --http-connections "$http_connections" \
            --admin-watchers "$watchers" >>"$out" 2>&1; then
            echo "error: chatgen failed ($out):" >&2
            tail -20 "$out" >&2
            exit 1
        fi
        cleanup
        flock -u 9
        exec 9>&-
        grep -E '^(\[|  )' "$out" | sed 's/^/   /'
    }

    for store in $stores; do
        for round in $(seq "$rounds"); do
            echo "== $store, round $round/$rounds: $rate messages/s for ${duration} s (+${warmup} s warmup), $employees tickets, $staff staff"
            run_once "$store" "$rate" "$duration" "$log_dir/$store-rate-$round.txt"
        done
        [[ -z ${SKIP_CEILING:-} ]] || continue
        echo "== $store: highest rate with nothing lost (${ceiling_duration} s steps from $start_rate/s)"
        local r=$start_rate pass= fail= step
        : >"$log_dir/$store-ceiling.txt"
        for step in $(seq "$max_steps"); do
            local out=$log_dir/$store-ceiling-$step.txt
            run_once "$store" "$r" "$ceiling_duration" "$out"
            if [[ $(field "$out" passed) == 1 ]]; then
                pass=$r
            else
                fail=$r
            fi
            echo "$step $r $(field "$out" passed)" >>"$log_dir/$store-ceiling.txt"
            if [[ -n $pass && -z $fail ]]; then
                r=$(awk -v p="$pass" -v g="$growth" 'BEGIN { printf "%.0f", p * g }')
            elif [[ -z $pass ]]; then
                r=$(awk -v f="$fail" -v g="$growth" 'BEGIN { printf "%.0f", f / g }')
                ((r >= 100)) || break
            elif awk -v p="$pass" -v f="$fail" -v e="$precision" 'BEGIN { exit !((f - p) / p <= e) }'; then
                break
            else
                r=$(awk -v p="$pass" -v f="$fail" 'BEGIN { printf "%.0f", (p + f) / 2 }')
            fi
        done
    done
}

[[ -n ${REPORT_FROM:-} ]] || run_all

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sum() { awk '{ s += $1 } END { print s + 0 }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
row() { printf '%-46s %14s %14s\n' "$@"; }

# each STORE KEY: the key's value in every fixed-rate round, one a line.
each() { for f in "$log_dir/$1"-rate-*.txt; do [[ -e $f ]] && field "$f" "$2"; done; }
# ceiling STORE: the highest passing rate of the search, and the first failing one above it.
ceiling() {
    local best=0 f
    for f in "$log_dir/$1"-ceiling-*.txt; do
        [[ -e $f ]] || continue
        if [[ $(field "$f" passed) == 1 ]]; then
            local r
            r=$(field_rate "$f")
            ((r > best)) && best=$r
        fi
    done
    echo "$best"
}
first_fail() {
    local best=$1 lowest= f r
    for f in "$log_dir/$2"-ceiling-*.txt; do
        [[ -e $f ]] || continue
        r=$(field_rate "$f")
        if [[ $(field "$f" passed) != 1 ]] && ((r > best)) && [[ -z $lowest || $r -lt $lowest ]]; then
            lowest=$r
        fi
    done
    echo "${lowest:-none}"
}
ceiling_file() {
    local f
    for f in "$log_dir/$2"-ceiling-*.txt; do
        [[ -e $f && $(field_rate "$f") == "$1" && $(field "$f" passed) == 1 ]] && echo "$f" && return
    done
}
loads() { for f in "$log_dir/$1"-rate-*.txt; do [[ -e $f ]] && sed -n 's/^# uptime:.*load average: //p' "$f"; done | paste -sd '|' | sed 's/|/ | /g'; }

shown=()
for s in sqlite postgres; do
    compgen -G "$log_dir/$s-rate-*.txt" >/dev/null && shown+=("$s")
done
[[ ${#shown[@]} -gt 0 ]] || { echo "no results in $log_dir" >&2; exit 1; }
n_rounds=$(each "${shown[0]}" p99_us | wc -l)
r0=$(field_rate "$(compgen -G "$log_dir/${shown[0]}-rate-*.txt" | head -1)")

echo
echo "== chat end to end: reference-server, $r0 messages/s (median of $n_rounds rounds; losses summed)"
sed -n 's/^set up in [^:]*: /   load: /p' "$(compgen -G "$log_dir/${shown[0]}-rate-*.txt" | head -1)" | sed 's/; server RSS.*//'
row "figure" "${shown[@]}"
line() {
    local label=$1 key=$2 how=$3 fmt=$4 vals=() s v
    for s in "${shown[@]}"; do
        v=$(each "$s" "$key" | $how)
        case $fmt in
        ms) v=$(ms "$v") ;;
        mb) v=$(mb "$v") ;;
        esac
        vals+=("$v")
    done
    row "$label" "${vals[@]}"
}
line "messages/s achieved" achieved median plain
line "delivery latency p50 (ms)" p50_us median ms
line "delivery latency p99 (ms)" p99_us median ms
line "delivery latency p99.9 (ms)" p999_us median ms
line "delivery latency max (ms)" max_us median ms
line "delivery p99 from scheduled time (ms)" sched_p99_us median ms
line "admin message.created p99 (ms)" admin_p99_us median ms
line "HTTP answer p50 (ms)" http_p50_us median ms
line "HTTP answer p99 (ms)" http_p99_us median ms
line "lost chat.message" lost sum plain
line "lost admin message.created" admin_lost sum plain
line "duplicated" duplicates sum plain
line "misrouted" misrouted sum plain
line "echoed to the sender (toOthers)" echoed sum plain
line "HTTP errors" http_errors sum plain
line "sockets disconnected" disconnected sum plain
line "server CPU (% of one core)" server_cpu_pct median plain
line "server CPU per message (us)" server_cpu_us_per_msg median plain
line "server RSS at the end (MB)" rss_kb median mb
line "server peak RSS, VmHWM (MB)" peak_rss_kb median mb
vals=()
for s in "${shown[@]}"; do
    c=$(ceiling "$s")
    if [[ $c == 0 ]] && ! compgen -G "$log_dir/$s-ceiling-*.txt" >/dev/null; then
        vals+=("not run")
    else
        vals+=("$c")
    fi
done
row "highest lossless rate (messages/s)" "${vals[@]}"
vals=()
for s in "${shown[@]}"; do vals+=("$(first_fail "$(ceiling "$s")" "$s")"); done
row "  first failing rate above it" "${vals[@]}"
vals=()
for s in "${shown[@]}"; do
    f=$(ceiling_file "$(ceiling "$s")" "$s")
    vals+=("$([[ -n $f ]] && echo "$(ms "$(field "$f" p99_us)")" || echo "-")")
done
row "  p99 at that rate (ms)" "${vals[@]}"
vals=()
for s in "${shown[@]}"; do
    f=$(ceiling_file "$(ceiling "$s")" "$s")
    vals+=("$([[ -n $f ]] && echo "$(ms "$(field "$f" sched_p99_us)")" || echo "-")")
done
row "  p99 from scheduled time at that rate (ms)" "${vals[@]}"
echo
for s in "${shown[@]}"; do
    bad=0
    for key in lost admin_lost duplicates misrouted echoed http_errors disconnected; do
        bad=$((bad + $(each "$s" "$key" | sum)))
    done
    p99=$(each "$s" p99_us | median)
    verdict=MISSED
    awk -v p="$p99" 'BEGIN { exit !(p < 10000) }' && [[ $bad == 0 ]] && verdict=met
    echo "goal at $r0/s on $s (p99 < 10 ms; nothing lost, duplicated, misrouted, echoed or refused): $verdict"
    echo "   load average before each round (1, 5, 15 min): $(loads "$s")"
done
echo "(chatgen output per run, server logs and users file: $log_dir)"
