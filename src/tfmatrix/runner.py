"""Run the probe sessions of many variants at once.

A variant whose results are current (same catalog entry, probe, harness and runner) is not run
again; one with some stale results runs only the probes whose results are stale. Each
running variant gets one progress line per state (queued, venv, installing, probing, then how it
ended) and its full nox output in a log file, so parallel runs never interleave on the terminal.
An interrupt (Ctrl-C, or SIGTERM turned into one by the caller) stops every running session, so
nothing keeps running behind the user's back; finished results stay, unfinished ones are not written.
How a session ended is read from the report file it writes, never from its log.

Standard library only: the noxfile calls it in nox's own interpreter.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from subprocess import Popen
from typing import TextIO

from tfmatrix import migrations, probes, record
from tfmatrix.process import MARK
from tfmatrix.variant import Variant
from tfmatrix.vocabulary import State

# Progress only: the output lines that mark where a session is, nox's own and the attempt's.
STATES = (
    ("venv", re.compile(r"^nox > Creating virtual environment")),
    ("installing", re.compile(rf"^{MARK} \S+ pip install ")),
    ("probing", re.compile(rf"^{MARK} \S+/bin/python ")),
)
DONE, CACHED = "done", "cached"
FAILED = "failed"  # the session ended without writing a result (nox or tfmatrix itself went wrong)
NOT_WRITTEN = "not-written"  # the attempt ended, but its results could not be written (a full disk, ...)
GRACE_SECONDS = 5.0  # after an interrupt, how long a session gets to stop by itself before it is told to


@dataclass
class Outcome:
    """What happened to one variant, with the seconds each phase took."""

    variant: str
    state: str
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    log: str = ""
    problem: str = ""  # what went wrong, where no result file can say it (FAILED, NOT_WRITTEN)


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


def run_one(
    index: int, variant: Variant, command: Sequence[str], log: Path, progress: Progress, running: dict[str, Popen[str]]
) -> Outcome:
    started = time.perf_counter()
    marks: dict[str, float] = {}
    report = log.with_suffix(".report.json")
    report.unlink(missing_ok=True)
    with (
        log.open("w", encoding="utf-8", buffering=1) as sink,  # line by line, so `tail -f` follows it
        subprocess.Popen(
            [*command, "--report", str(report)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=nested_nox_env(),
        ) as child,
    ):
        running[variant.id] = child
        assert child.stdout is not None
        for line in child.stdout:
            sink.write(line)
            for name, pattern in STATES:
                if name not in marks and pattern.search(line):
                    marks[name] = time.perf_counter() - started
                    progress.show(index, variant.id, name, marks[name])
    running.pop(variant.id, None)
    seconds = time.perf_counter() - started
    # The report is written last, and a session whose variant failed says so by its exit status too.
    state, timing, problem = ended(report)
    progress.show(index, variant.id, state, seconds)
    if state == FAILED:
        problem = f"the session ended without saying how; its log says why: {log}"
    return Outcome(variant.id, state, round(seconds, 2), phases(marks, seconds) | timing, str(log), problem)


def ended(report: Path) -> tuple[str, dict[str, float], str]:
    """How a probe session ended, from its report: done, the first failure state of its probes, not-written
    (with the first result it could not write), or failed."""
    try:
        document = json.loads(report.read_text(encoding="utf-8"))
        statuses = list(document["statuses"].values())
        unwritten = [str(line) for line in document.get("unwritten", [])]
        timing = document["timing"]
        seconds = {"import": float(timing["import_s"])} if "import_s" in timing else {}
        seconds |= {f"probe {name}": float(s) for name, s in timing.get("cases_s", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return FAILED, {}, ""  # no report, or not one a session wrote: the session itself went wrong
    if unwritten:
        more = f" (and {len(unwritten) - 1} more results)" if len(unwritten) > 1 else ""
        return NOT_WRITTEN, seconds, unwritten[0] + more
    failed = [state for state in statuses if state != State.OK]
    return (failed[0] if failed else DONE), seconds, ""


def nested_nox_env() -> dict[str, str]:
    """The environment for a nox started from within nox: a nox of its own, not the calling session."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NOX_")}


def stop(running: dict[str, Popen[str]]) -> None:
    """Stop every running session: a terminal's Ctrl-C has reached them already; SIGTERM has not."""
    deadline = time.monotonic() + GRACE_SECONDS
    for child in list(running.values()):
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)  # nox stops its session and the attempt kills its step
            try:
                child.wait(timeout=GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()  # last resort: a session that ignores the interrupt


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
    return [known[i] for i in dict.fromkeys(only)] if only else list(variants)


def stale(
    variant: Variant,
    sources: dict[str, probes.Source],
    results_dir: Path,
    repeat: int,
    forced: bool,
    backoff_on: dt.date | None = None,
) -> list[str]:
    """The probes whose results for ``variant`` must be made (again); ``backoff_on``: see ``record.is_current``."""
    return [
        name
        for name, source in sources.items()
        if forced
        or not record.is_current(
            migrations.upgraded(record.result_path(results_dir, name, variant.id)), variant, source, repeat, backoff_on
        )
    ]


def run(
    variants: Sequence[Variant],
    *,
    nox_command: Sequence[str],
    probes_dir: Path,
    results_dir: Path,
    logs_dir: Path,
    jobs: int,
    force: Iterable[str] = (),
    force_all: bool = False,
    keep_venvs: bool = False,
    repeat: int = 1,
    timeout: float | None = None,
    only_probes: Sequence[str] | None = None,
    check: Callable[[list[Variant]], None] | None = None,
    out: TextIO,
) -> list[Outcome]:
    """Probe every variant with a stale result, ``jobs`` at a time; return what happened to each.

    ``check`` sees the variants about to be probed before anything starts, and may refuse them by raising.
    """
    sources = probes.selected(probes_dir, only_probes)
    forced = set(force)
    todo_probes = {v.id: stale(v, sources, results_dir, repeat, force_all or v.id in forced) for v in variants}
    todo = [variant for variant in variants if todo_probes[variant.id]]
    if check is not None:
        check(todo)
    logs_dir.mkdir(parents=True, exist_ok=True)
    progress = Progress(variants, out)
    outcomes: dict[str, Outcome] = {}
    for index, variant in enumerate(variants, start=1):
        if variant not in todo:
            outcomes[variant.id] = Outcome(variant.id, CACHED)
        progress.show(index, variant.id, "queued" if variant in todo else CACHED)
    options = ["--results-dir", str(results_dir), "--probes-dir", str(probes_dir), "--repeat", str(repeat)]
    options += ["--keep-venv"] if keep_venvs else []
    options += ["--timeout", str(timeout)] if timeout else []
    started = time.perf_counter()
    running: dict[str, Popen[str]] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [
            pool.submit(
                run_one,
                variants.index(variant) + 1,
                variant,
                [*nox_command, "-s", f"probe({variant.id})", "--", *options, "--probes", *todo_probes[variant.id]],
                logs_dir / f"{variant.id}.log",
                progress,
                running,
            )
            for variant in todo
        ]
        try:
            for future in futures:
                outcome = future.result()
                outcomes[outcome.variant] = outcome
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            stop(running)
            raise
    ordered = [outcomes[v.id] for v in variants]
    write_timings(logs_dir / "timings.json", ordered, time.perf_counter() - started, jobs)
    counts: dict[str, int] = {}
    for outcome in ordered:
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in counts.items())
    out.write(f"{summary} in {time.perf_counter() - started:.1f} s with {jobs} jobs; logs in {logs_dir}\n")
    return ordered


def write_timings(path: Path, outcomes: list[Outcome], seconds: float, jobs: int) -> None:
    document = {"seconds": round(seconds, 2), "jobs": jobs, "variants": [asdict(o) for o in outcomes]}
    record.write_text_atomic(path, json.dumps(document, indent=2) + "\n")
