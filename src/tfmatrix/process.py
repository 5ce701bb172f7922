"""Run one command as a step of an attempt: echo its output, keep it, and stop it at its time limit.

Standard library only: the probe session runs it in nox's own interpreter.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

EXCERPT_LINES = 20
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
# Every line this module prints starts with this, so a reader of the log can follow an attempt.
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

    def failure(self, phase: str) -> dict[str, str]:
        """A failed result's ``failure``: the step it was, how it ended, the end of its output."""
        return {"phase": phase, "exit": self.exit, "message": self.excerpt()}


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
    finally:  # a timeout, Ctrl-C or SIGTERM must not leave the step running, nor anything it started
        with contextlib.suppress(ProcessLookupError):  # its group ended with it
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
