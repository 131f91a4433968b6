#!/usr/bin/env bash
# Measures chatserver side by side with the references in ../shared/bench (relay_baseline,
# nats-server, mosquitto) in one run. Extra arguments go to run_peers.sh, e.g.
#   scripts/bench.sh --only relay1,nats,swift --storm "2000" --churn
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/../shared/bench"
[ -x "$bench/run_peers.sh" ] || { echo "bench.sh: $bench/run_peers.sh not found" >&2; exit 1; }
swift build -c release --package-path "$root" --product chatserver
exec "$bench/run_peers.sh" --extra "swift=$root/.build/release/chatserver --port {port} --log-level warning" "$@"
