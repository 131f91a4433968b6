#!/usr/bin/env bash
# How the cost grows with the number of clients: for each size, idle logins and memory
# (loadgen --idle), a join storm with full lists and one more join (loadgen --joinstorm), and a
# join storm of change-event clients (chatbench joinstorm --events). A fresh server per line.
#   scripts/growth.sh ["1000 5000 10000 18000"]
# Runs of over 10,000 clients need `ulimit -n` above the size (both programs hold one
# descriptor per client) and spread their clients over 4 loopback source addresses.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${1:-"1000 5000 10000 18000"}
bench="$root/../shared/bench"
[ -x "$bench/loadgen" ] || cc -O2 -Wall -pthread -o "$bench/loadgen" "$bench/loadgen.c" -lm
swift build -c release --package-path "$root" >/dev/null
server="$root/.build/release/chatserver"
chatbench="$root/.build/release/chatbench"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT
start() {
    port=$((10000 + RANDOM % 9000))  # below the ephemeral range the clients take
    "$server" --port "$port" --max-clients 19000 --log-level warning "$@" 2>/dev/null &
    pid=$!
    sleep 0.5
}
stop() { kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
field() { tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
for n in $sizes; do
    start
    r=$(timeout 300 "$bench/loadgen" --proto chat255 --port "$port" --idle "$n" --hold 3 --server-pid "$pid" \
        --keepalive 4 --login-timeout 120 --sources 4 2>&1 | grep RESULT || true)
    stop
    echo "N=$n idle login_s=$(echo "$r" | field login_s) kb_per_conn=$(echo "$r" | field kb_per_conn)"
    start
    r=$(timeout 300 "$bench/loadgen" --proto chat255 --port "$port" --joinstorm "$n" --seconds 60 \
        --server-pid "$pid" --prefix s --sources 4 2>&1 | grep RESULT || true)
    stop
    echo "N=$n storm converge_ms=$(echo "$r" | field converge_ms) amp=$(echo "$r" | field amplification)" \
        "one_change_bytes=$(echo "$r" | field single_change_bytes) one_change_ms=$(echo "$r" | field single_change_ms)"
    # chatbench checks every name it is sent; at 18,000 its own heartbeats can come late, so
    # the server is given a long alive timeout for this one.
    start --alive-timeout 120
    r=$(timeout 400 "$chatbench" joinstorm --port "$port" --clients "$n" --events --source-addresses 4 2>&1 | tr '\n' ' ' || true)
    stop
    echo "N=$n events $r"
done
