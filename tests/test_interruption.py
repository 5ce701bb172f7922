"""Interrupting a real run: Ctrl-C, SIGTERM or kill -9 while a release is being probed.

Whatever the signal, the report and every finished result stay intact and valid, nothing is
half-written, no probe is left running, and the next run picks up where the interrupted one stopped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_checkout, nox_env, run_nox
from tfmatrix import probes, results

FIRST, SECOND = "tensorflow-1.15.5", "tensorflow-cpu-2.1.0"
CATALOG = """
[[release]]
version = "1.15.5"
distribution = "tensorflow"
python = "3.7"
resolved_as_of = 2021-01-13

[[release]]
version = "2.1.0"
distribution = "tensorflow-cpu"
python = "3.7"
resolved_as_of = 2020-01-15
"""


def as_in_a_terminal() -> None:
    """Ctrl-C and a closed terminal reach a terminal's job: undo a launcher's SIG_IGN (``nohup``, ``cmd &``)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start_run(checkout: Path) -> subprocess.Popen[bytes]:
    """``nox -s matrix`` one variant at a time, in a process group of its own as a terminal would give it."""
    return subprocess.Popen(
        [sys.executable, "-m", "nox", "-s", "matrix", "--", "--jobs", "1"],
        cwd=checkout,
        env=nox_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=as_in_a_terminal,  # noqa: PLW1509 - two calls, no threads or locks involved
    )


def wait_until_probing(checkout: Path, variant: str, run: subprocess.Popen[bytes]) -> None:
    """Until ``variant``'s probe has imported TensorFlow: the middle of its run."""
    log = checkout / ".nox" / "logs" / f"{variant}.log"
    deadline = time.monotonic() + 300
    while not (log.exists() and "tfmatrix-imported" in log.read_text(encoding="utf-8", errors="replace")):
        assert run.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, f"{variant} never started probing"
        time.sleep(0.2)


def processes_of(checkout: Path) -> list[int]:
    """Processes whose command line mentions the checkout: the run and anything it started."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and str(checkout).encode() in command:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("ctrl-c", 130),  # SIGINT to the whole foreground process group, as a terminal sends it
        ("sigterm", 130),  # `kill PID`: the run stops its sessions as for Ctrl-C
        ("sigterm to the group", 130),  # a container stop or a CI cancellation: every process at once
        ("sighup to the group", 130),  # the terminal closed
        ("kill -9", -signal.SIGKILL),  # the whole group killed at once, e.g. by the OOM killer
    ],
)
def test_an_interrupted_run_keeps_what_it_had_and_resumes(
    tmp_path: Path, how: str, status: int, known: dict[str, probes.Probe]
) -> None:
    checkout = copy_checkout(tmp_path, CATALOG, keep_results=False)
    results_dir = checkout / "reports" / "results"
    report = checkout / "reports" / "freeze-matrix.md"
    previous_report = report.read_bytes()

    run = start_run(checkout)
    wait_until_probing(checkout, SECOND, run)
    finished = (results_dir / "freeze" / f"{FIRST}.json").read_bytes()
    if how == "ctrl-c":
        os.killpg(run.pid, signal.SIGINT)
    elif how == "sigterm":
        run.send_signal(signal.SIGTERM)
    elif how.endswith("to the group"):
        os.killpg(run.pid, signal.SIGTERM if how.startswith("sigterm") else signal.SIGHUP)
    else:
        os.killpg(run.pid, signal.SIGKILL)
        for pid in processes_of(checkout):  # steps run in groups of their own; a machine kill takes them too
            os.kill(pid, signal.SIGKILL)
    assert run.wait(timeout=60) == status

    deadline = time.monotonic() + 30
    while processes_of(checkout) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(checkout) == []  # no probe or install left running behind the user's back
    assert report.read_bytes() == previous_report
    written = sorted(str(p.relative_to(results_dir)) for p in results_dir.rglob("*") if p.is_file())
    assert written == [f"{name}/{FIRST}.json" for name in known]  # every probe of the first; nothing half-written
    assert (results_dir / "freeze" / f"{FIRST}.json").read_bytes() == finished
    assert results.load_one(results_dir / "freeze" / f"{FIRST}.json", known)["status"] == "ok"

    if how == "kill -9":  # the hardest case; resuming works alike after the others
        # This run started with no results, so it copied none; a run killed after copying leaves this:
        leftover = checkout / ".nox" / "results-before" / "freeze" / "stale.json"
        leftover.parent.mkdir(parents=True)
        leftover.write_text("{}", encoding="utf-8")
        left_venv = checkout / ".nox" / "probe-tensorflow-cpu-2-99-0"  # a killed run's, of a variant not run now
        (left_venv / "bin").mkdir(parents=True)
        resumed = run_nox(checkout, "-s", "matrix", "--", "--jobs", "1")
        assert not leftover.exists()  # cleared at the start (else the comparison would read it), and at the end
        assert not left_venv.exists()
        assert f"removed {left_venv}: a venv an earlier run left" in resumed.stderr
        assert list((checkout / ".nox").glob("probe-*")) == []
        assert resumed.returncode == 4, resumed.stdout + resumed.stderr  # 2.1.0 is new, and differs from 1.15.5
        assert re.search(rf"{FIRST} +cached", resumed.stdout)
        assert re.search(rf"{SECOND} +done", resumed.stdout)
        assert (results_dir / "freeze" / f"{FIRST}.json").read_bytes() == finished
        assert results.load_one(results_dir / "freeze" / f"{SECOND}.json", known)["status"] == "ok"
        assert report.read_bytes() != previous_report


@pytest.mark.slow
def test_sigterm_to_a_probe_session_stops_its_probe(tmp_path: Path) -> None:
    """`kill PID` of a `nox -s "probe(ID)"` run by hand: the probe it started goes with it."""
    checkout = copy_checkout(tmp_path, CATALOG, keep_results=False)
    with subprocess.Popen(
        [sys.executable, "-m", "nox", "-s", f"probe({FIRST})"],
        cwd=checkout,
        env=nox_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as run:
        assert run.stdout is not None
        for line in run.stdout:  # the session echoes the harness: it is probing once the import is reported
            if b"tfmatrix-imported" in line:
                break
        run.send_signal(signal.SIGTERM)
        run.stdout.read()
        assert run.wait(timeout=60) != 0
    deadline = time.monotonic() + 30
    while processes_of(checkout) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(checkout) == []
    assert not list((checkout / "reports" / "results").rglob("*.json"))  # an interrupted attempt writes nothing


@pytest.mark.slow
def test_a_second_run_in_the_same_checkout_is_refused_and_the_first_goes_on(
    tmp_path: Path, known: dict[str, probes.Probe]
) -> None:
    checkout = copy_checkout(tmp_path, CATALOG, keep_results=False)
    results_dir = checkout / "reports" / "results"
    first = start_run(checkout)
    wait_until_probing(checkout, FIRST, first)
    second = run_nox(checkout, "-s", "matrix", "--", "--jobs", "1", "--force-all")
    assert second.returncode == 2, second.stdout + second.stderr
    errors = [line for line in second.stderr.splitlines() if "error" in line]
    assert len(errors) == 1
    assert re.search(r"another matrix run \(pid \d+, started [\d\-T:]+\) is going on in this checkout", errors[0])
    by_hand = run_nox(checkout, "-s", f"probe({SECOND})")  # a probe session run by hand waits its turn too
    assert by_hand.returncode == 2, by_hand.stdout + by_hand.stderr
    assert "another matrix run (pid" in by_hand.stderr
    assert first.wait(timeout=600) == 0
    for variant in (FIRST, SECOND):
        for name in known:
            assert results.load_one(results_dir / name / f"{variant}.json", known)["status"] == "ok"
