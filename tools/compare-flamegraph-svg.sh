#!/usr/bin/env bash
# Usage: FLAMEGRAPH_PL=/path/to/flamegraph.pl tools/compare-flamegraph-svg.sh FOLDED...
#
# Renders each folded file with `sflame flamegraph` and with flamegraph.pl (brendangregg/
# FlameGraph; not part of sflame) and compares the frames they draw: the sorted list of
# tooltips ("name (N samples, P%)"), which pins down merging, sorting, pruning at the default
# 0.1 px, counts and percentages. The root's "100%" is spelled "100.00%" by sflame; that is
# normalized. Prints one line per file and exits 1 if any differ. Writes only to a temporary
# directory that it removes.
set -euo pipefail

pl=${FLAMEGRAPH_PL:-$(command -v flamegraph.pl || true)}
if [ -z "$pl" ] || [ ! -f "$pl" ]; then
    echo "flamegraph.pl not found: set FLAMEGRAPH_PL=/path/to/flamegraph.pl" >&2
    exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
swift build --scratch-path "$repo/.build-compare" --product sflame >/dev/null 2>&1
sflame=$repo/.build-compare/debug/sflame
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tooltips() { grep -o '<title>[^<]*' "$1" | sed -e 's/<title>//' -e 's/^\(all (.*\), 100.00%)$/\1, 100%)/' | sort; }

status=0
for folded in "$@"; do
    "$sflame" flamegraph "$folded" -o "$tmp/sflame.svg"
    perl "$pl" "$folded" > "$tmp/pl.svg" 2>/dev/null
    if diff <(tooltips "$tmp/sflame.svg") <(tooltips "$tmp/pl.svg") > "$tmp/diff"; then
        echo "same   $(grep -c '<title>' "$tmp/sflame.svg") frames  $folded"
    else
        echo "DIFFER $folded"
        head -20 "$tmp/diff"
        status=1
    fi
done
exit $status
