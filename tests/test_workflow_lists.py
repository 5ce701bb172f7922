"""The report job's script around its nox sessions, and the pull request body: with stand-ins for nox.

The reports are rendered whatever pinpoint manages, and neither the step summary nor the pull request
body can outgrow what GitHub accepts (1 MiB for a summary, 65,536 characters for a body), however many
cells a release flips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

# Stands in for the Python aggregate.sh runs: `-m nox -s SESSION ...` is recorded in $CALLS and acts as
# FAKE_* say (diff prints the file $FAKE_DIFF; pinpoint exits $FAKE_PINPOINT); anything else is the real Python.
PYTHON_STAND_IN = f"""#!/usr/bin/env bash
if [ "$1" = -m ] && [ "$2" = nox ]; then
  echo "$4" >> "$CALLS"
  echo "$*" >> "$CALLS.args"
  case "$4" in
    diff) cat "$FAKE_DIFF"; exit "${{FAKE_DIFF_STATUS:-0}}" ;;
    pinpoint) exit "${{FAKE_PINPOINT:-0}}" ;;
    report) echo rendered > reports/freeze-matrix.md ;;
  esac
  exit 0
fi
exec {sys.executable} "$@"
"""

CHANGED = "changed tensorflow-cpu-2.16.1 (freeze) nested_freeze: trains -> holds\n"


def report_job(
    tmp_path: Path, diff: str, pinpoint: int = 0, *, main: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """aggregate.sh in a checkout of the scripts alone, with one fresh result downloaded; its run and folder."""
    job = tmp_path / "job"
    shutil.copytree(ROOT / ".github" / "scripts", job / ".github" / "scripts")
    (job / "reports" / "results").mkdir(parents=True)
    fresh = tmp_path / "artifacts" / "results" / "freeze"
    fresh.mkdir(parents=True)
    (fresh / "tensorflow-cpu-2.16.1.json").write_text("{}", encoding="utf-8")
    (tmp_path / "diff.txt").write_text(diff, encoding="utf-8")
    python = tmp_path / "python"
    python.write_text(PYTHON_STAND_IN, encoding="utf-8")
    python.chmod(0o755)
    env = os.environ | {
        "PYTHON": str(python),
        "CALLS": str(tmp_path / "calls"),
        "FAKE_DIFF": str(tmp_path / "diff.txt"),
        "FAKE_DIFF_STATUS": "4" if diff else "0",
        "FAKE_PINPOINT": str(pinpoint),
        "VARIANTS": '[{"id": "tensorflow-cpu-2.16.1", "python": "3.12", "probes": ["freeze"]}]',
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(
        [job / ".github" / "scripts" / "aggregate.sh", str(tmp_path / "artifacts"), *([str(main)] if main else [])],
        cwd=job,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, job


def sessions(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text(encoding="utf-8").split()


def test_without_a_change_point_the_reports_are_rendered_and_nothing_pinpointed(tmp_path: Path) -> None:
    done, job = report_job(tmp_path, diff="")
    assert done.returncode == 0, done.stderr
    assert sessions(tmp_path) == ["migrate", "diff", "diff", "dates", "report"]
    assert (job / "reports" / "freeze-matrix.md").exists()


def test_pinpoint_renders_the_reports_itself_even_when_it_skips_a_change_point(tmp_path: Path) -> None:
    """Exit 3: skipped what needs a Python the job lacks. The session rendered the reports before it
    exited (noxfile.py), so they are not rendered twice; the run goes on to the pull request."""
    done, _ = report_job(tmp_path, diff=CHANGED + "2 semantic changes\n", pinpoint=3)
    assert done.returncode == 0, done.stderr
    assert sessions(tmp_path) == ["migrate", "diff", "diff", "dates", "pinpoint"]
    assert "::warning::pinpoint did not pinpoint every change point" in done.stdout


@pytest.mark.parametrize("status", [1, 2])
def test_when_pinpoint_stops_before_rendering_the_job_renders_the_reports(tmp_path: Path, status: int) -> None:
    done, job = report_job(tmp_path, diff=CHANGED + "1 semantic changes\n", pinpoint=status)
    assert done.returncode == 0, done.stderr
    assert sessions(tmp_path) == ["migrate", "diff", "diff", "dates", "pinpoint", "report"]
    assert (job / "reports" / "freeze-matrix.md").read_text(encoding="utf-8") == "rendered\n"


def test_the_step_summary_stays_small_however_many_cells_flip(tmp_path: Path) -> None:
    flipped = "".join(f"changed tensorflow-cpu-2.{n}.0 (freeze) case_{n}: {'x' * 900}\n" for n in range(50_000))
    done, _ = report_job(tmp_path, diff=flipped + "50000 semantic changes\n")
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert len(summary.encode()) < 64 * 1024
    assert "**Semantic changes:** 50000" in summary
    assert "... and 49960 more lines: `changes.txt` in the run's `report` artifact has them all." in summary
    assert "**Not probed in this run (the committed result is kept):** 0" in summary


def test_a_listed_line_cannot_end_its_code_block(tmp_path: Path) -> None:
    done, _ = report_job(tmp_path, diff="changed x (freeze) a: ```\n# heading\n1 semantic changes\n")
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "\n    changed x (freeze) a: ```\n" in summary  # indented: inside the block, whatever it holds


def test_the_semantic_changes_are_main_s_not_those_of_the_results_the_run_started_from(tmp_path: Path) -> None:
    """The run starts from the open bot pull request's results; its description must still list every change
    it carries against main, so the changes come from comparing with main's results (a copy, upgraded)."""
    main = tmp_path / "main-results" / "freeze"
    main.mkdir(parents=True)
    (main / "tensorflow-cpu-2.16.1.json").write_text('{"main": true}', encoding="utf-8")
    done, job = report_job(tmp_path, diff=CHANGED + "1 semantic changes\n", main=tmp_path / "main-results")
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls.args").read_text(encoding="utf-8").splitlines()
    migrate, started_from, against_main = calls[0], calls[1], calls[2]
    compared = Path(against_main.split("--old ")[1].split()[0])
    assert migrate == f"-m nox -s migrate -- reports/results {compared}"
    assert started_from.startswith("-m nox -s diff -- --old reports/results --new ")
    assert against_main.endswith(" --new reports/results")
    assert (compared / "freeze" / "tensorflow-cpu-2.16.1.json").read_text(encoding="utf-8") == '{"main": true}'
    assert (job / "changes.txt").read_text(encoding="utf-8") == CHANGED
