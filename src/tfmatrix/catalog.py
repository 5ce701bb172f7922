"""The release catalog: which TensorFlow releases to probe, on which Python, resolved as of when.

Standard library and ``packaging`` only: the noxfile imports it to create its sessions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from packaging.version import InvalidVersion, Version

from tfmatrix.errors import InputError, read_toml

DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu")
PYTHON_PATTERN = re.compile(r"^3\.\d{1,2}$")
TIMEOUT_SECONDS = 900  # per step (install, probe); the slowest probe takes under a minute here
T = TypeVar("T")


NIGHTLY_DISTRIBUTIONS = ("tf-nightly", "tf-nightly-cpu")
BUNDLED = "bundled"  # whatever tf.keras is in the release: Keras 2 up to 2.15, Keras 3 from 2.16
TF_KERAS = "tf-keras"  # the legacy Keras 2 package, selected with TF_USE_LEGACY_KERAS=1
NIGHTLY = "nightly"  # the newest nightly build, opt-in
FLAVOURS = (BUNDLED, TF_KERAS, NIGHTLY)


@dataclass(frozen=True)
class TfKeras:
    """The tf-keras release that matches a TensorFlow release, and when to resolve it."""

    version: str
    resolved_as_of: dt.date


@dataclass(frozen=True)
class Release:
    """One catalog entry: a TensorFlow distribution at one version."""

    version: str
    distribution: str
    python: str
    resolved_as_of: dt.date
    tf_keras: TfKeras | None = None
    # How the run goes, not what it finds: neither takes part in comparisons or the cache key.
    timeout_seconds: float = field(default=TIMEOUT_SECONDS, compare=False)
    origin: str = field(default="", compare=False)  # where the catalog declares it, e.g. release[3]

    @property
    def id(self) -> str:
        """Readable, file-name-safe key, e.g. ``tensorflow-cpu-2.1.0``."""
        return f"{self.distribution}-{self.version}"

    @property
    def requirement(self) -> str:
        return self.distribution if self.version == NIGHTLY else f"{self.distribution}=={self.version}"

    @property
    def sort_key(self) -> Version:
        return Version(self.version)

    def variants(self) -> list[Variant]:
        flavours = [BUNDLED] if self.tf_keras is None else [BUNDLED, TF_KERAS]
        return [Variant(self, flavour) for flavour in flavours]


@dataclass(frozen=True)
class Variant:
    """One environment to probe: a release with its bundled tf.keras, or with tf-keras."""

    release: Release
    flavour: str

    @property
    def id(self) -> str:
        """``tensorflow-cpu-2.16.2``, ``tensorflow-cpu-2.16.2-tf-keras`` or ``tf-nightly``: session and file name."""
        if self.flavour == NIGHTLY:
            return self.release.distribution
        return self.release.id if self.flavour == BUNDLED else f"{self.release.id}-{self.flavour}"

    @property
    def tf_keras(self) -> TfKeras | None:
        """The tf-keras this variant installs, if it is the tf-keras variant."""
        return self.release.tf_keras if self.flavour == TF_KERAS else None

    @property
    def environment(self) -> dict[str, str]:
        return {"TF_USE_LEGACY_KERAS": "1"} if self.flavour == TF_KERAS else {}


def variants(releases: list[Release]) -> list[Variant]:
    """Every environment to probe: all releases as bundled, then the tf-keras ones, each oldest first."""
    every = [variant for release in releases for variant in release.variants()]
    return sorted(every, key=lambda v: FLAVOURS.index(v.flavour))


def load_nightly(path: Path, today: dt.date) -> Variant | None:
    """The catalog's opt-in [nightly] table as a variant resolved ``today``, or None without one."""
    document = read_toml(path)
    table = document.get("nightly")
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) != {"distribution", "python"}:
        raise InputError(path, "nightly", "expected a table with distribution and python")
    distribution = _field(path, "nightly", table, "distribution", str)
    if distribution not in NIGHTLY_DISTRIBUTIONS:
        raise InputError(path, "nightly.distribution", f"expected one of {', '.join(NIGHTLY_DISTRIBUTIONS)}")
    python = _field(path, "nightly", table, "python", str)
    if not PYTHON_PATTERN.match(python):
        raise InputError(path, "nightly.python", f"expected a Python version like 3.13, got {python!r}")
    timeout = _timeout(path, "timeout_seconds", document.get("timeout_seconds", TIMEOUT_SECONDS))
    return Variant(Release(NIGHTLY, distribution, python, today, None, timeout, "nightly"), NIGHTLY)


def load(path: Path, today: dt.date | None = None) -> list[Release]:
    """Read and validate a catalog file; releases come back oldest first."""
    document = read_toml(path)
    unknown = sorted(set(document) - {"timeout_seconds", "release", "nightly"})
    if unknown:
        raise InputError(path, unknown[0], "unknown field")
    entries = document.get("release")
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "release", "expected one or more [[release]] tables")
    timeout = _timeout(path, "timeout_seconds", document.get("timeout_seconds", TIMEOUT_SECONDS))
    today = today or dt.date.today()
    releases = [_release(path, index, entry, timeout, today) for index, entry in enumerate(entries)]
    seen: dict[str, int] = {}
    for index, release in enumerate(releases):
        if release.id in seen:
            raise InputError(path, f"release[{index}]", f"duplicates release[{seen[release.id]}] ({release.id})")
        seen[release.id] = index
    return sorted(releases, key=lambda r: r.sort_key)


def _release(path: Path, index: int, entry: Any, timeout: float, today: dt.date) -> Release:
    where = f"release[{index}]"
    if not isinstance(entry, dict):
        raise InputError(path, where, "expected a table")
    fields = {"version", "distribution", "python", "resolved_as_of", "tf_keras", "timeout_seconds"}
    unknown = sorted(set(entry) - fields)
    if unknown:
        raise InputError(path, f"{where}.{unknown[0]}", "unknown field")
    version = _field(path, where, entry, "version", str)
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise InputError(path, f"{where}.version", f"expected a release version like 2.1.0, got {version!r}") from None
    if parsed.is_prerelease or parsed.is_devrelease:
        raise InputError(path, f"{where}.version", f"expected a final release, got {version!r}")
    distribution = _field(path, where, entry, "distribution", str)
    if distribution not in DISTRIBUTIONS:
        raise InputError(
            path, f"{where}.distribution", f"expected one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}"
        )
    python = _field(path, where, entry, "python", str)
    if not PYTHON_PATTERN.match(python):
        raise InputError(path, f"{where}.python", f"expected a Python version like 3.7, got {python!r}")
    resolved_as_of = _date(path, where, entry, today)
    tf_keras = None
    if "tf_keras" in entry:
        table = entry["tf_keras"]
        if not isinstance(table, dict) or set(table) != {"version", "resolved_as_of"}:
            raise InputError(path, f"{where}.tf_keras", "expected { version = ..., resolved_as_of = ... }")
        if parsed < Version("2.16"):
            raise InputError(path, f"{where}.tf_keras", "tf-keras is a separate package only from TensorFlow 2.16")
        tf_keras = TfKeras(
            _field(path, f"{where}.tf_keras", table, "version", str), _date(path, f"{where}.tf_keras", table, today)
        )
    timeout = _timeout(path, f"{where}.timeout_seconds", entry.get("timeout_seconds", timeout))
    return Release(version, distribution, python, resolved_as_of, tf_keras, timeout, where)


def _date(path: Path, where: str, entry: dict[str, Any], today: dt.date) -> dt.date:
    resolved_as_of = _field(path, where, entry, "resolved_as_of", dt.date)
    if isinstance(resolved_as_of, dt.datetime):
        raise InputError(path, f"{where}.resolved_as_of", "expected a date like 2020-01-15, not a date-time")
    if resolved_as_of > today:
        # The index can still change before then: such a resolution would not be reproducible.
        raise InputError(path, f"{where}.resolved_as_of", f"{resolved_as_of} is in the future")
    return resolved_as_of


def _timeout(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(path, where, f"expected a positive number of seconds, got {value!r}")
    return float(value)


def _field(path: Path, where: str, entry: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in entry:
        raise InputError(path, f"{where}.{name}", "missing")
    value = entry[name]
    if not isinstance(value, kind):
        expected = "a TOML date like 2020-01-15" if kind is dt.date else "a string"
        raise InputError(path, f"{where}.{name}", f"expected {expected}, got {value!r}")
    return value
