"""Kinds of environment, in one registry: each turns its table of catalog.toml into variants.

A kind is a module with ``NAME``, ``TABLE`` (the catalog table it reads), ``TRACKS`` (the report's
column groups its variants belong to, each saying how a reader asks about it), ``OPTIONS`` (the ``lookup``
options those name), ``FRAMEWORK`` (the probes' framework module its variants run, ``probes/_fw_<FRAMEWORK>.py``),
``VIEW`` (which report shows them: "" for ``<probe>-matrix.md``, else ``<probe>-<VIEW>-matrix.md``) and
``VIEW_TITLE`` (what that report is of, where the README links it), ``ACROSS_TRACKS`` (what its tracks are, if the report compares them on
the same release, e.g. "backends"; else ""), ``COMPANIONS``, ``load()``, ``between()`` (a release between
two of the catalog's, for ``nox -s pinpoint``) and ``release_columns()``. Adding a kind is adding a module and its name here.
The registry's order is the report's: tracks of earlier kinds come first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from tfmatrix.kinds import graph, keras, keras2, nightly, tensorflow
from tfmatrix.variant import Option, Track, Variant


class Kind(Protocol):
    NAME: str
    TABLE: str
    TRACKS: tuple[Track, ...]
    FRAMEWORK: str
    VIEW: str
    VIEW_TITLE: str
    ACROSS_TRACKS: str
    OPTIONS: dict[str, Option]

    def load(self, path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
        """The variants of the catalog's ``TABLE`` (None where the catalog has none), oldest first."""
        ...

    COMPANIONS: tuple[str, ...]  # packages installed beside its release, one per minor line (tf-keras)

    def between(self, newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:
        """The variant of ``version``, a release between two of the catalog's, made from ``newer``'s (the one
        after it), resolved as of ``day``, with each companion at the version ``companions`` names."""
        ...

    def release_columns(self, result: Mapping[str, Any], environment: Mapping[str, Any]) -> dict[str, str]:
        """The report's Releases columns of this kind's own, for one result and the environment it ran in."""
        ...


KINDS: dict[str, Kind] = {kind.NAME: kind for kind in (graph, tensorflow, nightly, keras2, keras)}
TRACKS: dict[str, Track] = {track.name: track for kind in KINDS.values() for track in kind.TRACKS}
OPTIONS: dict[str, Option] = {name: option for kind in KINDS.values() for name, option in kind.OPTIONS.items()}


def label(version: str, track: str) -> str:
    """How the report names a variant: ``2.16.2`` on a main track, ``2.16.2 tf-keras`` on another."""
    return f"{version}{TRACKS[track].suffix}"


def report_name(probe: str, kind: str) -> str:
    """The report file that shows the results of ``kind``'s variants for ``probe``."""
    view = KINDS[kind].VIEW
    return f"{probe}-{view}-matrix.md" if view else f"{probe}-matrix.md"
