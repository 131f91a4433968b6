#!/usr/bin/env bash
# How chatserver's cost grows: msgs/s and p99 latency for 1, 10, 100 and 1,000 pairs with
# 32- and 200-byte bodies, then server memory for 1,000 and 10,000 idle clients. Uses the
# load generator of ../shared/bench; everything runs on 127.0.0.1 and stops by itself.
#   scripts/scaling.sh [SECONDS per run, default 3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
secs=${1:-3}
port=17950
[ -x "$bench/loadgen" ] || cc -O2 -Wall -pthread -o "$bench/loadgen" "$bench/loadgen.c" -lm
swift build -c release --package-path "$root" --product chatserver >/dev/null
server="$root/.build/release/chatserver"
ulimit -n "$(ulimit -Hn)"

start_server() {
    "$server" --port "$port" --log-level warning 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do ss -ltn | grep -q ":$port " && return; sleep 0.1; done
    echo "scaling.sh: the server did not start" >&2; exit 1
}
stop_server() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop_server EXIT

printf '%-7s %-6s %12s %10s %10s %9s\n' pairs bytes msgs/s p50_us p99_us srv_cpu
for size in 32 200; do
    for pairs in 1 10 100 1000; do
        start_server
        line=$("$bench/loadgen" --proto chat255 --port "$port" --pairs "$pairs" --size "$size" \
            --seconds "$secs" --server-pid "$pid" 2>&1 | grep '^RESULT')
        stop_server
        get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
        printf '%-7s %-6s %12s %10s %10s %9s\n' "$pairs" "$size" "$(get msgs_per_s)" "$(get p50_us)" \
            "$(get p99_us)" "$(get srv_cpu)"
    done
done
echo
printf '%-8s %12s %12s %9s %8s\n' clients rss_before_kB rss_after_kB kB/conn login_s
for clients in 1000 10000; do
    start_server
    line=$("$bench/loadgen" --proto chat255 --port "$port" --idle "$clients" --hold 4 --keepalive 4 \
        --server-pid "$pid" 2>&1 | grep '^RESULT')
    stop_server
    get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
    printf '%-8s %12s %12s %9s %8s\n' "$clients" "$(get rss_before_kb)" "$(get rss_after_kb)" \
        "$(get kb_per_conn)" "$(get login_s)"
done
