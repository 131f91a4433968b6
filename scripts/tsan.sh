#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer, tests in parallel as `swift test` runs them
# (no test depends on the machine's speed: rules that depend on time run on clocks the tests
# move), and fails on any report: TSan can print warnings and still exit 0, so its output is read.
# `scripts/tsan.sh --no-parallel` runs one test at a time.
# The one suppression (scripts/tsan-suppressions.txt) is explained in that file.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
TSAN_OPTIONS="suppressions=$root/scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}" \
    swift test --sanitize=thread --scratch-path .build-tsan "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if grep -q "WARNING: ThreadSanitizer" "$log"; then
    echo "tsan.sh: ThreadSanitizer reported races (see above)" >&2
    exit 1
fi
exit "$status"
