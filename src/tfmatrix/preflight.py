"""Before a run probes anything: is every variant it is about to probe installable here?

A catalog entry whose Python is not installed, or whose version has no wheel for that Python on
the package index, is bad input: the run stops with one line naming the catalog field. An index
that cannot be reached is not: the run goes on and the installs say what failed, as results.
The index is asked through uv, as the installs will be; no dependency is resolved here.

Standard library only: the noxfile runs it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tfmatrix import index
from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

# (requirement, Python version, resolution day) -> None if the index had a wheel for it that day, else why not.
AskIndex = Callable[[str, str, dt.date | None], str | None]


def interpreter_found(python: str) -> bool:
    """Does ``python3.X`` exist here and start? (A pyenv shim exists even for versions it cannot run.)"""
    command = shutil.which(f"python{python}")
    if command is None:
        return False
    return subprocess.run([command, "-c", ""], capture_output=True, check=False).returncode == 0


def uv_finds(uv: str, requirement: str, python: str, resolved_as_of: dt.date | None = None) -> str | None:
    """Ask the configured index, through ``uv pip compile --no-deps``, for a wheel of ``requirement`` for
    ``python``, as the index stood on ``resolved_as_of`` (as the install will: ``--exclude-newer``)."""
    asked = subprocess.run(
        [
            uv,
            "pip",
            "compile",
            "-",
            "--no-deps",
            "--no-header",
            "--quiet",
            "--python-version",
            python,
            *index.uv_options(),
            *(["--exclude-newer", resolved_as_of.isoformat()] if resolved_as_of else []),
        ],
        input=requirement,
        capture_output=True,
        text=True,
        check=False,
    )
    if asked.returncode == 0:
        return None
    lines = [line.strip() for line in asked.stderr.splitlines() if line.strip()]
    if "network was disabled" in asked.stderr:  # offline (UV_OFFLINE), and the cache lacks it: not the catalog's fault
        message = f"uv pip compile {requirement}: uv is offline and its cache does not hold {requirement}"
        raise RuntimeError(message)
    if "No solution found" not in asked.stderr:  # the index could not be asked, e.g. unreachable
        message = f"uv pip compile {requirement}: {lines[-1] if lines else 'failed'}"
        raise RuntimeError(message)
    cause = re.search(r"cause: (.+?)(?:\n\s*\n|\nhint:|\Z)", asked.stderr, re.DOTALL)
    return " ".join(cause.group(1).split()) if cause else lines[-1]  # uv wraps long causes


def unwritable(directories: Sequence[Path]) -> str | None:
    """The first of ``directories`` (or, for one not made yet, the folder it would be made in) where no
    file can be written, and why; None if every one takes a file. Nothing is left behind."""
    for directory in directories:
        existing = next(p for p in (directory, *directory.parents) if p.exists())
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as exc:
            return f"{existing}: no result can be written there ({exc.strerror or exc})"
    return None


def wanted(variants: Sequence[Variant]) -> list[tuple[str, str, str, dt.date | None]]:
    """(catalog field, requirement, Python, resolution day) for every package a variant pins."""
    return [(i.origin, i.requirement, v.python, i.resolved_as_of) for v in variants for i in v.installs if i.origin]


def check(
    variants: Sequence[Variant],
    catalog_path: Path,
    *,
    ask: AskIndex,
    found: Callable[[str], bool] = interpreter_found,
    warn: Callable[[str], None] = print,
) -> None:
    """Raise InputError for the first variant that cannot be installed here; warn if the index cannot say."""
    first_on: dict[str, Variant] = {}  # each Python is started once, named by the first variant that needs it
    for variant in variants:
        first_on.setdefault(variant.python, variant)
    for variant in first_on.values():
        if not found(variant.python):
            where = f"{variant.origin}.python"
            problem = f"Python {variant.python} is not installed (python{variant.python} does not run): "
            problem += "install it, or leave this release out with --only"
            raise InputError(catalog_path, where, problem)
    pins = list(dict.fromkeys(wanted(variants)))  # each question once, in catalog order
    with ThreadPoolExecutor(max_workers=4) as pool:
        try:
            answers = list(pool.map(lambda pin: ask(*pin[1:]), pins))
        except RuntimeError as exc:  # the index could not be asked; the installs will tell
            warn(f"tfmatrix: cannot check versions against the package index ({exc}); installing anyway")
            return
    for (where, requirement, python, day), why_not in zip(pins, answers, strict=True):
        if why_not is None:
            continue
        if day is not None and there_today(ask, requirement, python):
            problem = f"{requirement} was not on the package index on {day} ({why_not}): choose a day after its upload"
            raise InputError(catalog_path, f"{where.rsplit('.', 1)[0]}.resolved_as_of", problem)
        problem = f"{requirement} has no wheel for Python {python} on the package index ({why_not})"
        raise InputError(catalog_path, where, problem)


def there_today(ask: AskIndex, requirement: str, python: str) -> bool:
    """Has the index a wheel of ``requirement`` for ``python`` now? (Then the catalog's day is too early.)"""
    try:
        return ask(requirement, python, None) is None
    except RuntimeError:  # cannot tell: the version is blamed, as without a day
        return False
