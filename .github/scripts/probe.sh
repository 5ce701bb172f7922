#!/usr/bin/env bash
# One fan-out job of the matrix workflow: run every probe in VARIANT (reusing its committed results
# while they are current, unless --force-all) and lay out what this run wrote for upload:
#   upload/results/<probe>/VARIANT.json   each result this run wrote (never a committed one it reused)
#   upload/logs/VARIANT.log, .report.json what the session printed and how it ended
# A plain folder, so the artifact's layout does not depend on how upload-artifact treats hidden
# ones (.nox/) or on how many paths it is given; every job's files have their own names, so the
# aggregate job can download all artifacts into one folder (merge-multiple).
# A failed attempt (exit status 3: install, import, crash, timeout) is a result too, and so are
# results written before a later step failed: they are laid out first, then the job fails.
# Usage: .github/scripts/probe.sh VARIANT [MATRIX OPTIONS...]   (e.g. --force-all, as the workflow passes)
set -euo pipefail
variant=$1
shift
python=${PYTHON:-python3.11}
started=$(mktemp)
status=0
# --no-report: the report job renders once, from every job's results.
"$python" -m nox -s matrix -- --only "$variant" --no-report "$@" || status=$?
mkdir -p upload/results upload/logs
while IFS= read -r result; do
  probe=$(basename "$(dirname "$result")")
  mkdir -p "upload/results/$probe"
  cp "$result" "upload/results/$probe/"
done < <(find reports/results -name "$variant.json" -newer "$started")
for log in ".nox/logs/$variant.log" ".nox/logs/$variant.report.json"; do
  if [ -e "$log" ]; then cp "$log" upload/logs/; fi
done
# A failed attempt that only repeats an earlier failure (its failure has a failing_since) leaves the job
# green: the report lists it among the persistent failures, and a new failure stands out in red.
# Not when a result could not be written at all (the session's report lists it under "unwritten").
repeated_only() {
  "$python" - upload/results ".nox/logs/$variant.report.json" << 'PY'
import json, pathlib, sys
written = [json.loads(p.read_text()) for p in pathlib.Path(sys.argv[1]).glob("*/*.json")]
failures = [r.get("failure") or {} for r in written if r.get("status") != "ok"]
report = pathlib.Path(sys.argv[2])
unwritten = json.loads(report.read_text()).get("unwritten") if report.exists() else ["no session report"]
sys.exit(0 if failures and not unwritten and all(f.get("failing_since") for f in failures) else 1)
PY
}
case "$status" in
  0) ;;
  3) if repeated_only; then echo "::notice::$variant: the same failure as before, listed as persistent"; else exit 3; fi ;;
  *) exit "$status" ;;
esac
