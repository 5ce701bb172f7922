"""Explanations of change points: what changed, what to do, and the source lines behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfmatrix import untrusted
from tfmatrix.errors import InputError, read_toml
from tfmatrix.probes import Probe

FIELDS = ("probe", "release", "aspect", "cases", "summary", "advice", "evidence")


@dataclass(frozen=True)
class Explanation:
    probe: str
    releases: tuple[str, ...]  # where the change is first seen: one release, or the same one on several tracks
    aspect: str
    cases: Mapping[str, str]
    summary: str
    advice: str
    evidence: tuple[str, ...]

    def explains(self, release: str, aspect: str, axes: Mapping[str, str]) -> bool:
        """Does this entry explain a change of ``aspect`` first seen in ``release`` for a case with ``axes``?"""
        matches_case = all(axes.get(axis) == value for axis, value in self.cases.items())
        return release in self.releases and self.aspect == aspect and matches_case

    @property
    def release(self) -> str:
        """How the report names where it is first seen: ``3.6.0 tensorflow and 3.6.0 jax``."""
        return " and ".join(self.releases)


def load(path: Path, probes: Mapping[str, Probe]) -> list[Explanation]:
    document = read_toml(path)
    return [_explanation(path, i, entry, probes) for i, entry in enumerate(document.get("explanation", []))]


def _explanation(path: Path, index: int, entry: Any, probes: Mapping[str, Probe]) -> Explanation:
    where = f"explanation[{index}]"
    if not isinstance(entry, dict):
        raise InputError(path, where, "expected a table")
    untrusted.text(path, entry, where)
    for name in FIELDS:
        if name not in entry:
            raise InputError(path, f"{where}.{name}", "missing")
    extra = sorted(set(entry) - set(FIELDS))
    if extra:
        raise InputError(path, f"{where}.{extra[0]}", "unknown field")
    probe = probes.get(entry["probe"])
    if probe is None:
        raise InputError(path, f"{where}.probe", f"expected one of {', '.join(probes)}, got {entry['probe']!r}")
    if entry["aspect"] not in probe.aspects:
        expected = ", ".join(probe.aspects)
        raise InputError(path, f"{where}.aspect", f"expected one of {expected}, got {entry['aspect']!r}")
    cases = entry["cases"]
    if not isinstance(cases, dict) or not all(isinstance(v, str) for v in cases.values()):
        raise InputError(path, f"{where}.cases", "expected a table of axis = value strings")
    unknown = sorted(set(cases) - set(probe.axes))
    if unknown:
        raise InputError(path, f"{where}.cases.{unknown[0]}", f"expected one of the axes {', '.join(probe.axes)}")
    evidence = entry["evidence"]
    if not isinstance(evidence, list) or not evidence or not all(isinstance(e, str) for e in evidence):
        raise InputError(path, f"{where}.evidence", "expected a non-empty list of strings")
    for name in ("summary", "advice"):
        if not isinstance(entry[name], str) or not entry[name]:
            raise InputError(path, f"{where}.{name}", "expected a non-empty string")
    release = entry["release"]
    releases = [release] if isinstance(release, str) else release
    if not isinstance(releases, list) or not releases or not all(isinstance(r, str) and r for r in releases):
        raise InputError(path, f"{where}.release", "expected a release label, or a list of them (one per track)")
    return Explanation(
        probe.name, tuple(releases), entry["aspect"], cases, entry["summary"], entry["advice"], tuple(evidence)
    )
