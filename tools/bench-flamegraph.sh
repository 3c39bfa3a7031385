#!/usr/bin/env bash
# Usage: tools/bench-flamegraph.sh [STACKS=100000] [OUTDIR=.build-bench]
#
# Times `sflame flamegraph` (release build) on STACKS unique synthetic folded stacks (depth 6-30,
# shared prefixes like a real service), prints the wall time and the SVG size, and does the same
# for flamegraph.pl when FLAMEGRAPH_PL names it (or it is on PATH), for comparison. Prints only;
# nothing here asserts a time. Writes only under OUTDIR (default .build-bench in the repository).
set -euo pipefail

stacks=${1:-100000}
repo=$(cd "$(dirname "$0")/.." && pwd)
outdir=${2:-$repo/.build-bench}
mkdir -p "$outdir"
input=$outdir/bench-$stacks.folded

# Deterministic input: each stack walks a tree with fan-out 4-12 per level, so stacks share
# prefixes; the leaf carries the stack number, so every stack is unique.
awk -v n="$stacks" 'BEGIN {
    srand(42)
    for (i = 0; i < n; i++) {
        depth = 6 + int(rand() * 25)
        line = "service"
        for (d = 1; d < depth; d++) line = line ";mod" d "_fn" int(rand() * (4 + d % 9))
        printf "%s;leaf_%d %d\n", line, i, 1 + int(rand() * 1000)
    }
}' > "$input"

swift build -c release --scratch-path "$repo/.build-bench-release" --product sflame >/dev/null 2>&1
sflame=$repo/.build-bench-release/release/sflame

measure() {  # label, output file, command...: runs the command with stdout to the file
    local label=$1 out=$2; shift 2
    local start end
    start=$(date +%s%N)
    "$@" > "$out"
    end=$(date +%s%N)
    printf '%-26s %6d ms  %10d bytes  %8d frames\n' "$label" $(((end - start) / 1000000)) \
        "$(wc -c < "$out")" "$(grep -c '<title>' "$out" || true)"
}

echo "input: $stacks unique stacks, $(wc -c < "$input") bytes; times include reading and parsing"
measure "sflame" "$outdir/sflame.svg" "$sflame" flamegraph "$input"
measure "sflame --minwidth 0" "$outdir/sflame-all.svg" "$sflame" flamegraph --minwidth 0 "$input"

pl=${FLAMEGRAPH_PL:-$(command -v flamegraph.pl || true)}
if [ -n "$pl" ] && [ -f "$pl" ]; then
    measure "flamegraph.pl" "$outdir/flamegraph-pl.svg" perl "$pl" "$input"
    measure "flamegraph.pl --minwidth 0" "$outdir/flamegraph-pl-all.svg" perl "$pl" --minwidth 0 "$input"
else
    echo "flamegraph.pl: not found (set FLAMEGRAPH_PL=/path/to/flamegraph.pl to compare)"
fi
