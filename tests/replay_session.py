"""Stand-in for ``nox -s probe(ID) -- --results-dir DIR ... --probes NAME... --report FILE`` in the runner tests.

Replays what a real probe session printed (a recorded log) and, when told to succeed, writes what
the session would have written: a recorded real result for each probe it is asked to run, and the
report of how it ended (the statuses of those results, and the recorded report's timings).
Usage: python replay_session.py LOG RESULT REPORT EXIT_STATUS -s probe(ID) -- OPTIONS
"""

import json
import shutil
import sys
from pathlib import Path

log, result, recorded_report, status, *args = sys.argv[1:]
variant = args[args.index("-s") + 1].removeprefix("probe(").removesuffix(")")
results_dir = Path(args[args.index("--results-dir") + 1])
report = Path(args[args.index("--report") + 1])
names = args[args.index("--probes") + 1 : args.index("--report")]
sys.stdout.write(Path(log).read_text(encoding="utf-8"))
sys.stdout.write(f"replayed probes: {' '.join(names)}\n")
if status == "0":
    for name in names:
        (results_dir / name).mkdir(parents=True, exist_ok=True)
        shutil.copy(result, results_dir / name / f"{variant}.json")
    statuses = dict.fromkeys(names, json.loads(Path(result).read_text(encoding="utf-8"))["status"])
    timing = json.loads(Path(recorded_report).read_text(encoding="utf-8"))["timing"]
    report.write_text(json.dumps({"variant": variant, "statuses": statuses, "timing": timing}), encoding="utf-8")
sys.exit(int(status))
