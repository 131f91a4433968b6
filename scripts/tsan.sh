#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer and fails on any report: TSan can print a
# warning and still exit 0, so its output is read. docs/RELIABILITY.md ("Races") has the runs.
#
# Two passes over one TSan build (.build-tsan):
# 1. every test that runs on clocks the tests move or on nothing but the process itself, in
#    parallel, at most 2 x cores at once (Swift Testing otherwise starts all of them together,
#    and on two cores slowed tenfold by TSan the 60 s hang guards run out by the dozen);
# 2. the tests that must use real time, one at a time (REALTIME below: real processes, Redis
#    restarts, node kills, leases, throughput), with CHAT255_TIME_SCALE (default 4): their
#    bounds are multiplied by it (Patience.timeScale), so "within the lease + 1 s" becomes
#    "within (lease + 1 s) x 4" with a lease 4 times as long. A normal run checks the exact bound.
#
# The symbolizer is the toolchain's own llvm-symbolizer, whatever comes first on PATH: Debian's
# (LLVM 14) takes more than a minute on a Swift report and stalls the whole process meanwhile.
# One suppression, explained in scripts/tsan-suppressions.txt.
#
#   scripts/tsan.sh            both passes
#   scripts/tsan.sh parallel   pass 1 only
#   scripts/tsan.sh realtime   pass 2 only
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
which=${1:-all}
case "$which" in all | parallel | realtime) ;; *)
    echo "usage: scripts/tsan.sh [all|parallel|realtime]" >&2
    exit 2
    ;;
esac

# Suites that run on real time (Module.Type, as `swift test --filter` matches them).
REALTIME='^(ChatServerCoreTests\.(ClusterTests|ClusterProcessTests|ClusterSentinelTests|ClusterTLSTests|ChaosTests|MetricsTests|DrainTests|SignalDrainTests|ClusterDrainTests|LogFormatTests|OperationsAddressTests|PrintConfigTests|ConfigFileTests|AccountTests|WebSocketTests|WebSocketCloseTests|BrowserTests|CapacityTests|FaultTests)|ChatClientCoreTests\.(EndToEndTests|DescriptorExhaustionTests|ReconnectTests|BrokenServerTests|TerminalModeTests|TLSTests|InteroperabilityTests|ChangeEventsEndToEndTests)|ChatBenchCoreTests\.ChatBenchTests|RESPTests\.(RESPClientTests|RESPConnectionTests|RESPSentinelsTests))[/.]'

swift_path=$(command -v swift) || {
    echo "tsan.sh: swift is not on PATH" >&2
    exit 2
}
symbolizer="$(dirname "$(readlink -f "$swift_path")")/llvm-symbolizer"
if [ ! -x "$symbolizer" ]; then
    echo "tsan.sh: the toolchain has no llvm-symbolizer next to swift ($symbolizer)" >&2
    exit 2
fi
export TSAN_OPTIONS="external_symbolizer_path=$symbolizer suppressions=$root/scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}"
cores=$(nproc)
scale=${CHAT255_TIME_SCALE:-4}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

start=$(date +%s)
swift build --build-tests --sanitize=thread --scratch-path .build-tsan 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
built=$(date +%s)
first=0
second=0
if [ "$status" -eq 0 ] && [ "$which" != realtime ]; then
    SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$((2 * cores)) \
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan --skip "$REALTIME" 2>&1 | tee -a "$log"
    first=${PIPESTATUS[0]}
fi
middle=$(date +%s)
if [ "$status" -eq 0 ] && [ "$which" != parallel ]; then
    CHAT255_TIME_SCALE=$scale SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=1 \
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter "$REALTIME" 2>&1 | tee -a "$log"
    second=${PIPESTATUS[0]}
fi
end=$(date +%s)
echo "tsan.sh: build $((built - start)) s, parallel pass $((middle - built)) s (exit $first)," \
    "real-time pass $((end - middle)) s (exit $second, CHAT255_TIME_SCALE=$scale); $((end - start)) s in all"
if grep -q "WARNING: ThreadSanitizer" "$log"; then
    echo "tsan.sh: ThreadSanitizer reported races (see above)" >&2
    exit 1
fi
[ "$status" -eq 0 ] && [ "$first" -eq 0 ] && [ "$second" -eq 0 ]
