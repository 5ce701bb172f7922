"""What the rest of tfmatrix knows of an environment to probe: a Python, what to install, some variables.

Kinds (``tfmatrix.kinds``) make variants from the catalog; nothing outside them knows what a
TensorFlow release or a tf-keras package is. Standard library only: the noxfile imports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z]+\])?(==[0-9][A-Za-z0-9.+]*)?")


@dataclass(frozen=True)
class Install:
    """One ``uv pip install`` of a variant, in order."""

    requirement: str
    resolved_as_of: dt.date | None  # uv --exclude-newer; None: the newest there is today
    no_deps: bool = False  # the packages before it already provide the dependencies
    prerelease: bool = False
    origin: str = ""  # the catalog field that pins it, for pre-flight errors; "" if nothing is pinned

    def __post_init__(self) -> None:
        # It reaches uv as an argument and as a line of requirements: one requirement, never an option.
        if not REQUIREMENT.fullmatch(self.requirement):
            message = f"not a single requirement: {self.requirement!r}"
            raise ValueError(message)


@dataclass(frozen=True)
class Track:
    """A column group of the report: variants of one track are compared with each other, oldest first."""

    name: str
    suffix: str  # after the version in column names: "" for the main track
    title: str  # what its versions are versions of, for the report's header
    note: str  # how its environments differ, after "Columns marked <suffix>" in the report
    not_pinpointed: str = ""  # why a change first seen on it is not pinpointed; "" where nox -s pinpoint does it
    # How a reader asks about a release of it, as `tfmatrix lookup`'s options and the page's URL name it:
    # (option, value) pairs, the version where the value is "" (tf=2.15.0&tf-keras=1); none: it is not asked about.
    asks: tuple[tuple[str, str], ...] = ()
    named: str = ""  # a release of it in an answer, the version as {}: "TensorFlow {} with tf-keras"


@dataclass(frozen=True)
class Option:
    """One option a kind gives ``tfmatrix lookup`` (and the page's URL): a version, a switch or a choice."""

    flag: str  # --tensorflow
    help: str


@dataclass(frozen=True)
class Variant:
    """One environment to probe, as a kind made it from a catalog entry."""

    id: str  # session and file name, e.g. tensorflow-cpu-2.16.2-tf-keras
    kind: str
    track: str
    distribution: str  # the package whose version names the variant
    version: str
    python: str
    installs: tuple[Install, ...]
    environment: tuple[tuple[str, str], ...] = ()  # variables the probe runs with
    floating: bool = False  # resolved on the day of the run: the version is whatever was installed
    opt_in: bool = False  # probed only when asked for
    # The catalog entry as it stood (part of the cache key), and facts the result records.
    entry: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # How the run goes, not what it finds: neither takes part in comparisons or the cache key.
    timeout_seconds: float = field(default=900.0, compare=False)
    origin: str = field(default="", compare=False)  # where the catalog declares it, e.g. release[3]
