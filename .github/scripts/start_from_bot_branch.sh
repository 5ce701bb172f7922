#!/usr/bin/env bash
# The discover job, after discover: while the bot's pull request is open, its branch matrix/update holds
# what main has not merged. Start from it, so that a week does not probe or pinpoint again what an earlier
# one did: each result there newer (probed_on) than the checkout's, of a variant in the catalog discover
# left and a probe reports/results has; and each pinpoint verdict and release probed between that the
# checkout lacks. A pull request closed unmerged was rejected: nothing of its branch is taken. The report
# loader validates what is taken, as every result.
# Needs: gh authenticated (GH_TOKEN), origin fetchable (gh auth setup-git in CI).
# Usage: .github/scripts/start_from_bot_branch.sh
set -euo pipefail
python=${PYTHON:-python3.11}
# shellcheck source=.github/scripts/bot.sh
. "$(dirname "$0")/bot.sh"
open=$(open_bot_pull_request)
if [ -z "$open" ]; then
  echo "start_from_bot_branch.sh: no open pull request from matrix/update: starting from the checkout's results"
  exit 0
fi
git fetch --quiet --depth=1 origin matrix/update
bot=$(mktemp -d)
if ! git archive FETCH_HEAD reports | tar -x -C "$bot"; then
  echo "::warning::start_from_bot_branch.sh: matrix/update has no reports/: starting from the checkout's results"
  exit 0
fi
catalog=$("$python" -m tfmatrix variants --nightly)
"$python" - "$bot/reports" "$catalog" << 'PY'
import json, pathlib, shutil, sys

theirs, ids = pathlib.Path(sys.argv[1]), {variant["id"] for variant in json.loads(sys.argv[2])}
mine = pathlib.Path("reports")


def read(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def probed_on(path):
    document = read(path)
    day = document.get("probed_on") if isinstance(document, dict) else None
    return day if isinstance(day, str) else None


def plain_file(path):
    return path.is_file() and not path.is_symlink()


taken = []
for found in sorted(theirs.glob("results/*/*.json")):
    here = mine / "results" / found.parent.name / found.name
    if found.stem not in ids or not here.parent.is_dir() or not plain_file(found):
        continue
    day = probed_on(found)
    if day is not None and (not here.exists() or (probed_on(here) or "") < day):
        shutil.copyfile(found, here)
        taken.append(str(here))
for found in sorted(theirs.glob("pinpoint/*/*.json")):  # releases probed between two of the catalog's
    here = mine / "pinpoint" / found.parent.name / found.name
    if plain_file(found) and not here.exists():
        here.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, here)
        taken.append(str(here))
verdicts, ours = read(theirs / "pinpoint" / "pinpoint.json"), read(mine / "pinpoint" / "pinpoint.json") or {}
if isinstance(verdicts, dict) and isinstance(ours, dict) and set(verdicts) - set(ours):
    added = {key: value for key, value in verdicts.items() if key not in ours}
    merged = dict(sorted({**ours, **added}.items()))
    (mine / "pinpoint").mkdir(parents=True, exist_ok=True)
    (mine / "pinpoint" / "pinpoint.json").write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    taken += [f"reports/pinpoint/pinpoint.json: {key}" for key in sorted(added)]
print(f"start_from_bot_branch.sh: {len(taken)} taken from matrix/update, newer than or missing from the checkout's")
for what in taken:
    print(f"  {what}")
PY
