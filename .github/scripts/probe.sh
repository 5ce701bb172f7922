#!/usr/bin/env bash
# One fan-out job of the matrix workflow: probe VARIANT (reusing its committed result while it is
# current, unless --force-all) and put the result in results/ for upload as an artifact.
# A failed attempt (exit status 3: install, import, crash, timeout) is a result too: it is put in
# results/ for the report, and the job still fails so that the run shows it.
# Usage: .github/scripts/probe.sh VARIANT [--force-all]
set -euo pipefail
variant=$1
shift
python=${PYTHON:-python3.11}
status=0
"$python" -m nox -s matrix -- --only "$variant" "$@" || status=$?
case "$status" in
  0 | 3 | 4) ;;  # a result was written; 4 only says it differs from the committed one
  *) exit "$status" ;;
esac
mkdir -p results
cp "reports/results/$variant.json" results/
if [ "$status" -eq 3 ]; then exit 3; fi
