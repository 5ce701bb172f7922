#!/usr/bin/env bash
# One fan-out job of the matrix workflow: run every probe in VARIANT (reusing its committed results
# while they are current, unless --force-all) and put its results in results/<probe>/ for upload.
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
for result in reports/results/*/"$variant.json"; do
  probe=$(basename "$(dirname "$result")")
  mkdir -p "results/$probe"
  cp "$result" "results/$probe/"
done
if [ "$status" -eq 3 ]; then exit 3; fi
