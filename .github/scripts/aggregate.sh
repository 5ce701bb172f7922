#!/usr/bin/env bash
# The aggregate job of the matrix workflow: take the results every fan-out job uploaded, all
# downloaded into one folder (download-artifact with merge-multiple: ARTIFACTS/results/<probe>/
# <variant>.json), compare them with the committed ones, rebuild reports/, and write for the pull
# request and the step summary:
#   changes.txt     the semantic changes
#   failures.txt    failed attempts that replaced an ok result (the diff ignores failed attempts)
#   persistent.txt  failed attempts that repeat an earlier failure: since when, and when tried again
#   not_probed.txt  every variant and probe the fan-out was to probe but has no result from this run
# Results not probed in this run keep the file the job started from (start_from_discover.sh).
# Needs: VARIANTS, the fan-out's list, as `tfmatrix variants` prints it: [{"id", "python", "probes"}].
# Usage: .github/scripts/aggregate.sh ARTIFACTS [MAIN]   (MAIN: main's results as discover left them;
# default: the results the job starts from)
set -euo pipefail
artifacts=$1
main=${2:-}
python=${PYTHON:-python3.11}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
new="$artifacts/results"
if [ -z "$(find "$new" -name '*.json' 2> /dev/null)" ]; then
  echo "aggregate.sh: $new holds no result files: no fan-out job uploaded any" >&2
  exit 2
fi
# A copy: upgraded below, as the results are.
compared=$(mktemp -d)
cp -R "${main:-reports/results}/." "$compared"
: > not_probed.txt
# Assigned first: a failing python inside the for line would not stop the script.
expected=$(VARIANTS=$VARIANTS "$python" -c 'import json, os
for variant in json.loads(os.environ["VARIANTS"]):
    for probe in variant["probes"]:
        print(variant["id"], probe)')
while read -r variant probe; do
  if [ -n "$variant" ] && [ ! -e "$new/$probe/$variant.json" ]; then echo "$variant ($probe)" >> not_probed.txt; fi
done <<< "$expected"
# Results of an older schema are upgraded here, once: a schema bump alone fans out no probe job
# (`tfmatrix variants --stale` judges them as upgraded).
"$python" -m nox -s migrate -- reports/results "$compared"
# diff_into FILE OLD NEW: `nox -s diff` into FILE; its exit status 4 only says the behaviour changed.
diff_into() {
  local status=0
  "$python" -m nox -s diff -- --old "$2" --new "$3" > "$1" 2>&1 || status=$?
  if [ "$status" -ne 0 ] && ! grep -q 'semantic changes$' "$1"; then
    cat "$1" >&2
    exit "$status" # bad input, not a semantic change
  fi
}
# This run's failed attempts, against the results the job started from.
diff_into diff.txt reports/results "$new"
grep -E '^failed attempt' diff.txt > failures.txt || true
grep -E '^persistent failure' diff.txt > persistent.txt || true
cp -R "$new"/. reports/results/
# The semantic changes against main's results (less those discover retired), not against the ones the run
# started from: those include the open bot pull request's, and its description must list every change it
# still carries, week after week.
diff_into main-diff.txt "$compared" reports/results
grep -E '^(changed|new release)' main-diff.txt > changes.txt || true
"$python" -m nox -s dates # the upload day of each new release; one the index does not give is a warning
# A cell flipped, or a new release behaves differently: pinpoint the change (releases probed before are
# reused), which renders the reports at its end even when it skips a change point it cannot pinpoint here
# (no Python for the releases between: exit 3); the reports then say "not yet pinpointed". Otherwise, or
# when pinpoint stopped before rendering, render them here: they always show what the results say.
pinpointed=none
if grep -qE '^(changed|new release)' changes.txt; then
  pinpointed=0
  "$python" -m nox -s pinpoint || pinpointed=$?
  if [ "$pinpointed" -ne 0 ]; then echo "::warning::pinpoint did not pinpoint every change point; see its log"; fi
fi
if [ "$pinpointed" != 0 ] && [ "$pinpointed" != 3 ]; then "$python" -m nox -s report; fi
# shellcheck source=.github/scripts/lists.sh
. "$(dirname "$0")/lists.sh"
{
  every_list
  echo "The reports are in the run's \`report\` artifact: $(find reports -maxdepth 1 -name '*-matrix.md' | wc -l) matrices."
} >> "$summary"
