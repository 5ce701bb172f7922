"""One attempt at one variant: install it, run the probe in it, and turn whatever happened into a result.

Every way an attempt can end is a result state, never a lost variant:
ok, install-failed, import-failed, crashed (signal, non-zero exit or no output after the import)
and timeout (a step ran past its time limit and was killed with its whole process group).

Standard library only: the probe session runs it in nox's own interpreter.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tfmatrix import record
from tfmatrix.catalog import NIGHTLY, Variant
from tfmatrix.errors import InputError

OK, INSTALL_FAILED, IMPORT_FAILED, CRASHED, TIMEOUT = "ok", "install-failed", "import-failed", "crashed", "timeout"
FAILURES = (INSTALL_FAILED, IMPORT_FAILED, CRASHED, TIMEOUT)
IMPORTED = "tfmatrix-imported "  # the probe prints this once TensorFlow is imported
EXCERPT_LINES = 20
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
# Every line this module prints starts with this, so the runner can follow an attempt from its log.
MARK = "tfmatrix >"


@dataclass(frozen=True)
class Step:
    """How one command ended, with everything it printed."""

    returncode: int | None  # None: killed at the time limit
    output: str
    timeout: float

    @property
    def exit(self) -> str:
        if self.returncode is None:
            return f"timed out after {self.timeout:g} s"
        if self.returncode < 0:
            return f"killed by {signal.Signals(-self.returncode).name}"
        return f"exit status {self.returncode}"

    def excerpt(self) -> str:
        """The end of the output, where a traceback or a resolver puts the error."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        return ADDRESS.sub("0x…", "\n".join(lines[-EXCERPT_LINES:]))


def run_step(command: Sequence[str], *, timeout: float, out: TextIO, env: dict[str, str] | None = None) -> Step:
    """Run ``command``, echoing its output to ``out`` as it comes; past ``timeout`` seconds, kill it.

    The command gets a process group of its own so that a timeout or an interrupt kills
    everything it started, not just the first process.
    """
    out.write(f"{MARK} {' '.join(command)}\n")
    out.flush()
    lines: list[str] = []
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=None if env is None else {**os.environ, **env},
        start_new_session=True,
    )
    assert child.stdout is not None
    reader = threading.Thread(target=echo, args=(child.stdout, lines, out), daemon=True)
    reader.start()
    try:
        returncode: int | None = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:  # a timeout, Ctrl-C or SIGTERM must not leave the step running
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    reader.join()
    child.stdout.close()
    return Step(returncode, "".join(lines), timeout)


def echo(stream: TextIO, lines: list[str], out: TextIO) -> None:
    for line in stream:
        lines.append(line)
        out.write(line)
        out.flush()


def install(variant: Variant, *, uv: str, python: Path, timeout: float, out: TextIO) -> Step:
    """Install the release as of its resolution date, then tf-keras where the variant names it."""
    release = variant.release
    pip = [uv, "pip", "install", "--python", str(python)]
    if variant.flavour == NIGHTLY:
        commands = [[*pip, "--pre", release.requirement]]  # the newest build, as of today
    else:
        commands = [[*pip, "--exclude-newer", release.resolved_as_of.isoformat(), release.requirement]]
    if variant.tf_keras is not None:
        # tf-keras requires the full `tensorflow` package; the release already provides TensorFlow.
        when, version = variant.tf_keras.resolved_as_of.isoformat(), variant.tf_keras.version
        commands.append([*pip, "--no-deps", "--exclude-newer", when, f"tf-keras=={version}"])
    for command in commands:
        step = run_step(command, timeout=timeout, out=out)
        if step.returncode != 0:
            return step
    return step  # the last one, which succeeded


def attempt(
    variant: Variant,
    *,
    uv: str,
    python: Path,
    probe: Path,
    env: dict[str, str],
    timeout: float,
    repeat: int,
    out: TextIO,
) -> dict[str, Any]:
    """Install and probe ``variant`` in the venv of ``python``; the result document, whatever happened."""
    installed = install(variant, uv=uv, python=python, timeout=timeout, out=out)
    frozen = subprocess.run([uv, "pip", "freeze", "--python", str(python)], capture_output=True, text=True, check=False)
    packages = record.parse_freeze(frozen.stdout)
    if installed.returncode != 0:
        state = TIMEOUT if installed.returncode is None else INSTALL_FAILED
        return record.build_failure(variant, packages, probe, repeat, state, "install", installed)
    with tempfile.TemporaryDirectory(prefix="tfmatrix-") as scratch:
        output = Path(scratch) / "probe.json"
        started = time.perf_counter()
        probed = run_step(
            [str(python), str(probe), str(output), "--repeat", str(repeat)],
            timeout=timeout,
            out=out,
            env={**env, **variant.environment},
        )
        out.write(f"{MARK} probe took {time.perf_counter() - started:.1f} s, TensorFlow import included\n")
        imported = IMPORTED in probed.output
        phase = "probe" if imported else "import"
        if probed.returncode is None:
            return record.build_failure(variant, packages, probe, repeat, TIMEOUT, phase, probed)
        if probed.returncode != 0:
            state = CRASHED if imported else IMPORT_FAILED
            return record.build_failure(variant, packages, probe, repeat, state, phase, probed)
        try:
            return record.build_result(output, variant, packages, record.probe_digest(probe))
        except InputError as exc:  # exit status 0 but no usable output: the probe died quietly
            said = "without writing its result" if not output.exists() else f"with an unusable result ({exc.problem})"
            quiet = Step(
                probed.returncode, f"{probed.output}\ntfmatrix: the probe exited with status 0 {said}", timeout
            )
            return record.build_failure(variant, packages, probe, repeat, CRASHED, phase, quiet)
