#!/usr/bin/env bash
# benchdoc.sh FILE: writes FILE, a table printed by scripts/bench.sh (or
# syscalls.sh), between the "<!-- bench.sh -->" and "<!-- /bench.sh -->"
# markers of README.md and BENCHMARKS.md, so that the README's figures
# come from the script, never typed by hand. TestReadmeBenchTable checks
# that the two files hold the same table.
#
#	scripts/bench.sh > bench.md; scripts/benchdoc.sh bench.md
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
for f in README.md BENCHMARKS.md; do
	awk -v src="$src" '
		/^<!-- \/bench.sh -->$/ { skip = 0 }
		!skip { print }
		/^<!-- bench.sh -->$/ { while ((getline l < src) > 0) print l; skip = 1 }' "$f" >"$f.new"
	mv "$f.new" "$f"
done
