#!/usr/bin/env bash
# bench.sh: issue 26's regression guard. Runs each benchmark beside its
# raw net/http + encoding/json baseline in the same run, and prints the
# ratios next to their goals: executed instructions (callgrind, the
# stable measure on a shared machine), allocations (go test -benchmem)
# and system calls (strace -c). Exit status 1 when a measured ratio is
# over its goal.
#
#	scripts/bench.sh            # everything (needs valgrind and strace)
#	QUICK=1 scripts/bench.sh    # allocations and image peaks only
#
# The output is a Markdown table (scripts/benchlib.sh), headed by the
# date, the commit and the load average, ready for BENCHMARKS.md. Whole-
# process CPU and system calls per call come from scripts/syscalls.sh.
# The pacing row reads the simulated-time pacing test (injected clock).
# scripts/benchdoc.sh writes a saved output into README.md and
# BENCHMARKS.md between their bench.sh markers.
#
# Instructions per op are those of N+1 iterations less those of 1,
# divided by N, so that start-up cancels out. Valgrind aborts on the Go
# runtime's preemption signals, hence GODEBUG=asyncpreemptoff=1 for
# every side alike.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
fail=0
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/or.test" .

. scripts/benchlib.sh # header, row, ratio: Markdown rows with their verdicts

# instr BENCH N: instructions of N iterations of one sub-benchmark, with
# the collector off on every side (GOGC=off): the collector paces itself
# by the clock, which valgrind slows unevenly, and its idle workers can
# spin while valgrind runs one thread at a time (one run of a single chat
# call counted 56 G instructions instead of 48 M). Its cost shows in the
# allocation rows instead.
instr() {
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$bin/or.test" -test.run XXX -test.bench "$1" -test.benchtime "${2}x" -test.cpu 1 2>&1 >/dev/null |
		awk '/Collected/ { print $NF }'
}

# perop BENCH N: instructions per iteration, N+1 iterations less 1.
perop() {
	local one many
	one=$(instr "$1" 1)
	many=$(instr "$1" $(($2 + 1)))
	awk -v a="$one" -v b="$many" -v n="$2" 'BEGIN { printf "%.1f", (b - a) / n }'
}

# allocs BENCH N: allocs/op of each sub-benchmark, "name value" lines.
allocs() {
	"$bin/or.test" -test.run XXX -test.bench "$1" -test.benchmem -test.benchtime "${2}x" -test.cpu 1 |
		awk '/allocs\/op/ { for (i = 1; i < NF; i++) if ($(i+1) == "allocs/op") print $1, $i }'
}

pick() { awk -v k="$1" '$1 ~ k { print $2; exit }'; }

echo "Measured by scripts/bench.sh on $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes), N=$N, load average $(cut -d' ' -f1 /proc/loadavg)."
echo
header
a=$(allocs '^BenchmarkChat$' 2000)
ratio "chat allocs/op" "$(pick '/sdk$' <<<"$a")" "$(pick '/baseline' <<<"$a")" -
o=$(allocs '^BenchmarkChatCallOptions$' 2000)
ratio "chat + 3 call options allocs/op" "$(pick '/sdk$' <<<"$o")" "$(pick '/baseline' <<<"$o")" -
e=$(allocs '^BenchmarkEmbed1000$' 20)
ratio "embeddings 1,000 texts allocs/op" "$(pick '/sdk' <<<"$e")" "$(pick '/baseline' <<<"$e")" 1.10
s=$(allocs '^BenchmarkStream$' 20)
ratio "stream 2,000 chunks allocs/op" "$(pick '/sdk' <<<"$s")" "$(pick '/baseline' <<<"$s")" -
p=$(allocs '^BenchmarkParseJSONAnswer20KB$' 2000)
ratio "structured output 20 KB allocs/op" "$(pick '/sdk' <<<"$p")" "$(pick '/baseline' <<<"$p")" -
# xi BENCH: the x-image metric (bytes allocated plus ImageRequest.Into,
# over the image) of each sub-benchmark, "name value" lines.
xi() {
	"$bin/or.test" -test.run XXX -test.bench "$1" -test.benchmem -test.benchtime 3x -test.cpu 1 |
		awk '/x-image/ { for (i = 1; i < NF; i++) if ($(i+1) == "x-image") print $1, $i }'
}
m=$(xi '^BenchmarkGenerateImage8MB$')
row "8 MB image, chat, Content-Length: peak ÷ image" "$(pick '/sdk$' <<<"$m")" "$(pick '/baseline' <<<"$m")" "$(pick '/sdk$' <<<"$m")" 1.20
row "8 MB image, chat, chunked, Into: peak ÷ image" "$(pick '/sdk-chunked-into' <<<"$m")" "" "$(pick '/sdk-chunked-into' <<<"$m")" 1.20
row "8 MB image, chat, gzip, Into: peak ÷ image" "$(pick '/sdk-gzip-into' <<<"$m")" "" "$(pick '/sdk-gzip-into' <<<"$m")" 1.20
row "8 MB image, chat, chunked, no Into: peak ÷ image" "$(pick '/sdk-chunked$' <<<"$m")" "" "$(pick '/sdk-chunked$' <<<"$m")" -
m=$(xi '^BenchmarkImageAPI8MB$')
row "8 MB image, image API, Content-Length: peak ÷ image" "$(pick '/sdk$' <<<"$m")" "" "$(pick '/sdk$' <<<"$m")" 1.20
row "8 MB image, image API, chunked, Into: peak ÷ image" "$(pick '/sdk-chunked-into' <<<"$m")" "" "$(pick '/sdk-chunked-into' <<<"$m")" 1.20
row "8 MB image, image API, gzip, Into: peak ÷ image" "$(pick '/sdk-gzip-into' <<<"$m")" "" "$(pick '/sdk-gzip-into' <<<"$m")" 1.20
pace=$("$bin/or.test" -test.run '^TestPacingReachesServerRate$' -test.v)
ratio "pacing sim, 1,000 req quiet: wall/minimum" "$(awk '/quiet wall\/minimum/ { print $NF }' <<<"$pace")" 1 1.01
ratio "pacing sim, 1,000 req starved: wall/minimum" "$(awk '/starved wall\/minimum/ { print $NF }' <<<"$pace")" 1 1.05
[ -n "${QUICK:-}" ] && exit $fail
NOHEADER=1 scripts/syscalls.sh "$bin/or.test" || fail=1

ratio "chat instructions/op" "$(perop '^BenchmarkChat$/^sdk$' "$N")" "$(perop '^BenchmarkChat$/^baseline$' "$N")" 1.05
# The options row's baseline does what the options do, by hand: the same
# header, context.WithTimeout, the answer's fields kept in a struct.
ratio "chat + 3 call options instructions/op" "$(perop '^BenchmarkChatCallOptions$/^sdk$' "$N")" \
	"$(perop '^BenchmarkChatCallOptions$/^baseline$' "$N")" 1.10
ratio "embeddings 1,000 texts instructions/op" "$(perop '^BenchmarkEmbed1000$/^sdk$' 10)" \
	"$(perop '^BenchmarkEmbed1000$/^baseline$' 10)" 1.10
# The stream row reads a recorded body through an http.RoundTripper (no
# server): with a server, its count moved by orders of magnitude.
ratio "stream instructions/op (2,000 chunks)" "$(perop '^BenchmarkStream$/^sdk$' 10)" \
	"$(perop '^BenchmarkStream$/^baseline$' 10)" 1.10
ratio "structured output 20 KB instructions/op" "$(perop '^BenchmarkParseJSONAnswer20KB$/^sdk$' "$N")" \
	"$(perop '^BenchmarkParseJSONAnswer20KB$/^baseline$' "$N")" 1.20
exit $fail
