"""The probes in ``probes/``: their files and hashes (for the cache), and their metadata and judges (for the report).

Finding and hashing probes needs only the standard library (the runner does it in nox's
interpreter). ``load_all`` imports the probes through their harness, which needs numpy: only the
report's environment calls it. A probe never imports its framework at import time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tfmatrix import untrusted
from tfmatrix.errors import InputError
from tfmatrix.vocabulary import VERDICT, WHY

IMPORT_SECONDS = 60  # for each probe's import: one that hangs must not hang the report
HARNESS = "_harness.py"  # with every other _*.py beside it: the code all probes share


@dataclass(frozen=True)
class Source:
    """One probe file and what its results depend on."""

    name: str
    sha256: str
    harness_sha256: str

    def identity(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256, "harness_sha256": self.harness_sha256}


def names(probes_dir: Path) -> list[str]:
    """Every probe in ``probes_dir``, sorted: its ``*.py`` files but the shared ``_*.py`` ones."""
    if not (probes_dir / HARNESS).is_file():
        raise InputError(probes_dir, "", f"is not a directory of probes: it has no {HARNESS}")
    return sorted(path.stem for path in probes_dir.glob("*.py") if not path.name.startswith("_"))


def sources(probes_dir: Path) -> dict[str, Source]:
    harness = hashlib.sha256()
    for path in sorted(probes_dir.glob("_*.py")):
        harness.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {
        name: Source(name, hashlib.sha256((probes_dir / f"{name}.py").read_bytes()).hexdigest(), harness.hexdigest())
        for name in names(probes_dir)
    }


def selected(probes_dir: Path, wanted: Sequence[str] | None) -> dict[str, Source]:
    """The sources of the probes ``wanted`` (all, if None), in the directory's order (the order they run
    in); an InputError names one the directory lacks."""
    found = sources(probes_dir)
    unknown = sorted(set(wanted or ()) - set(found))
    if unknown:
        raise InputError(probes_dir, "", f"has no probe {unknown[0]!r} (it has {', '.join(found)})")
    return {name: source for name, source in found.items() if not wanted or name in wanted}


@dataclass(frozen=True)
class Probe:
    """A probe's metadata, as ``--describe`` prints it, and its judge of recorded cases."""

    name: str
    title: str
    description: str
    axes: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, str]]
    aspects: dict[str, dict[str, Any]]  # the harness's verdict and why first, then the probe's own
    intent: dict[str, dict[str, Any]]  # group -> what its user means, the parts and the fixes
    fields: list[str]
    judge: Callable[[dict[str, Any]], dict[str, str]]

    @property
    def matrix_aspects(self) -> list[str]:
        """The aspects shown in each question's matrix; the first one, the verdict, leads each cell."""
        return [name for name, spec in self.aspects.items() if spec.get("matrix")]

    @property
    def compared_aspects(self) -> list[str]:
        """The aspects change points compare: all but why, which says in words what the others show."""
        return [name for name in self.aspects if name != WHY]

    @property
    def detail_lead(self) -> str:
        """The probe's own first matrix aspect: what its cells led with before verdicts, and what a case
        that raised still says (its exception)."""
        return next(name for name in self.matrix_aspects if name not in (VERDICT, WHY))


@cache
def load_all(probes_dir: Path) -> dict[str, Probe]:
    """Every probe of ``probes_dir``, imported as its harness imports it (the framework is not).

    A probe that does not import, or whose metadata is not what the report needs, is an InputError.
    """
    found = {}
    every = names(probes_dir)  # first: a directory without a harness is an InputError, not an ImportError
    with isolated_imports(probes_dir):
        harness = importlib.import_module(HARNESS.removesuffix(".py"))
        for name in every:
            path = probes_dir / f"{name}.py"
            try:
                with time_limit(IMPORT_SECONDS):
                    module = harness.load(name)
                    described = harness.describe(module)
            except TimeoutError:
                raise InputError(
                    path, "", f"did not import within {IMPORT_SECONDS} s (a probe imports in well under 1 s)"
                ) from None
            except harness.ProbeError as exc:
                raise InputError(path, exc.attribute, exc.problem) from None
            except Exception as exc:  # noqa: BLE001 - whatever a probe's import raises, name the file
                raise InputError(path, "", f"cannot be imported: {type(exc).__name__}: {exc}") from None
            checked(path, described)
            found[name] = Probe(**described, judge=functools.partial(harness.judged, module))
    return found


def checked(path: Path, described: dict[str, Any]) -> None:
    """Metadata the report can render: text, titled axes with values, questions, one aspect in the matrices."""
    untrusted.text(path, described)
    for name in ("title", "description"):
        if not isinstance(described[name], str) or not described[name]:
            raise InputError(path, name.upper(), "expected a non-empty string")
    for axis, spec in described["axes"].items():
        values = spec.get("values") if isinstance(spec, dict) else None
        if not isinstance(values, list) or not values or "title" not in spec:
            raise InputError(path, f"AXES.{axis}", "expected {title, values: [...]}")
    for group, spec in described["groups"].items():
        if not isinstance(spec, dict) or not {"question", "grid"} <= set(spec):
            raise InputError(path, f"GROUPS.{group}", "expected {question, grid}")
    aspects = described["aspects"]
    own = [spec for name, spec in aspects.items() if name not in (VERDICT, WHY)]  # the harness adds those two
    if not any(isinstance(spec, dict) and spec.get("matrix") for spec in own):
        raise InputError(path, "ASPECTS", "expected at least one aspect with matrix: True")
    for group, intent in described["intent"].items():  # the harness checked the rest of INTENT
        for index, fix in enumerate(intent.get("fixes", [])):
            for axis, value in fix.get("for", {}).items():
                if value not in described["axes"].get(axis, {}).get("values", []):
                    raise InputError(path, f"INTENT.{group}.fixes[{index}].for.{axis}", "expected a value of AXES")
    for aspect, spec in aspects.items():
        if "title" not in spec:
            raise InputError(path, f"ASPECTS.{aspect}.title", "missing")
        section = spec.get("section")
        if section is not None and not set(section.get("groups", [])) <= set(described["groups"]):
            raise InputError(path, f"ASPECTS.{aspect}.section.groups", "expected groups of GROUPS")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """TimeoutError in the main thread after ``seconds`` (elsewhere, no limit: only the main thread gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(*_: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def isolated_imports(probes_dir: Path) -> Iterator[None]:
    """Import the modules of ``probes_dir`` afresh, and put back whatever held their names before.

    Probes of two directories (the real ones, a test's) share module names such as ``_harness``.
    """
    directory = os.path.abspath(probes_dir)  # noqa: PTH100 - as the harness spells its own directory
    here = {path.stem for path in Path(directory).glob("*.py")}
    stashed = {name: sys.modules.pop(name) for name in here if name in sys.modules}
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        sys.path.remove(directory)
        for name in here:
            sys.modules.pop(name, None)
        sys.modules.update(stashed)
