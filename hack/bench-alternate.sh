#!/usr/bin/env bash
# Runs the operator of each O run of one ecs-bench invocation under the next of several
# environments, in turn, so that operator configurations are compared in the same invocation
# (the machine's speed drifts between invocations more than most changes move the ratio):
#
#   BENCH_ALTERNATE="ECS_OPERATOR_MAX_CREATES_IN_FLIGHT=64;ECS_OPERATOR_MAX_CREATES_IN_FLIGHT=128" \
#   BENCH_OPERATOR_WRAP=hack/bench-alternate.sh target/release/ecs-bench --n 1000 --m 100 --reps 6 --arms R,O
#
# The k-th O run (in the order the JSON lists them) used environment k mod the count; the
# choice is also appended to $BENCH_ALTERNATE_LOG (default target/bench/alternate.log).
set -euo pipefail
log="${BENCH_ALTERNATE_LOG:-target/bench/alternate.log}"
# One count per invocation: the wrapper's parent is the ecs-bench process.
count_file="$log.$PPID.count"
mkdir -p "$(dirname "$log")"
n=$(cat "$count_file" 2>/dev/null || echo 0)
echo $((n + 1)) >"$count_file"
IFS=';' read -ra variants <<<"${BENCH_ALTERNATE:?set BENCH_ALTERNATE to env settings separated by ;}"
variant="${variants[$((n % ${#variants[@]}))]}"
echo "$(date -u +%FT%TZ) ecs-bench $PPID, O run $n: [$variant]" >>"$log"
# shellcheck disable=SC2086 # the variant is a list of VAR=value words
exec env $variant "$@"
