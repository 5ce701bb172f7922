"""Upgrade result files of older schemas instead of throwing them away (as asv's ``update_to_N`` does).

Each ``update_to_N`` takes a document of schema N-1 and returns it in schema N; ``upgrade`` chains
them. ``migrate`` rewrites a results directory in place, moving files to the current layout.
Standard library and ``packaging`` only: the matrix session migrates before it decides what is current.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfmatrix.errors import InputError
from tfmatrix.record import SCHEMA_VERSION, result_path, write_json_atomic

Document = dict[str, Any]
# What reading and upgrading a file that is no result raises: such a file is left for the loader to report.
UNREADABLE = (OSError, ValueError, RecursionError, AttributeError, KeyError, TypeError, InputError)


class CannotUpgrade(ValueError):
    """A document that lacks what its schema version promises; the field it lacks is the message."""


def needed(document: Document, *path: str) -> Any:
    """The value at ``path``; a document without it cannot be upgraded."""
    value: Any = document
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise CannotUpgrade(".".join(path))
        value = value[key]
    return value


def update_to_5(document: Document) -> Document:
    """Schema 4 had one probe (freeze) at results/<variant>.json and called the track "flavour"."""
    for path in (("release", "flavour"), ("release", "distribution"), ("release", "version")):
        needed(document, *path)
    needed(document, "catalog_entry", "flavour")
    needed(document, "probe", "name")
    upgraded: Document = json.loads(json.dumps(document))
    track = upgraded["release"].pop("flavour")
    upgraded["release"]["track"] = track
    upgraded["catalog_entry"]["track"] = upgraded["catalog_entry"].pop("flavour")
    distribution, version = upgraded["release"]["distribution"], upgraded["release"]["version"]
    # Schema 4's variant ids, as its record.result_path named the files.
    upgraded["variant"] = {
        "bundled": f"{distribution}-{version}",
        "tf-keras": f"{distribution}-{version}-tf-keras",
    }.get(track, distribution)
    upgraded["kind"] = "tf-nightly" if track == "nightly" else "tensorflow"
    upgraded["probe"]["harness_sha256"] = None  # there was no harness: the probe was one file
    upgraded["schema_version"] = 5
    return upgraded


def update_to_6(document: Document) -> Document:
    """Schema 5 did not record the day of the attempt, and a failure kept no earlier findings."""
    upgraded: Document = json.loads(json.dumps(document))
    upgraded["probed_on"] = None  # not recorded: unknown, and left so
    upgraded["last_good"] = None
    upgraded["schema_version"] = 6
    return upgraded


UPDATES: dict[int, Callable[[Document], Document]] = {5: update_to_5, 6: update_to_6}


def upgrade(document: Document) -> Document:
    """``document`` in the current schema; one of an unknown or future version is returned as it is."""
    version = document.get("schema_version")
    while isinstance(version, int) and version < SCHEMA_VERSION and version + 1 in UPDATES:
        document = UPDATES[version + 1](document)
        version = document["schema_version"]
    return document


def upgraded(path: Path) -> Document | None:
    """The result at ``path`` in today's schema, upgraded in memory as ``migrate`` would write it; None if it
    cannot be read or is of no known schema. So an old file that only needs upgrading is not probed again."""
    try:
        document = upgrade(json.loads(path.read_text(encoding="utf-8")))
    except UNREADABLE:
        return None
    return document if document.get("schema_version") == SCHEMA_VERSION else None


def migrate(results_dir: Path) -> list[tuple[Path, Path]]:
    """Upgrade every older result file under ``results_dir`` and move it to where the current layout keeps it.

    Returns (old path, new path) for each file moved or rewritten. An old file whose new place
    already holds a result is removed: that result is the newer one. A file that cannot be read,
    or is of no known schema, is left for the loader to report.
    """
    moved = []
    for path in sorted([*results_dir.glob("*.json"), *results_dir.glob("*/*.json")]):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("schema_version") == SCHEMA_VERSION:
                continue
            upgraded = upgrade(document)
            target = result_path(results_dir, upgraded["probe"]["name"], upgraded["variant"])
        except UNREADABLE:
            continue  # no path is made of it
        if upgraded.get("schema_version") != SCHEMA_VERSION:
            continue
        if target == path or not target.exists():  # a result already in its new place is newer: it stays
            write_json_atomic(target, upgraded)  # first the new file, then the old one goes: nothing is lost
            moved.append((path, target))
        if target != path:
            path.unlink()
    return moved
