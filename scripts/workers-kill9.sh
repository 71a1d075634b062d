#!/usr/bin/env bash
# workers-kill9.sh: issue 31's measurement of several workers on one job
# (BENCHMARKS.md, "Several workers on one job"). For N = 2 and 4 worker
# processes of examples/seo on one job of 1,000 articles, with its
# journal and pacing in Redis, against one fake server
# (openroutertest/cmd/fakeopenrouter): a worker drawn from the seed is
# killed with SIGKILL at a moment drawn from the seed, KILLS times, and
# started again; once the job is done, its report (-report) must hold
# every article exactly once, with its own answer, the counts adding up,
# and every completion the fake billed in the job's cost or flagged.
# It starts redis-server when installed, miniredis otherwise.
#
#	scripts/workers-kill9.sh                        # N=2,4; 1,000 items; 5 kills; 3 seeds
#	N=2 ITEMS=200 KILLS=3 SEEDS=1 scripts/workers-kill9.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS_MEASURE=1 WORKERS_N="${N:-2,4}" WORKERS_ITEMS="${ITEMS:-1000}" WORKERS_KILLS="${KILLS:-5}" WORKERS_SEEDS="${SEEDS:-3}" \
	go test -count=1 -run 'TestWorkersKill9$' -v -timeout 60m ./examples/seo
