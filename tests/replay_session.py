"""Stand-in for ``nox -s probe(ID) -- --results-dir DIR`` in the runner tests.

Replays what a real probe session printed (a recorded log) and, when told to succeed, puts a
recorded real result where the session would have written it. Usage:
python replay_session.py LOG RESULT EXIT_STATUS -s probe(ID) -- --results-dir DIR
"""

import shutil
import sys
from pathlib import Path

log, result, status, *args = sys.argv[1:]
variant = args[args.index("-s") + 1].removeprefix("probe(").removesuffix(")")
results_dir = Path(args[args.index("--results-dir") + 1])
sys.stdout.write(Path(log).read_text(encoding="utf-8"))
if status == "0":
    results_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(result, results_dir / f"{variant}.json")
sys.exit(int(status))
