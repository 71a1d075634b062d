# benchlib.sh: the table rows bench.sh and syscalls.sh print, sourced by
# both. Each row is a Markdown table row, so that the output can be
# pasted (or written by bench.sh -write) into BENCHMARKS.md and README.md.
# A script that sources this sets fail=0 first; a row over its goal sets
# fail=1.

# header prints the table's header.
header() {
	echo "| measure | sdk | baseline | ratio | goal | |"
	echo "| --- | --- | --- | --- | --- | --- |"
}

# human VALUE: VALUE with k or M for thousands and millions.
human() {
	awk -v v="$1" 'BEGIN {
		if (v >= 1e6) printf "%.2f M", v / 1e6
		else if (v >= 1e4) printf "%.1f k", v / 1e3
		else if (v == int(v)) printf "%d", v
		else printf "%.2f", v }'
}

# row NAME SDK BASELINE RATIO GOAL: prints one row with its verdict; SDK
# and BASELINE are printed as given. A GOAL of "-" prints the ratio for
# information; a RATIO of "TODO" marks a measure not made yet.
row() {
	if [ "$4" = TODO ]; then
		printf "| %s | %s | %s | TODO | %s | not measured |\n" "$1" "$2" "$3" "$5"
		return
	fi
	awk -v name="$1" -v s="$2" -v b="$3" -v r="$4" -v goal="$5" 'BEGIN {
		if (goal == "-") { printf "| %s | %s | %s | %.3f× | | |\n", name, s, b, r; exit 0 }
		ok = (r + 0 <= goal + 0)
		printf "| %s | %s | %s | %.3f× | %.2f× | %s |\n", name, s, b, r, goal, ok ? "ok" : "**OVER**"
		exit ok ? 0 : 1 }' || fail=1
}

# ratio NAME SIDE BASE GOAL: the row of SIDE measured against BASE.
ratio() {
	if [ -z "$2" ] || [ -z "$3" ]; then
		row "$1" "?" "?" TODO "$4"
		fail=1
		return
	fi
	if awk -v s="$2" -v b="$3" 'BEGIN { exit (s > 0 && b > 0) }'; then
		# A count below zero (N+1 iterations measured less than 1: the
		# runtime's background work differs between the two runs) is
		# no measure: said so, and counted as a miss.
		printf "| %s | %s | %s | invalid | %s× | **INVALID** |\n" "$1" "$2" "$3" "$4"
		fail=1
		return
	fi
	row "$1" "$(human "$2")" "$(human "$3")" "$(awk -v s="$2" -v b="$3" 'BEGIN { print s / b }')" "$4"
}
