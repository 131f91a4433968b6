#!/usr/bin/env bash
# A/B on tp50 only: two chatserver builds alternately, 4 s each (after 1 s of warm-up), ROUNDS
# rounds; prints msgs/s per run and the median of the per-round ratios B ÷ A. Quicker and less
# disturbed than interleave.sh when only a change's cost on the per-message path is in question.
#   scripts/ab.sh A_BINARY B_BINARY [ROUNDS, default 8]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
a=$1
b=$2
rounds=${3:-8}
bin="$bench"
[ -w "$bench" ] || { bin="${TMPDIR:-/tmp}/chat255-bench"; mkdir -p "$bin"; }
[ -x "$bin/loadgen" ] || cc -O2 -Wall -pthread -o "$bin/loadgen" "$bench/loadgen.c" -lm
results=$(mktemp)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$results"; }
trap cleanup EXIT
port=18100
for round in $(seq "$rounds"); do
    for side in A B; do
        server=$a
        [ "$side" = B ] && server=$b
        port=$((port + 1))
        "$server" --port "$port" --log-level warning >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
        line=$(timeout 60 "$bin/loadgen" --proto chat255 --port "$port" --pairs 50 --size 32 --seconds 4 --warmup 1 \
            --window 64 --keepalive 4 --login-timeout 10 2>&1 | grep '^RESULT' || true)
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        pid=""
        rate=$(sed -E 's/.* msgs_per_s=([^ ]+).*/\1/' <<<"$line")
        echo "$round $side ${rate:-FAILED}" | tee -a "$results"
        sleep 1
    done
done
awk '$2 == "A" {a[$1] = $3} $2 == "B" {b[$1] = $3} END {for (r in a) if (a[r] > 0 && (r in b)) printf "%.3f\n", b[r] / a[r]}' "$results" |
    sort -g | awk '{v[NR] = $1} END {if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; print "B / A, median of per-round ratios: " m}'
