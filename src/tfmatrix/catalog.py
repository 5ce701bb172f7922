"""The catalog: every environment to probe, from catalog.toml, each table read by its kind.

Standard library and ``packaging`` only: the noxfile imports it to create its sessions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tfmatrix import entries
from tfmatrix.errors import InputError, read_toml
from tfmatrix.kinds import KINDS, TRACKS
from tfmatrix.variant import Variant

TIMEOUT_SECONDS = 900  # per step (install, probe); the slowest probe takes under a minute here


def load(path: Path, today: dt.date | None = None) -> list[Variant]:
    """Every variant the catalog declares, opt-in ones included: by track, then oldest first."""
    document = read_toml(path)
    tables = {kind.TABLE for kind in KINDS.values()}
    unknown = sorted(set(document) - tables - {"timeout_seconds"})
    if unknown:
        raise InputError(path, unknown[0], "unknown field")
    timeout = entries.timeout(path, "timeout_seconds", document.get("timeout_seconds", TIMEOUT_SECONDS))
    today = today or dt.date.today()
    found = [v for kind in KINDS.values() for v in kind.load(path, document.get(kind.TABLE), timeout, today)]
    if not found:
        named = " or ".join(f"[[{kind.TABLE}]]" for kind in KINDS.values())
        raise InputError(path, "", f"declares nothing to probe: expected a {named} table")
    order = list(TRACKS)
    return sorted(found, key=lambda variant: order.index(variant.track))


def regular(variants: list[Variant]) -> list[Variant]:
    """The variants every run probes: all but the opt-in ones."""
    return [variant for variant in variants if not variant.opt_in]
