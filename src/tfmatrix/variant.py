"""What the rest of tfmatrix knows of an environment to probe: a Python, what to install, some variables.

Kinds (``tfmatrix.kinds``) make variants from the catalog; nothing outside them knows what a
TensorFlow release or a tf-keras package is. Standard library and packaging: the noxfile imports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

FRAMEWORK_VARIABLE = "TFMATRIX_FRAMEWORK"  # what probes/_keras.py reads to import the framework
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
    versions: str = ""  # the versions it answers for, where its options are another track's too: "<3"
    # What a reader must know of how some of its releases ran: (versions, a word for a column title, a sentence).
    caveats: tuple[tuple[str, str, str], ...] = ()

    def answers(self, version: str) -> bool:
        """Whether ``version`` (as asked) is one this track answers for; a version that is no version is left
        to be refused where it is read."""
        try:
            return Version(version) in SpecifierSet(self.versions)
        except InvalidVersion:
            return True

    def caveat(self, version: str) -> tuple[str, str]:
        """(word, sentence) of how ``version`` ran, where a caveat covers it; ("", "") elsewhere."""
        return next(
            ((word, text) for versions, word, text in self.caveats if version in SpecifierSet(versions)), ("", "")
        )

    @property
    def version_option(self) -> str:
        """The name of the option that gives the version (``tf``, ``keras``); "" where it is not asked about."""
        return next((name for name, value in self.asks if value == ""), "")


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
    framework: str  # the probes' framework module it runs (probes/_fw_<framework>.py): the kind names it
    environment: tuple[tuple[str, str], ...] = ()  # variables the probe runs with, besides the framework's
    floating: bool = False  # resolved on the day of the run: the version is whatever was installed
    opt_in: bool = False  # probed only when asked for
    # The catalog entry as it stood (part of the cache key), and facts the result records.
    entry: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # How the run goes, not what it finds: neither takes part in comparisons or the cache key.
    timeout_seconds: float = field(default=900.0, compare=False)
    origin: str = field(default="", compare=False)  # where the catalog declares it, e.g. release[3]

    @property
    def budget_seconds(self) -> float:
        """The longest an attempt may take by its own limits: each install, then the probes, one limit each."""
        return self.timeout_seconds * (len(self.installs) + 1)

    @property
    def local_builds(self) -> bool:
        """Does it install a local version (``torch==2.13.0+cpu``), which no public index serves: only the
        find-links pip and uv are configured with?"""
        return any("+" in install.requirement.partition("==")[2] for install in self.installs)

    @property
    def variables(self) -> tuple[tuple[str, str], ...]:
        """Every variable the probes run with: the framework the kind named, then its own."""
        return ((FRAMEWORK_VARIABLE, self.framework), *self.environment)

    def at(self, version: str, day: dt.date, companions: Mapping[str, str] | None = None) -> Variant:
        """This variant with its package at ``version`` (and each companion it installs at the version
        ``companions`` names), resolved as of ``day``: a release between two of the catalog's."""
        pinned = f"{self.distribution}=={self.version}"
        if not any(install.requirement == pinned for install in self.installs):
            message = f"{self.id}: no install pins {pinned}: the release between cannot be made from it"
            raise ValueError(message)
        chosen = {self.distribution: version, **(companions or {})}

        def requirement(text: str) -> str:
            name = text.partition("==")[0]
            return f"{name}=={chosen[name]}" if "==" in text and name in chosen else text

        installs = tuple(
            replace(
                install,
                requirement=requirement(install.requirement),
                resolved_as_of=day if install.resolved_as_of else None,
                prerelease=install.prerelease or any(Version(v).is_prerelease for v in chosen.values()),
            )
            for install in self.installs
        )
        return replace(
            self,
            id=self.id.replace(self.version, version, 1),
            version=version,
            installs=installs,
            entry={**self.entry, "version": version, "resolved_as_of": day.isoformat()},
            facts={**self.facts, "resolved_as_of": day.isoformat()},
            origin=f"between {self.origin} and the release before it",
        )
