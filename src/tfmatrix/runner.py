"""Run the probe sessions of many variants at once.

A variant whose result is current (same catalog entry, probe and runner) is not run again. Each
running variant gets one progress line per state (queued, venv, installing, probing, done, failed)
and its full nox output in a log file, so parallel runs never interleave on the terminal.

Standard library only: the noxfile calls it in nox's own interpreter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from tfmatrix import record
from tfmatrix.catalog import Variant

# nox's own output lines that mark where a session is; the probe prints its timing line itself.
STATES = (
    ("venv", re.compile(r"^nox > Creating virtual environment")),
    ("installing", re.compile(r"^nox > uv pip install")),
    ("probing", re.compile(r"^nox > python \S*freeze_probe\.py")),
)
PROBE_TIMING = re.compile(r"tfmatrix-timing import_s=([\d.]+) cases_s=([\d.]+)")
DONE, FAILED, CACHED, SKIPPED = "done", "failed", "cached", "skipped"


@dataclass
class Outcome:
    """What happened to one variant, with the seconds each phase took."""

    variant: str
    state: str
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    log: str = ""


class Progress:
    """One line per state change, written whole under a lock."""

    def __init__(self, variants: Sequence[Variant], out: TextIO) -> None:
        self.total, self.out, self.lock = len(variants), out, threading.Lock()
        self.width = max((len(v.id) for v in variants), default=0)

    def show(self, index: int, variant: str, state: str, seconds: float | None = None) -> None:
        elapsed = "" if seconds is None else f"{seconds:7.1f} s"
        counter = f"[{index:>{len(str(self.total))}}/{self.total}]"
        with self.lock:
            self.out.write(f"{counter} {variant:<{self.width}}  {state:<10} {elapsed}".rstrip() + "\n")
            self.out.flush()


def run_one(index: int, variant: Variant, command: Sequence[str], log: Path, progress: Progress) -> Outcome:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOX_")}  # a nested nox, not a nox session
    started = time.perf_counter()
    marks: dict[str, float] = {}
    timing: dict[str, float] = {}
    successful = skipped = False
    with (
        log.open("w", encoding="utf-8") as sink,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as child,
    ):
        assert child.stdout is not None
        for line in child.stdout:
            sink.write(line)
            for state, pattern in STATES:
                if state not in marks and pattern.search(line):
                    marks[state] = time.perf_counter() - started
                    progress.show(index, variant.id, state, marks[state])
            if match := PROBE_TIMING.search(line):
                timing = {"import": float(match.group(1)), "cases": float(match.group(2))}
            successful = successful or "was successful" in line
            skipped = skipped or " skipped: " in line
    seconds = time.perf_counter() - started
    state = FAILED
    if child.returncode == 0:
        state = SKIPPED if skipped else DONE if successful else FAILED
    progress.show(index, variant.id, state, seconds)
    return Outcome(variant.id, state, round(seconds, 2), phases(marks, seconds) | timing, str(log))


def phases(marks: dict[str, float], end: float) -> dict[str, float]:
    """Seconds spent from each mark to the next: venv creation, install, probe."""
    ordered = [(name, marks[name]) for name, _ in STATES if name in marks] + [("end", end)]
    return {name: round(ordered[i + 1][1] - at, 2) for i, (name, at) in enumerate(ordered[:-1])}


def select(variants: Sequence[Variant], only: Sequence[str] | None, force: Sequence[str]) -> list[Variant]:
    """The variants ``--only`` names (all when it is not given); every id given must exist."""
    known = {variant.id: variant for variant in variants}
    unknown = sorted((set(only or ()) | set(force)) - set(known))
    if unknown:
        message = f"unknown variant {unknown[0]!r}; `nox -l` lists them as probe(<id>)"
        raise ValueError(message)
    return [known[i] for i in only] if only else list(variants)


def run(
    variants: Sequence[Variant],
    *,
    nox_command: Sequence[str],
    probe: Path,
    results_dir: Path,
    logs_dir: Path,
    jobs: int,
    force: Iterable[str] = (),
    force_all: bool = False,
    keep_venvs: bool = False,
    out: TextIO,
) -> list[Outcome]:
    """Probe every variant whose result is not current, ``jobs`` at a time; return what happened to each."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    digest = record.probe_digest(probe)
    forced = set(force)
    progress = Progress(variants, out)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for index, variant in enumerate(variants, start=1):
        current = record.is_current(record.result_path(results_dir, variant), variant, digest)
        if current and not force_all and variant.id not in forced:
            outcomes[variant.id] = Outcome(variant.id, CACHED)
            progress.show(index, variant.id, CACHED)
        else:
            todo.append((index, variant))
            progress.show(index, variant.id, "queued")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = []
        for index, variant in todo:
            command = [*nox_command, "-s", f"probe({variant.id})", "--", "--results-dir", str(results_dir)]
            if keep_venvs:
                command.append("--keep-venv")
            log = logs_dir / f"{variant.id}.log"
            futures.append(pool.submit(run_one, index, variant, command, log, progress))
        for future in futures:
            outcome = future.result()
            outcomes[outcome.variant] = outcome
    ordered = [outcomes[v.id] for v in variants]
    write_timings(logs_dir / "timings.json", ordered, time.perf_counter() - started, jobs)
    counts = {state: sum(o.state == state for o in ordered) for state in (DONE, CACHED, FAILED, SKIPPED)}
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    out.write(f"{summary} in {time.perf_counter() - started:.1f} s with {jobs} jobs; logs in {logs_dir}\n")
    return ordered


def write_timings(path: Path, outcomes: list[Outcome], seconds: float, jobs: int) -> None:
    document = {"seconds": round(seconds, 2), "jobs": jobs, "variants": [asdict(o) for o in outcomes]}
    record.write_text_atomic(path, json.dumps(document, indent=2) + "\n")
