"""Load result files and check each against the schema and the catalog before anything uses it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tfmatrix.catalog import NIGHTLY, Release, Variant, variants
from tfmatrix.errors import InputError
from tfmatrix.record import SCHEMA_VERSION

Result = dict[str, Any]


@cache
def schema() -> dict[str, Any]:
    text = resources.files("tfmatrix").joinpath("result.schema.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def load_one(path: Path) -> Result:
    """Parse one result file and validate it; any problem is one InputError naming file and field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "", "is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, "", f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(document, dict) and document.get("schema_version") != SCHEMA_VERSION:
        found = document.get("schema_version")
        raise InputError(path, "schema_version", f"expected {SCHEMA_VERSION}, got {found!r}")
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise InputError(path, field, error.message)
    result: Result = document
    return result


def release_key(result: Result) -> tuple[str, str, str]:
    release = result["release"]
    return release["distribution"], release["version"], release["flavour"]


def load_all(directory: Path, releases: list[Release], nightly: Variant | None = None) -> list[Result]:
    """Every ``*.json`` in ``directory``, validated, at most one per catalog variant, in catalog order.

    With the catalog's ``nightly`` variant, a result of that nightly distribution is accepted too, last.
    """
    if not directory.is_dir():
        raise InputError(directory, "", "is not a directory of result files")
    loaded = load_paths(sorted(directory.glob("*.json")), releases, nightly)
    if not loaded:
        raise InputError(directory, "", "holds no result files (*.json): run the probe sessions first")
    return loaded


def load_paths(paths: list[Path], releases: list[Release], nightly: Variant | None = None) -> list[Result]:
    """Load and validate these result files: each of a catalog variant, no variant twice; in catalog order."""
    order = catalog_order(releases, nightly)
    return in_catalog_order([(path, *keyed(path, order)) for path in paths], order)


def load_comparable(
    directory: Path, releases: list[Release], nightly: Variant | None = None
) -> tuple[list[Result], int]:
    """The results in ``directory`` that load under today's schema and catalog, and how many did not.

    For comparing with what a run started from: results of an older schema were replaced by the run.
    """
    order = catalog_order(releases, nightly)
    paths = sorted(directory.glob("*.json"))
    good = []
    for path in paths:
        try:
            good.append((path, *keyed(path, order)))
        except InputError:
            continue
    return in_catalog_order(good, order), len(paths) - len(good)


Key = tuple[str, str, str]


def catalog_order(releases: list[Release], nightly: Variant | None) -> dict[Key, int]:
    known = variants(releases) + ([nightly] if nightly else [])
    return {variant_key(v.release.distribution, v.release.version, v.flavour): i for i, v in enumerate(known)}


def keyed(path: Path, order: dict[Key, int]) -> tuple[Key, Result]:
    """One validated result with its variant key; a variant the catalog lacks is an InputError."""
    result = load_one(path)
    distribution, version, flavour = release_key(result)
    key = variant_key(distribution, version, flavour)
    if key not in order:
        raise InputError(path, "release", f"{distribution}=={version} ({flavour}) is not in the catalog")
    return key, result


def in_catalog_order(loaded: list[tuple[Path, Key, Result]], order: dict[Key, int]) -> list[Result]:
    """The results sorted as the catalog lists their variants; a variant with two results is an InputError."""
    found: dict[Key, Path] = {}
    for path, key, result in loaded:
        if key in found:
            distribution, version, flavour = release_key(result)
            raise InputError(
                path, "release", f"{distribution}=={version} ({flavour}) already has a result in {found[key].name}"
            )
        found[key] = path
    return [result for _, key, result in sorted(loaded, key=lambda item: order[item[1]])]


def variant_key(distribution: str, version: str, flavour: str) -> tuple[str, str, str]:
    """A nightly's version changes every day: it is keyed by its distribution alone."""
    return (distribution, NIGHTLY, flavour) if flavour == NIGHTLY else (distribution, version, flavour)
