"""The release catalog: which TensorFlow releases to probe, on which Python, resolved as of when.

Standard library and ``packaging`` only: the noxfile imports it to create its sessions.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from packaging.version import InvalidVersion, Version

from tfmatrix.errors import InputError

DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu")
PYTHON_PATTERN = re.compile(r"^3\.\d{1,2}$")
T = TypeVar("T")


@dataclass(frozen=True)
class Release:
    """One catalog entry: a TensorFlow distribution at one version."""

    version: str
    distribution: str
    python: str
    resolved_as_of: dt.date

    @property
    def id(self) -> str:
        """Readable, file-name-safe key, e.g. ``tensorflow-cpu-2.1.0``."""
        return f"{self.distribution}-{self.version}"

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    @property
    def sort_key(self) -> Version:
        return Version(self.version)


def load(path: Path) -> list[Release]:
    """Read and validate a catalog file; releases come back oldest first."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "", f"is not valid TOML: {exc}") from None
    entries = document.get("release")
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "release", "expected one or more [[release]] tables")
    releases = [_release(path, index, entry) for index, entry in enumerate(entries)]
    seen: dict[str, int] = {}
    for index, release in enumerate(releases):
        if release.id in seen:
            raise InputError(path, f"release[{index}]", f"duplicates release[{seen[release.id]}] ({release.id})")
        seen[release.id] = index
    return sorted(releases, key=lambda r: r.sort_key)


def _release(path: Path, index: int, entry: Any) -> Release:
    where = f"release[{index}]"
    if not isinstance(entry, dict):
        raise InputError(path, where, "expected a table")
    unknown = sorted(set(entry) - {"version", "distribution", "python", "resolved_as_of"})
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
    resolved_as_of = _field(path, where, entry, "resolved_as_of", dt.date)
    if isinstance(resolved_as_of, dt.datetime):
        raise InputError(path, f"{where}.resolved_as_of", "expected a date like 2020-01-15, not a date-time")
    return Release(version, distribution, python, resolved_as_of)


def _field(path: Path, where: str, entry: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in entry:
        raise InputError(path, f"{where}.{name}", "missing")
    value = entry[name]
    if not isinstance(value, kind):
        expected = "a TOML date like 2020-01-15" if kind is dt.date else "a string"
        raise InputError(path, f"{where}.{name}", f"expected {expected}, got {value!r}")
    return value
