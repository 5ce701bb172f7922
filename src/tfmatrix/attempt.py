"""One attempt at one variant: install it, run the probes in it, and turn whatever happened into results.

Every way an attempt can end is a result state (``vocabulary.State``), never a lost variant. Each probe
gets its own result; a failure before the probes ran is every probe's. A variant in which no case of any
probe ran ok has failed too (no-case-ok, ``none_ok``): the harness could not drive the framework.

Standard library only: the probe session runs it in nox's own interpreter.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tfmatrix import index, record
from tfmatrix.errors import InputError
from tfmatrix.probes import HARNESS, Source
from tfmatrix.process import EXCERPT_LINES, MARK, Step, run_step
from tfmatrix.variant import Install, Variant
from tfmatrix.vocabulary import CaseStatus, State

IMPORTED = "tfmatrix-imported "  # the harness prints this once the framework is imported (probes/_harness.py)
TIMING_FILE = "_timing.json"  # written by the harness beside the results: seconds to import and per probe


def install_command(uv: str, python: Path, install: Install) -> list[str]:
    command = [uv, "pip", "install", "--python", str(python), *index.uv_options()]
    command += ["--pre"] if install.prerelease else []
    command += ["--no-deps"] if install.no_deps else []
    command += ["--exclude-newer", install.resolved_as_of.isoformat()] if install.resolved_as_of else []
    return [*command, install.requirement]


def install(variant: Variant, *, uv: str, python: Path, timeout: float, out: TextIO) -> Step:
    """Install what the variant names, in order, each as of its resolution date; the first failure ends it."""
    step = Step(0, "", timeout)  # nothing to install is an install that succeeded
    for step_install in variant.installs:
        step = run_step(install_command(uv, python, step_install), timeout=timeout, out=out)
        if step.returncode != 0:
            return step
    return step


def attempt(
    variant: Variant,
    *,
    uv: str,
    python: Path,
    probes_dir: Path,
    probes: Sequence[Source],
    env: dict[str, str],
    timeout: float,
    repeat: int,
    out: TextIO,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Install ``variant`` in the venv of ``python`` and run ``probes`` in one process.

    Returns each probe's result document, whatever happened, and the harness's timings.
    """
    installed = install(variant, uv=uv, python=python, timeout=timeout, out=out)
    frozen = subprocess.run([uv, "pip", "freeze", "--python", str(python)], capture_output=True, text=True, check=False)
    packages = record.parse_freeze(frozen.stdout)

    if installed.returncode != 0:
        state = State.TIMEOUT if installed.returncode is None else State.INSTALL_FAILED
        return {
            p.name: record.build_failure(variant, packages, p, repeat, state, installed.failure("install"))
            for p in probes
        }, {}
    with tempfile.TemporaryDirectory(prefix="tfmatrix-") as scratch:
        started = time.perf_counter()
        harness = [str(python), str(probes_dir / HARNESS), "--out", scratch, "--repeat", str(repeat)]
        env = {**env, **dict(variant.variables)}
        probed = run_step([*harness, *(p.name for p in probes)], timeout=timeout, out=out, env=env)
        out.write(f"{MARK} probes took {time.perf_counter() - started:.1f} s, framework import included\n")
        results = {p.name: finished(Path(scratch), variant, packages, p, repeat, probed) for p in probes}
        return results, read_timing(Path(scratch) / TIMING_FILE)


def finished(
    scratch: Path, variant: Variant, packages: dict[str, str], probe: Source, repeat: int, probed: Step
) -> dict[str, Any]:
    """The probe's result from its output, if it wrote one before the process ended; else how the process ended.

    The harness writes each probe's output whole once its cases ran: a later probe that crashes
    or hangs does not take an earlier one's findings with it.
    """
    output = scratch / f"{probe.name}.json"
    phase = "probe" if IMPORTED in probed.output else "import"
    try:
        return record.build_result(output, variant, packages, probe)
    except InputError as exc:
        unusable = "without writing its result" if not output.exists() else f"with an unusable result ({exc.problem})"
    if probed.returncode is None:
        return record.build_failure(variant, packages, probe, repeat, State.TIMEOUT, probed.failure(phase))
    if probed.returncode != 0:
        state = State.CRASHED if phase == "probe" else State.IMPORT_FAILED
        return record.build_failure(variant, packages, probe, repeat, state, probed.failure(phase))
    quiet = Step(0, f"{probed.output}\ntfmatrix: the probe exited with status 0 {unusable}", probed.timeout)
    return record.build_failure(variant, packages, probe, repeat, State.CRASHED, quiet.failure(phase))


def none_ok(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``results`` (a variant's, probe name -> result), or where no case of any of them ran ok, each that ran as a
    no-case-ok failure: the harness cannot drive this framework. Its message says how its cases ended, the
    commonest errors and reasons first. One probe whose every case raises is a finding (an API that raises from
    some release on), so only the variant as a whole is judged."""
    ran = {name: result for name, result in results.items() if result["status"] == State.OK}
    if any(case["status"] == CaseStatus.OK for result in ran.values() for case in result["cases"]):
        return results
    return {**results, **{name: nothing_ran_ok(result) for name, result in ran.items()}}


def nothing_ran_ok(result: dict[str, Any]) -> dict[str, Any]:
    cases = result["cases"]
    ended = Counter(case["status"] for case in cases)
    said = Counter(
        f"{case['status']}: {case['error']['type']}: {case['error']['message'].strip().splitlines()[0][:200]}"
        for case in cases
        if case["error"]
    )
    lines = [f"no case of any probe ran ok; of this one: {', '.join(f'{n} {s}' for s, n in sorted(ended.items()))}"]
    lines += [f"{n} x {text}" for text, n in said.most_common()]
    failure = {"phase": "probe", "exit": "exit status 0", "message": "\n".join(lines[:EXCERPT_LINES])}
    return {**result, "status": State.NO_CASE_OK, "failure": failure, "cases": []}


def read_timing(path: Path) -> dict[str, Any]:
    try:
        timing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return timing if isinstance(timing, dict) else {}
