#!/usr/bin/env bash
# One flooding client next to 50 pairs at a fixed rate (docs/PERFORMANCE.md, "Flood control"):
# loadgen's lat20k (50 pairs, 20,000 msgs/s in all, 32-byte bodies) alone, then with
# scripts/flooder.py writing frames as fast as it can, against chatserver with the given flood
# limits (default: --max-msgs-per-sec 2000 --max-bytes-per-sec 262144) and without any. Prints the
# pairs' p50/p99 for each and the p99 ratio with the flooder to without.
# SERVER=path/to/a/chatserver measures that binary instead of this package's release build (an
# older commit's, built in a worktree of its own, to compare a change with the one before).
#   scripts/flood-bench.sh [ROUNDS, default 3] [-- chatserver flood options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
rounds=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift
limits=("$@")
[ ${#limits[@]} -gt 0 ] || limits=(--max-msgs-per-sec 2000 --max-bytes-per-sec 262144)
bin="$bench"
[ -w "$bench" ] || { bin="${TMPDIR:-/tmp}/chat255-bench"; mkdir -p "$bin"; }
[ -x "$bin/loadgen" ] || cc -O2 -Wall -pthread -o "$bin/loadgen" "$bench/loadgen.c" -lm
if [ -n "${SERVER:-}" ]; then
    [ -x "$SERVER" ] || { echo "flood-bench.sh: SERVER '$SERVER' is not an executable" >&2; exit 2; }
    server=$SERVER
else
    swift build -c release --package-path "$root" --product chatserver >/dev/null
    server="$root/.build/release/chatserver"
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port=17700
lat() { # p50 p99 of lat20k against $1
    local line
    line=$(timeout 60 "$bin/loadgen" --proto chat255 --port "$1" --pairs 50 --size 32 --rate 20000 --seconds 5 \
        --warmup 1 --window 64 --keepalive 4 --login-timeout 10 2>&1 | grep '^RESULT' || true)
    [ -n "$line" ] || { echo "FAILED FAILED"; return; }
    echo "$(sed -E 's/.* p50_us=([^ ]+).*/\1/' <<<"$line") $(sed -E 's/.* p99_us=([^ ]+).*/\1/' <<<"$line")"
}
run() { # label, flood yes/no, server options...
    local label=$1 flood=$2
    shift 2
    port=$((port + 1))
    "$server" --port "$port" --log-level warning "$@" >/dev/null 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
    local fpid=""
    if [ "$flood" = yes ]; then
        python3 "$root/scripts/flooder.py" "$port" flooder 8 >/tmp/flooder.$$ 2>&1 &
        fpid=$!
        sleep 0.5
    fi
    read -r p50 p99 <<<"$(lat "$port")"
    [ -n "$fpid" ] && { wait "$fpid" || true; }
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '%-6s %-24s %10s %10s %s\n' "$round" "$label" "$p50" "$p99" "$([ "$flood" = yes ] && cat /tmp/flooder.$$ || true)"
    echo "$round $label $p99" >>"$results"
    sleep 1
}
results=$(mktemp)
printf '%-6s %-24s %10s %10s\n' round run p50_us p99_us
for round in $(seq "$rounds"); do
    run limits yes "${limits[@]}"
    run limits-no-flood no "${limits[@]}"
    run no-limits yes
done
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo
for label in limits limits-no-flood no-limits; do
    printf '%-24s median p99 %s us\n' "$label" "$(awk -v l="$label" '$2 == l {print $3}' "$results" | median)"
done
ratio=$(awk '$2 == "limits" {a[$1] = $3} $2 == "limits-no-flood" {b[$1] = $3} END {for (r in a) if (b[r] > 0) printf "%.3f\n", a[r] / b[r]}' "$results" | median)
echo "p99 with the flooder / without it (same limits, median of per-round ratios): $ratio"
rm -f "$results" /tmp/flooder.$$
