"""A stand-in kind, for the tests: what adding a kind takes is this one module and one table of catalog.toml.

Its "framework" is a variable the probes read (STANDIN_VERSION), so that its releases behave differently
without installing anything: each variant runs in the tests' own interpreter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfmatrix import entries
from tfmatrix.variant import Option, Track, Variant

NAME = "standin"
TABLE = "standin"
TRACKS = (
    Track(
        "standin",
        " standin",
        "Stand-in",
        "ran the stand-in framework",
        asks=(("standin", ""),),
        named="Stand-in {}",
    ),
)
VIEW = "standin"
VIEW_TITLE = "Stand-in"
FRAMEWORK = "standin"  # its probe reads no framework module
ACROSS_TRACKS = ""
OPTIONS = {"standin": Option("--standin", "your stand-in version")}
COMPANIONS: tuple[str, ...] = ()


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    if value is None:
        return []
    variants = []
    for index, item in enumerate(value):
        where = f"{TABLE}[{index}]"
        entry = entries.table(path, where, item, {"version", "resolved_as_of"})
        day = entries.date(path, where, entry, today)
        variants.append(made(entry["version"], day, where, timeout))
    return variants


def made(version: str, day: dt.date, origin: str, timeout: float) -> Variant:
    return Variant(
        id=f"standin-{version}",
        kind=NAME,
        track="standin",
        distribution="standin",
        version=version,
        python="3.11",
        installs=(),
        framework=FRAMEWORK,
        environment=(("STANDIN_VERSION", version),),
        entry={"version": version, "resolved_as_of": day.isoformat()},
        facts={"resolved_as_of": day.isoformat()},
        timeout_seconds=timeout,
        origin=origin,
    )


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:  # noqa: ARG001
    return made(version, day, f"between {newer.origin} and the release before it", newer.timeout_seconds)


def release_columns(result: Mapping[str, Any], environment: Mapping[str, Any]) -> dict[str, str]:  # noqa: ARG001
    return {"stand-in": environment.get("standin", "-")}
