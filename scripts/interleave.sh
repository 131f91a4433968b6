#!/usr/bin/env bash
# Side by side in the same minute: each round runs one workload against relay_baseline -t 1,
# nats-server (if installed), chatserver and chatserver --threads 1, one after the other, each
# started fresh. On a shared virtual machine the speed of the host drifts over minutes, so
# ratios taken seconds apart are steadier than run_peers.sh's, which measures one target's
# workloads together and the next target a minute later. Prints one line per run and, per
# target, the median msgs/s and p99, and the median over rounds of its ratio to relay1 (msgs/s)
# and to nats (p99) in the same round.
# BASELINE=path/to/an/older/chatserver adds it as target 'base', to compare a change with the
# commit before it in the same rounds (build the older commit in a worktree of its own).
# CLUSTER=redis://HOST:PORT adds target 'cluster': chatserver as one node of a cluster on that
# Redis, every pair on it (a fresh --cluster-name each run).
# METRICS=1 adds target 'metrics': chatserver with --metrics-address (what counting costs).
#   scripts/interleave.sh [ROUNDS, default 5] [WORKLOAD: tp50 | tp1 | lat20k | tp50-200B]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
rounds=${1:-5}
workload=${2:-tp50}
case "$workload" in
    tp50) args=(--pairs 50 --size 32) ;;
    tp1) args=(--pairs 1 --size 32) ;;
    lat20k) args=(--pairs 50 --size 32 --rate 20000) ;;
    tp50-200B) args=(--pairs 50 --size 200) ;;
    *) echo "interleave.sh: unknown workload '$workload' (tp50, tp1, lat20k, tp50-200B)" >&2; exit 2 ;;
esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "interleave.sh: ROUNDS must be a positive number" >&2; exit 2; }
# The C tools are built next to their sources when missing, or in /tmp when that folder is read-only.
bin="$bench"
[ -w "$bench" ] || { bin="${TMPDIR:-/tmp}/chat255-bench"; mkdir -p "$bin"; }
[ -x "$bin/loadgen" ] || cc -O2 -Wall -pthread -o "$bin/loadgen" "$bench/loadgen.c" -lm
[ -x "$bin/relay_baseline" ] || cc -O2 -Wall -pthread -o "$bin/relay_baseline" "$bench/relay_baseline.c"
swift build -c release --package-path "$root" --product chatserver >/dev/null
server="$root/.build/release/chatserver"

names=(relay1 swift swift1)
cmds=("$bin/relay_baseline -a 127.0.0.1 -p {port} -t 1 -i 4 -T 1200"
    "$server --port {port} --log-level warning"
    "$server --port {port} --threads 1 --log-level warning")
protos=(chat255 chat255 chat255)
if [ -n "${BASELINE:-}" ]; then
    [ -x "$BASELINE" ] || { echo "interleave.sh: BASELINE '$BASELINE' is not an executable" >&2; exit 2; }
    names+=(base); cmds+=("$BASELINE --port {port} --log-level warning"); protos+=(chat255)
fi
if [ -n "${CLUSTER:-}" ]; then
    names+=(cluster); cmds+=("$server --port {port} --log-level warning --cluster $CLUSTER --cluster-name run{port}")
    protos+=(chat255)
fi
if [ -n "${METRICS:-}" ]; then
    names+=(metrics); cmds+=("$server --port {port} --log-level warning --metrics-address 127.0.0.1:0")
    protos+=(chat255)
fi
if command -v nats-server >/dev/null; then
    names+=(nats); cmds+=("nats-server -a 127.0.0.1 -p {port}"); protos+=(nats)
fi

results=$(mktemp)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -f "$results"; }
trap cleanup EXIT

port=17960
printf '%-6s %-8s %12s %9s %9s\n' round target msgs/s p50_us p99_us
for round in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        port=$((port + 1))
        ${cmds[$i]//\{port\}/$port} >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
        sleep 0.3
        line=$(timeout 60 "$bin/loadgen" --proto "${protos[$i]}" --port "$port" "${args[@]}" --seconds 5 \
            --warmup 1 --window 64 --keepalive 4 --login-timeout 10 --server-pid "$pid" 2>&1 | grep '^RESULT' || true)
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
        get() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
        if [ -z "$line" ]; then
            printf '%-6s %-8s %12s\n' "$round" "${names[$i]}" FAILED
            continue
        fi
        printf '%-6s %-8s %12s %9s %9s\n' "$round" "${names[$i]}" "$(get msgs_per_s)" "$(get p50_us)" "$(get p99_us)"
        echo "$round ${names[$i]} $(get msgs_per_s) $(get p99_us)" >>"$results"
        sleep 1
    done
done

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Ratios of target to reference within each round (column 3: msgs/s, 4: p99), one per line.
ratios() {
    awk -v n="$1" -v ref="$2" -v col="$3" '$2 == n {a[$1] = $col} $2 == ref {b[$1] = $col}
        END {for (r in a) if ((r in b) && b[r] > 0) printf "%.3f\n", a[r] / b[r]}' "$results"
}
echo
printf '%-8s %14s %14s %16s %14s\n' target "median msgs/s" "median p99_us" "msgs/s ÷ relay1" "p99 ÷ nats"
for name in "${names[@]}"; do
    rate=$(awk -v n="$name" '$2 == n {print $3}' "$results" | median)
    [ -n "$rate" ] || continue
    p99=$(awk -v n="$name" '$2 == n {print $4}' "$results" | median)
    to_relay=$(ratios "$name" relay1 3 | median)
    to_nats=$(ratios "$name" nats 4 | median)
    printf '%-8s %14.0f %14.1f %16s %14s\n' "$name" "$rate" "$p99" "${to_relay:--}" "${to_nats:--}"
done
