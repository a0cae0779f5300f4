#!/usr/bin/env bash
# Rerun the watcher's burst, kill -9 and SIGTERM fault tests several times in
# a row and print the COUNTS line of every run.
#
# Usage: tests/repeat_faults.sh [RUNS]   (default 10). One run took 4 to 7
# minutes on a 2-core machine shared with other OCR jobs.
set -u
cd "$(dirname -- "$0")/.."
runs=${1:-10}
python=${PYTHON:-.venv/bin/python}
log=$(mktemp -t repeat_faults.XXXXXX)
failed=0
export OMP_THREAD_LIMIT=1

for run in $(seq 1 "$runs"); do
    if "$python" -m pytest tests/test_watch_faults.py -q -s -p no:cacheprovider \
        -k "burst or kill_9 or sigterm_during" >"$log" 2>&1; then
        outcome=passed
    else
        outcome=FAILED
        failed=$((failed + 1))
    fi
    echo "run $run: $outcome"
    grep '^COUNTS\|^\.*COUNTS' "$log" | sed 's/^\.*/  /'
    if [ "$outcome" = FAILED ]; then
        tail -n 30 "$log" | sed 's/^/  | /'
    fi
done
rm -f "$log"
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
