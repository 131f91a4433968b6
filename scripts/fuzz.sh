#!/usr/bin/env bash
# Builds the libFuzzer target `chatfuzz` (with AddressSanitizer) and runs it over a copy of the
# committed seed corpus for SECONDS (default 60). Finds land in fuzz-artifacts/ (git-ignored);
# each crash becomes a regression test that replays it (Tests/ChatWireTests/FuzzReplayTests.swift).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
cd "$root"
# `--sanitize fuzzer` instruments only the executable's own module: swiftc drops
# -sanitize=fuzzer for library modules (-parse-as-library), so ChatWire and ChatClientCore would
# run without coverage feedback ("no interesting inputs", 446 counters). Coverage is asked for
# explicitly, in the form today's libFuzzer reads (8-bit counters and a PC table).
swift build -c release --product chatfuzz --sanitize fuzzer --sanitize address --scratch-path .build-fuzz \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/* "$work"/
mkdir -p fuzz-artifacts
.build-fuzz/release/chatfuzz "$work" -max_total_time="$seconds" -max_len=2048 -timeout=5 \
    -artifact_prefix=fuzz-artifacts/ -print_final_stats=1
