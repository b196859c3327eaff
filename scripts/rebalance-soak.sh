#!/usr/bin/env bash
# Runs e2e test files again and again, reruns off, to see how often a rebalance loses an event
# (README, Known limits). Not part of `make test`: a soak takes long and needs the machine.
#
# Usage: scripts/rebalance-soak.sh [-n RUNS] [-o DIR] [TEST_FILE ...]
#   -n RUNS   passes wanted (default 10); stops at the first failure
#   -o DIR    where each attempt keeps its output (default: a new directory under /tmp)
#   TEST_FILE default: tests/e2e/test_rolling_restart.py tests/e2e/test_faults_workers.py
#             tests/e2e/test_recovery.py tests/e2e/test_dashboard.py
# Example: scripts/rebalance-soak.sh -n 1 tests/e2e/test_rolling_restart.py
#
# Each attempt N keeps DIR/run-N/console.txt (pytest's output) and DIR/run-N/basetemp (pytest's
# --basetemp: every stack's worker, front door and status API logs). Passing attempts' basetemp
# is removed to save space; a failing attempt keeps everything. Exit code: 0 when all N passed,
# else the failing attempt's pytest exit code.
set -euo pipefail

runs=10
out=""
while getopts "n:o:h" opt; do
    case "$opt" in
        n) runs="$OPTARG" ;;
        o) out="$OPTARG" ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [[ ! "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "rebalance-soak: -n wants a positive number, got '$runs'" >&2
    exit 2
fi
tests=("$@")
if [[ ${#tests[@]} -eq 0 ]]; then
    tests=(tests/e2e/test_rolling_restart.py tests/e2e/test_faults_workers.py
        tests/e2e/test_recovery.py tests/e2e/test_dashboard.py)
fi

cd "$(dirname "$0")/.."
out="${out:-$(mktemp -d "${TMPDIR:-/tmp}/rebalance-soak.XXXXXX")}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
echo "rebalance-soak: ${runs} run(s) of ${tests[*]}; output in ${out}"

passed=0
code=0
for ((run = 1; run <= runs; run++)); do
    dir="$out/run-$run"
    mkdir -p "$dir"
    started=$SECONDS
    set +e
    uv run pytest "${tests[@]}" -p no:rerunfailures -x -rA --basetemp="$dir/basetemp" \
        >"$dir/console.txt" 2>&1
    code=$?
    set -e
    took=$((SECONDS - started))
    result="$(grep -E '^=+ .*(passed|failed|error).* in ' "$dir/console.txt" | tail -1 | tr -d '=')"
    if [[ $code -eq 0 ]]; then
        passed=$((passed + 1))
        rm -rf "$dir/basetemp"
        echo "run $run/$runs: PASS in ${took}s:${result}"
    else
        echo "run $run/$runs: FAIL (exit $code) in ${took}s:${result}"
        echo "  console: $dir/console.txt"
        echo "  logs:    $dir/basetemp (each stack's logs*/ directory holds its process logs)"
        break
    fi
done

echo "rebalance-soak: ${passed} of ${runs} run(s) passed, $((run > runs ? 0 : 1)) failed; output in ${out}"
exit "$code"
