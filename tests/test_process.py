"""How one step of an attempt ends: real child processes that finish, fail, crash and hang."""

from __future__ import annotations

import io
import signal
import sys
import time
from pathlib import Path

import pytest

from tfmatrix import process


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_step_echoes_its_output_as_it_comes_and_keeps_it() -> None:
    out = io.StringIO()
    step = process.run_step(python("print('one'); import sys; sys.exit(3)"), timeout=60, out=out)
    assert (step.returncode, step.exit) == (3, "exit status 3")
    assert step.output == "one\n"
    assert out.getvalue().endswith("one\n")
    assert out.getvalue().startswith(f"{process.MARK} {sys.executable} -c ")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV"),  # a segfault
        ("import os; os.abort()", "SIGABRT"),  # an abort, as from a failed C++ check
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),  # as the OOM killer does
    ],
)
def test_a_crash_is_named_by_its_signal(code: str, name: str) -> None:
    step = process.run_step(python(code), timeout=60, out=io.StringIO())
    assert (step.returncode, step.exit) == (-signal.Signals[name], f"killed by {name}")


def test_a_step_past_its_time_limit_is_killed_with_everything_it_started(tmp_path: Path) -> None:
    grandchild = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
        f"open({str(grandchild)!r}, 'w').write(str(p.pid)); print('started', flush=True); time.sleep(600)"
    )
    started = time.monotonic()
    step = process.run_step(python(code), timeout=3, out=io.StringIO())
    assert time.monotonic() - started < 60
    assert (step.returncode, step.exit) == (None, "timed out after 3 s")
    assert "started" in step.output
    pid = int(grandchild.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid)  # the whole process group went, not only the step's first process


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_excerpt_is_the_end_of_the_output_with_addresses_masked() -> None:
    output = "".join(f"line {i}\n" for i in range(30)) + "\nFatal Python error: at 0x7f3a2b1c4d5e\n"
    excerpt = process.Step(-11, output, 60).excerpt()
    assert excerpt.splitlines()[0] == "line 11"  # the last 20 non-empty lines
    assert excerpt.splitlines()[-1] == "Fatal Python error: at 0x…"
    assert len(excerpt.splitlines()) == process.EXCERPT_LINES
