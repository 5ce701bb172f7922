"""Checks on the fields of catalog entries: each problem is one InputError naming the file and field.

Standard library and ``packaging`` only: the noxfile loads the catalog.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from packaging.version import InvalidVersion, Version

from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

PYTHON_PATTERN = re.compile(r"3\.\d{1,2}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")  # a package name, nothing more
T = TypeVar("T")


def required(path: Path, where: str, entry: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in entry:
        raise InputError(path, f"{where}.{name}", "missing")
    value = entry[name]
    if not isinstance(value, kind):
        expected = "a TOML date like 2020-01-15" if kind is dt.date else "a string"
        raise InputError(path, f"{where}.{name}", f"expected {expected}, got {value!r}")
    return value


def table(path: Path, where: str, value: Any, fields: set[str]) -> dict[str, Any]:
    """A TOML table with no fields but ``fields``."""
    if not isinstance(value, dict):
        raise InputError(path, where, "expected a table")
    unknown = sorted(set(value) - fields)
    if unknown:
        raise InputError(path, f"{where}.{unknown[0]}", "unknown field")
    return value


def version(path: Path, where: str, value: Any, name: str, example: str) -> Version:
    """A version written as installers write it back: no space, no leading v, nothing to read as an option."""
    try:
        parsed = Version(value) if isinstance(value, str) else None
    except InvalidVersion:
        parsed = None
    if parsed is None or str(parsed) != value or parsed.epoch:  # an epoch ("1!2.0") no requirement here takes
        raise InputError(path, where, f"expected a {name} version like {example}, got {value!r}")
    return parsed


def final_version(
    path: Path,
    where: str,
    entry: dict[str, Any],
    name: str,
    example: str,
    first: Version | None = None,
    before: Version | None = None,
) -> Version:
    """The entry's ``version``: a final release (of ``first`` or later, before ``before``), ``name`` saying of what."""
    parsed = version(path, f"{where}.version", required(path, where, entry, "version", str), name, example)
    outside = (first is not None and parsed < first) or (before is not None and parsed >= before)
    if parsed.is_prerelease or parsed.is_devrelease or outside:
        raise InputError(path, f"{where}.version", f"expected a final {name}, got {entry['version']!r}")
    return parsed


def each(path: Path, table: str, value: Any) -> list[tuple[str, Any]]:
    """The entries of ``[[table]]``, each with where it is (``table[0]``); an InputError where there are none."""
    if not isinstance(value, list) or not value:
        raise InputError(path, table, f"expected one or more [[{table}]] tables")
    return [(f"{table}[{index}]", entry) for index, entry in enumerate(value)]


def package_names(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) and NAME_PATTERN.fullmatch(n) for n in value):
        raise InputError(path, where, f"expected a list of package names, got {value!r}")
    return value


def python(path: Path, where: str, entry: dict[str, Any]) -> str:
    value = required(path, where, entry, "python", str)
    if not PYTHON_PATTERN.fullmatch(value):
        raise InputError(path, f"{where}.python", f"expected a Python version like 3.7, got {value!r}")
    return value


def date(path: Path, where: str, entry: dict[str, Any], today: dt.date) -> dt.date:
    resolved_as_of = required(path, where, entry, "resolved_as_of", dt.date)
    if isinstance(resolved_as_of, dt.datetime):
        raise InputError(path, f"{where}.resolved_as_of", "expected a date like 2020-01-15, not a date-time")
    if resolved_as_of > today:
        # The index can still change before then: such a resolution would not be reproducible.
        raise InputError(path, f"{where}.resolved_as_of", f"{resolved_as_of} is in the future")
    return resolved_as_of


def timeout(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:  # nan: no limit
        raise InputError(path, where, f"expected a positive number of seconds, got {value!r}")
    return float(value)


def variants(path: Path, table: str, value: Any, made: Callable[[str, Any], Variant]) -> list[Variant]:
    """The variants of a ``[[table]]`` whose every entry is one variant, ``made(where, entry)``: none where the
    catalog has no such table, else as ``distinct`` gives them."""
    if value is None:
        return []
    return distinct(path, [made(where, entry) for where, entry in each(path, table, value)])


def distinct(path: Path, variants: list[Variant]) -> list[Variant]:
    """``variants``, oldest first on each track in the order found; an InputError where two are one release
    of one track (2.1 and 2.1.0 are one), whichever package it comes as."""
    seen: dict[tuple[str, Version], Variant] = {}
    for variant in variants:
        key = (variant.track, Version(variant.version))
        if key in seen:
            raise InputError(path, variant.origin, f"duplicates {seen[key].origin} ({seen[key].id})")
        seen[key] = variant
    tracks = list(dict.fromkeys(variant.track for variant in variants))
    return sorted(variants, key=lambda v: (tracks.index(v.track), Version(v.version)))
