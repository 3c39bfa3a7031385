#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Usage: tools/bench-diff.sh [STACKS=100000] [OUTDIR=.build-bench] [FLAMEGRAPH_DIR]
#
# Times `sflame diff BEFORE AFTER -o diff.svg` (release build; it also writes the text report)
# against FlameGraph's `difffolded.pl BEFORE AFTER | flamegraph.pl > diff.svg`, side by side, on
# two folded files of STACKS unique stacks each (depth 6-30, shared prefixes like a real
# service; AFTER changes every weight and replaces 10 % of the stacks). The two commands run
# alternately ROUNDS times (default 3; env ROUNDS); the script prints each run and the medians
# of wall and CPU (user + sys) time, and the ratios. Prints only; nothing asserts a time.
#
# FLAMEGRAPH_DIR (argument or environment) is a directory holding difffolded.pl and
# flamegraph.pl, e.g. a checkout of https://github.com/brendangregg/FlameGraph; without it,
# only sflame is timed. Writes only under OUTDIR (default .build-bench in the repository).
set -euo pipefail

stacks=${1:-100000}
repo=$(cd "$(dirname "$0")/.." && pwd)
outdir=${2:-$repo/.build-bench}
flamegraph_dir=${3:-${FLAMEGRAPH_DIR:-}}
rounds=${ROUNDS:-3}
mkdir -p "$outdir"
before=$outdir/diff-before-$stacks.folded
after=$outdir/diff-after-$stacks.folded

# Deterministic inputs, written in one pass: the same tree walk as bench-flamegraph.sh.
awk -v n="$stacks" -v before="$before" -v after="$after" 'BEGIN {
    srand(42)
    for (i = 0; i < n; i++) {
        depth = 6 + int(rand() * 25)
        line = "service"
        for (d = 1; d < depth; d++) line = line ";mod" d "_fn" int(rand() * (4 + d % 9))
        w = 1 + int(rand() * 1000)
        printf "%s;leaf_%d %d\n", line, i, w > before
        if (rand() < 0.9) printf "%s;leaf_%d %d\n", line, i, int(w * (0.5 + rand())) + 1 > after
        else printf "%s;leaf_new_%d %d\n", line, i, w > after
    }
}'

swift build -c release --scratch-path "$repo/.build-bench-release" --product sflame >/dev/null 2>&1
sflame=$repo/.build-bench-release/release/sflame

TIMEFORMAT='%R %U %S'
measure() {  # label, output file, command string: prints "label wall cpu" and appends to OUTDIR/label.times
    local label=$1 out=$2 cmd=$3 times
    times=$( { time bash -c "$cmd" > "$out" 2>/dev/null; } 2>&1 )
    read -r wall user sys <<< "$times"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '%-32s wall %6.2f s  cpu %6.2f s\n' "$label" "$wall" "$cpu"
    echo "$wall $cpu" >> "$outdir/$label.times"
}

median() {  # file, column: the median of the column
    sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "input: $stacks unique stacks per side, $(wc -c < "$before") + $(wc -c < "$after") bytes; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$outdir"/sflame-diff.times "$outdir"/difffolded+flamegraph.times
have_pl=false
if [ -n "$flamegraph_dir" ] && [ -f "$flamegraph_dir/difffolded.pl" ] && [ -f "$flamegraph_dir/flamegraph.pl" ]; then
    have_pl=true
else
    echo "FlameGraph scripts: not found (set FLAMEGRAPH_DIR=/path/to/FlameGraph to compare)"
fi
for ((round = 1; round <= rounds; round++)); do
    measure sflame-diff "$outdir/sflame-diff.txt" "'$sflame' diff '$before' '$after' -o '$outdir/sflame-diff.svg'"
    if $have_pl; then
        measure difffolded+flamegraph "$outdir/flamegraph-pl-diff.svg" \
            "perl '$flamegraph_dir/difffolded.pl' '$before' '$after' | perl '$flamegraph_dir/flamegraph.pl'"
    fi
done

sflame_wall=$(median "$outdir/sflame-diff.times" 1)
sflame_cpu=$(median "$outdir/sflame-diff.times" 2)
echo "median sflame diff:             wall $sflame_wall s  cpu $sflame_cpu s" \
    "($(grep -c '<title>' "$outdir/sflame-diff.svg") frames drawn)"
if $have_pl; then
    pl_wall=$(median "$outdir/difffolded+flamegraph.times" 1)
    pl_cpu=$(median "$outdir/difffolded+flamegraph.times" 2)
    echo "median difffolded+flamegraph:   wall $pl_wall s  cpu $pl_cpu s" \
        "($(grep -c '<title>' "$outdir/flamegraph-pl-diff.svg") frames drawn)"
    awk -v a="$pl_wall" -v b="$sflame_wall" -v c="$pl_cpu" -v d="$sflame_cpu" \
        'BEGIN { printf "sflame is %.1fx faster (wall), %.1fx (CPU time)\n", a / b, c / d }'
fi
