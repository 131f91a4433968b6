#!/usr/bin/env bash
# The cluster's figures side by side in the same minutes (docs/PERFORMANCE.md, "Cluster"):
# each round runs tp50 (50 pairs, 32-byte bodies, window 64) against one chatserver alone, the
# same with --cluster and all pairs local, and two nodes with every pair split over them
# (loadgen --port2); then a join storm of N clients spread over two nodes (chatbench joinstorm
# --peer-port). Starts its own redis-server on a free port (Debian's, --save '' --appendonly no).
#   scripts/cluster-bench.sh [ROUNDS, default 3] [STORM CLIENTS, default 2000]
# BASELINE=path/to/chatserver adds, in each round, cluster1 and cross2 with that binary
# (targets cluster1-base, cross2-base): a change measured before and after in the same minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
rounds=${1:-3}
storm=${2:-2000}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "cluster-bench.sh: ROUNDS must be a positive number" >&2; exit 2; }
[[ "$storm" =~ ^[1-9][0-9]*$ ]] || { echo "cluster-bench.sh: STORM CLIENTS must be a positive number" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "cluster-bench.sh: redis-server is not installed (apt-get install redis-server)" >&2; exit 2; }
# loadgen is built next to its source when missing, or in /tmp when that folder is read-only.
bin="$bench"
[ -w "$bench" ] || { bin="${TMPDIR:-/tmp}/chat255-bench"; mkdir -p "$bin"; }
loadgen="$bin/loadgen"
[ -x "$loadgen" ] || cc -O2 -Wall -pthread -o "$loadgen" "$bench/loadgen.c" -lm
swift build -c release --package-path "$root" --product chatserver >/dev/null
swift build -c release --package-path "$root" --product chatbench >/dev/null
server="$root/.build/release/chatserver"
chatbench="$root/.build/release/chatbench"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
listening() { for _ in $(seq 100); do ss -ltn | grep -q ":$1 " && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

redis_port=16390
while ss -ltn | grep -q ":$redis_port "; do redis_port=$((redis_port + 1)); done
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)
listening "$redis_port"
url="redis://127.0.0.1:$redis_port"

port=17800
tp50() { # tp50 against $1 (and --port2 $2); prints msgs/s, p99 and the Offline answers
    local extra=()
    [ -n "${2:-}" ] && extra=(--port2 "$2")
    local line
    line=$(timeout 90 "$loadgen" --proto chat255 --port "$1" "${extra[@]}" --pairs 50 --size 32 --seconds 5 --warmup 1 \
        --window 64 --keepalive 4 --login-timeout 10 2>&1 | grep '^RESULT' || true)
    [ -n "$line" ] || { echo FAILED; return; }
    get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
    echo "$(get msgs_per_s) $(get p99_us) $(grep -q offline= <<<"$line" && get offline || echo 0)"
}
baseline=${BASELINE:-}
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "cluster-bench.sh: BASELINE=$baseline is not a program" >&2; exit 2; }
binary=$server
start() { # start a chatserver ($binary) with arguments; sets $started
    port=$((port + 1))
    "$binary" --port "$port" --log-level warning "$@" >/dev/null 2>&1 &
    started=$!
    pids+=("$started")
    listening "$port"
}

printf '%-6s %-14s %12s %9s %8s\n' round target msgs/s p99_us offline
results=$(mktemp)
for round in $(seq "$rounds"); do
    start; single=$port; pid=$started
    read -r rate p99 off <<<"$(tp50 "$single")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '%-6s %-14s %12s %9s %8s\n' "$round" single "$rate" "$p99" "$off"; echo "$round single $rate" >>"$results"
    sleep 1
    for variant in "" ${baseline:+-base}; do
        binary=$server
        [ -z "$variant" ] || binary=$baseline
        start --cluster "$url" --cluster-name "bench$round$variant"; one=$port; pid=$started
        read -r rate p99 off <<<"$(tp50 "$one")"
        kill "$pid"; wait "$pid" 2>/dev/null || true
        printf '%-6s %-14s %12s %9s %8s\n' "$round" "cluster1$variant" "$rate" "$p99" "$off"
        echo "$round cluster1$variant $rate" >>"$results"
        sleep 1
        start --cluster "$url" --cluster-name "cross$round$variant"; a=$port; pa=$started
        start --cluster "$url" --cluster-name "cross$round$variant"; b=$port; pb=$started
        read -r rate p99 off <<<"$(tp50 "$a" "$b")"
        kill "$pa" "$pb"; wait "$pa" "$pb" 2>/dev/null || true
        printf '%-6s %-14s %12s %9s %8s\n' "$round" "cross2$variant" "$rate" "$p99" "$off"
        echo "$round cross2$variant $rate" >>"$results"
        sleep 1
    done
    binary=$server
done

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v n="$1" '$2 == n {a[$1] = $3} $2 == "single" {b[$1] = $3} END {for (r in a) if (b[r] > 0) printf "%.3f\n", a[r] / b[r]}' "$results" | median; }
echo
printf '%-10s %14s %16s\n' target "median msgs/s" "÷ single (same round)"
for t in single cluster1 cross2 ${baseline:+cluster1-base cross2-base}; do
    printf '%-10s %14s %16s\n' "$t" "$(awk -v n="$t" '$2 == n {print $3}' "$results" | median)" "$(ratio "$t")"
done
rm -f "$results"

echo
echo "join storm of $storm clients over two nodes (chatbench joinstorm --peer-port):"
start --cluster "$url" --cluster-name storm --max-clients "$storm"; a=$port
start --cluster "$url" --cluster-name storm --max-clients "$storm"; b=$port
"$chatbench" joinstorm --port "$a" --peer-port "$b" --clients "$storm"
