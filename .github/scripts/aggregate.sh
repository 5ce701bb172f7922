#!/usr/bin/env bash
# The aggregate job of the matrix workflow: take the results downloaded from every fan-out job
# (ARTIFACTS/result-<variant>/results/<probe>/<variant>.json), compare them with the committed ones,
# rebuild reports/, and write the semantic changes to changes.txt and the step summary.
# Usage: .github/scripts/aggregate.sh ARTIFACTS
set -euo pipefail
artifacts=$1
python=${PYTHON:-python3.11}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
new=$(mktemp -d)
for results in "$artifacts"/result-*/results; do
  cp -R "$results"/. "$new"/
done
status=0
"$python" -m nox -s diff -- --new "$new" > diff.txt 2>&1 || status=$?
grep -E '^(changed|new release)' diff.txt > changes.txt || true
if [ "$status" -ne 0 ] && ! grep -q 'semantic changes$' diff.txt; then
  cat diff.txt >&2
  exit "$status"  # bad input, not a semantic change
fi
cp -R "$new"/. reports/results/
"$python" -m nox -s report
{
  echo "## Semantic changes"
  if [ -s changes.txt ]; then echo '```'; cat changes.txt; echo '```'; else echo "None."; fi
  echo
  cat reports/*-matrix.md
} >> "$summary"
