"""``tfmatrix repro``: the commands that reproduce one cell of the matrix from a checkout and uv alone.

They make a venv with the variant's Python, install what the variant installs, each as of its
resolution date (the same ``uv pip install`` lines a matrix run uses), and run the one case with
``repro/run_case.py`` under the variables the probe ran with; it prints the outcome in the same
``aspect: outcome`` lines as the recorded outcome printed above the commands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from pathlib import Path
from typing import Any

from tfmatrix import attempt, escape
from tfmatrix.probes import Probe
from tfmatrix.variant import Variant

VENVS = Path(".repro")  # inside the checkout: the commands run from its root
RUNNER = Path("repro") / "run_case.py"
# The variables every probe session sets that bear on outcomes (the noxfile's PROBE_ENV has them): no hash luck.
ENVIRONMENT = (("PYTHONHASHSEED", "0"),)


def recorded(probe: Probe, case: dict[str, Any]) -> list[str]:
    """What the matrix recorded for ``case``, in the lines repro/run_case.py prints."""
    judged = probe.judge(case)
    return [
        f"{aspect}: {spec.get('symbols', {}).get(judged[aspect], judged[aspect])}"
        for aspect, spec in probe.aspects.items()
    ]


def as_recorded(variant: Variant, result: dict[str, Any]) -> Variant:
    """The variant as the recorded attempt installed it: a floating one (the nightly) pinned to the
    version it got, resolved as of the day it was installed."""
    if not variant.floating:
        return variant
    day = dt.date.fromisoformat(result["environment"]["resolved_as_of"])
    pinned = f"{variant.distribution}=={result['release']['version']}"
    installs = tuple(
        dataclasses.replace(
            install,
            requirement=pinned if install.requirement == variant.distribution else install.requirement,
            resolved_as_of=install.resolved_as_of or day,
        )
        for install in variant.installs
    )
    return dataclasses.replace(variant, installs=installs)


def commands(variant: Variant, probe: str, case: str) -> list[str]:
    """Shell lines, run from the root of a checkout, that install ``variant`` and run one case in it."""
    venv = VENVS / variant.id
    python = venv / "bin" / "python"
    lines = [shlex.join(["uv", "venv", "--clear", "--python", variant.python, str(venv)])]
    lines += [shlex.join(attempt.install_command("uv", python, install)) for install in variant.installs]
    variables = [f"{name}={shlex.quote(value)}" for name, value in (*ENVIRONMENT, *variant.variables)]
    lines.append(" ".join(["env", *variables, shlex.join([str(python), str(RUNNER), probe, case])]))
    return lines


def script(variant: Variant, probe: Probe, case: dict[str, Any], result: dict[str, Any], day: str) -> str:
    """The whole text ``tfmatrix repro`` prints: what was recorded in ``result``, and the commands."""
    variant = as_recorded(variant, result)
    head = [
        f"{probe.name} case {case['id']} on {variant.id} (Python {variant.python}), as probed on {day}.",
        "Run from the root of a tfmatrix checkout; the last command prints what the matrix recorded:",
        *(f"  {line}" for line in recorded(probe, case)),
    ]
    # Recorded text is never trusted to stay a comment: every character that could end the line is spelt out.
    head = [escape.shell_comment(line) for line in head]
    return "\n".join([*head, *commands(variant, probe.name, case["id"])]) + "\n"
