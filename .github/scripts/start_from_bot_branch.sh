#!/usr/bin/env bash
# The discover job, after discover: while the bot's pull request waits, its branch matrix/update holds
# results main has not merged. Start from them, so that a week does not probe again what an earlier one
# did: each result there newer (probed_on) than the checkout's, of a variant in the catalog discover left
# and a probe reports/results has. The report loader validates them later, as every result.
# Usage: .github/scripts/start_from_bot_branch.sh   (origin must be fetchable: gh auth setup-git in CI)
set -euo pipefail
python=${PYTHON:-python3.11}
if ! git fetch --quiet --depth=1 origin matrix/update 2> /dev/null; then
  echo "start_from_bot_branch.sh: no branch matrix/update: starting from the checkout's results"
  exit 0
fi
bot=$(mktemp -d)
git archive FETCH_HEAD reports/results | tar -x -C "$bot"
catalog=$("$python" -m tfmatrix variants --nightly)
"$python" - "$bot" "$catalog" << 'PY'
import json, pathlib, shutil, sys

bot, ids = pathlib.Path(sys.argv[1]), {variant["id"] for variant in json.loads(sys.argv[2])}


def probed_on(path):
    try:
        day = json.loads(path.read_text(encoding="utf-8")).get("probed_on")
    except (OSError, ValueError, AttributeError):
        return None
    return day if isinstance(day, str) else None


taken = []
for theirs in sorted(bot.glob("reports/results/*/*.json")):
    mine = pathlib.Path("reports", "results", theirs.parent.name, theirs.name)
    if theirs.stem not in ids or not mine.parent.is_dir() or theirs.is_symlink() or not theirs.is_file():
        continue
    day = probed_on(theirs)
    if day is not None and (not mine.exists() or (probed_on(mine) or "") < day):
        shutil.copyfile(theirs, mine)
        taken.append(str(mine))
print(f"start_from_bot_branch.sh: {len(taken)} results from matrix/update, newer than the checkout's")
for path in taken:
    print(f"  {path}")
PY
