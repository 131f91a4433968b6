#!/usr/bin/env bash
# Soak: runs chatserver under a steady mixed load from chatbench for MINUTES (default 10):
# relayed messages at a fixed rate, broadcasts, join storms, and clients connecting and leaving,
# in rounds of about 40 s. After each round it checks that nothing was lost (chatbench exits 1
# otherwise) and records the server's RSS and open descriptors; at the end it checks that the
# server is alive and that memory and descriptors are flat. Everything runs on 127.0.0.1.
#   scripts/soak.sh [MINUTES]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-10}
port=17960
swift build -c release --package-path "$root" --product chatserver >/dev/null
swift build -c release --package-path "$root" --product chatbench >/dev/null
bin="$root/.build/release"
ulimit -n "$(ulimit -Hn)"
"$bin/chatserver" --port "$port" --alive-interval 2 --log-level warning 2>/tmp/soak-server.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
echo "round  rss_kB  fds  relay_msgs/s  relay_p99_us  lost"
end=$((SECONDS + minutes * 60))
round=0
first_rss=""
first_fds=""
while [ $SECONDS -lt $end ]; do
    round=$((round + 1))
    relay=$("$bin/chatbench" relay --port "$port" --pairs 100 --rate 20000 --seconds 20 --json)
    "$bin/chatbench" fanout --port "$port" --clients 50 --rate 500 --seconds 5 --json >/dev/null
    "$bin/chatbench" joinstorm --port "$port" --clients 500 --json >/dev/null
    "$bin/chatbench" connections --port "$port" --clients 1000 --hold 2 --json >/dev/null
    sleep 2
    kill -0 "$pid"   # the server is alive
    lost=$(grep -o '"lost" : [0-9]*' <<<"$relay" | grep -o '[0-9]*$')
    rate=$(grep -o '"messagesPerSecond" : [0-9.]*' <<<"$relay" | grep -o '[0-9.]*$')
    p99=$(grep -o '"p99" : [0-9.]*' <<<"$relay" | grep -o '[0-9.]*$')
    r=$(rss); f=$(fds)
    [ -z "$first_rss" ] && first_rss=$r && first_fds=$f
    printf '%5d %7d %4d %13.0f %13.0f %5d\n' "$round" "$r" "$f" "$rate" "$p99" "$lost"
done
echo "after $minutes min: server alive, RSS ${first_rss} -> $(rss) kB, descriptors ${first_fds} -> $(fds)"
[ "$(fds)" -le $((first_fds + 4)) ] || { echo "soak: descriptors grew" >&2; exit 1; }
