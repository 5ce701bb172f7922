#!/usr/bin/env bash
# The aggregate job of the matrix workflow: take the results every fan-out job uploaded, all
# downloaded into one folder (download-artifact with merge-multiple: ARTIFACTS/results/<probe>/
# <variant>.json), compare them with the committed ones, rebuild reports/, and write for the pull
# request and the step summary:
#   changes.txt     the semantic changes
#   failures.txt    failed attempts that replaced an ok result (the diff ignores failed attempts)
#   not_probed.txt  every variant and probe the fan-out was to probe but has no result from this run
# Results not probed in this run keep the file the job started from (start_from_discover.sh).
# Needs: VARIANTS, the fan-out's list, as `tfmatrix variants` prints it: [{"id", "python", "probes"}].
# Usage: .github/scripts/aggregate.sh ARTIFACTS
set -euo pipefail
artifacts=$1
python=${PYTHON:-python3.11}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
new="$artifacts/results"
if [ -z "$(find "$new" -name '*.json' 2> /dev/null)" ]; then
  echo "aggregate.sh: $new holds no result files: no fan-out job uploaded any" >&2
  exit 2
fi
: > not_probed.txt
# Assigned first: a failing python inside the for line would not stop the script.
expected=$(VARIANTS=$VARIANTS "$python" -c 'import json, os
for variant in json.loads(os.environ["VARIANTS"]):
    for probe in variant["probes"]:
        print(variant["id"], probe)')
while read -r variant probe; do
  if [ -n "$variant" ] && [ ! -e "$new/$probe/$variant.json" ]; then echo "$variant ($probe)" >> not_probed.txt; fi
done <<< "$expected"
status=0
# Against the results the job started from: the committed ones, less those discover retired.
"$python" -m nox -s diff -- --old reports/results --new "$new" > diff.txt 2>&1 || status=$?
grep -E '^(changed|new release)' diff.txt > changes.txt || true
grep -E '^failed attempt' diff.txt > failures.txt || true
if [ "$status" -ne 0 ] && ! grep -q 'semantic changes$' diff.txt; then
  cat diff.txt >&2
  exit "$status" # bad input, not a semantic change
fi
cp -R "$new"/. reports/results/
"$python" -m nox -s dates # the upload day of each new release; one the index does not give is a warning
"$python" -m nox -s report
# A cell flipped, or a new release behaves differently: pinpoint the change (releases probed before
# are reused). One it cannot pinpoint here (no Python for the releases between) is a warning.
if grep -qE '^(changed|new release)' changes.txt; then
  "$python" -m nox -s pinpoint || echo "::warning::pinpoint did not pinpoint every change point; see its log"
fi
section() { # a heading, then the file in a code block, or "None."
  echo "## $1"
  if [ -s "$2" ]; then echo '```'; cat "$2"; echo '```'; else echo "None."; fi
  echo
}
{
  section "Semantic changes" changes.txt
  section "Failed attempts that replaced an ok result" failures.txt
  section "Not probed in this run (the committed result is kept)" not_probed.txt
  cat reports/*-matrix.md
} >> "$summary"
