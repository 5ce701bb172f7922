"""Turn one probe run into one result file: probe output + the release + its resolved packages.

Standard library only: the noxfile calls it in nox's own interpreter.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfmatrix import __version__
from tfmatrix.catalog import NIGHTLY, Variant
from tfmatrix.errors import InputError

if TYPE_CHECKING:
    from tfmatrix.attempt import Step

SCHEMA_VERSION = 4
PROBE_KEYS = ("probe", "environment", "repeat", "cases")


def result_path(results_dir: Path, variant: Variant) -> Path:
    return results_dir / f"{variant.id}.json"


def catalog_entry(variant: Variant) -> dict[str, Any]:
    """What the catalog said about this variant: with the probe and runner, what a result depends on."""
    release, tf_keras = variant.release, variant.tf_keras
    return {
        "version": release.version,
        "distribution": release.distribution,
        "python": release.python,
        "resolved_as_of": release.resolved_as_of.isoformat(),
        "flavour": variant.flavour,
        "tf_keras": {"version": tf_keras.version, "resolved_as_of": tf_keras.resolved_as_of.isoformat()}
        if tf_keras
        else None,
    }


def runner() -> dict[str, str]:
    return {"tfmatrix": __version__}


def is_current(path: Path, variant: Variant, probe_sha256: str, repeat: int = 1) -> bool:
    """Does ``path`` hold a successful result made from this catalog entry, this probe and this runner?

    A failed attempt is never current: the next run tries again. A result made with more
    repeats than asked for serves a run that asks for fewer.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(document, dict)
        and document.get("schema_version") == SCHEMA_VERSION
        and document.get("status") == "ok"
        and isinstance(document.get("repeat"), int)
        and document["repeat"] >= repeat
        and document.get("catalog_entry") == catalog_entry(variant)
        and document.get("runner") == runner()
        and isinstance(document.get("probe"), dict)
        and document["probe"].get("sha256") == probe_sha256
    )


def probe_digest(probe: Path) -> str:
    return hashlib.sha256(probe.read_bytes()).hexdigest()


def parse_freeze(text: str) -> dict[str, str]:
    """``uv pip freeze`` output as {distribution name: version}."""
    packages = {}
    for line in text.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            packages[name.lower()] = version
    return dict(sorted(packages.items()))


def build_result(probe_output: Path, variant: Variant, packages: dict[str, str], probe_sha256: str) -> dict[str, Any]:
    """The result of a probe that ran to the end, from the JSON document it wrote."""
    try:
        document = json.loads(probe_output.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(probe_output, "", f"probe output is not readable JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(probe_output, "", "expected a JSON object")
    for key in PROBE_KEYS:
        if key not in document:
            raise InputError(probe_output, key, "missing from probe output")
    result = envelope(variant, packages, document["probe"], probe_sha256, document["repeat"])
    result["environment"] = {**document["environment"], **result["environment"]}
    result["cases"] = document["cases"]
    return result


def build_failure(
    variant: Variant, packages: dict[str, str], probe: Path, repeat: int, status: str, phase: str, step: Step
) -> dict[str, Any]:
    """The result of an attempt that did not get through: which step failed, how, and the end of its output."""
    name = probe.stem.removesuffix("_probe")  # freeze_probe.py -> freeze, as the probe names itself
    result = envelope(variant, packages, name, probe_digest(probe), repeat)
    result["status"] = status
    result["failure"] = {"phase": phase, "exit": step.exit, "message": step.excerpt()}
    return result


def envelope(variant: Variant, packages: dict[str, str], probe: str, probe_sha256: str, repeat: int) -> dict[str, Any]:
    """Everything a result says about what was attempted, before anything about how it went."""
    release, tf_keras = variant.release, variant.tf_keras
    return {
        "schema_version": SCHEMA_VERSION,
        "probe": {"name": probe, "sha256": probe_sha256},
        "runner": runner(),
        "catalog_entry": catalog_entry(variant),
        "release": {
            "distribution": release.distribution,
            # A nightly's version is whatever the index served that day.
            "version": packages.get(release.distribution, release.version)
            if variant.flavour == NIGHTLY
            else release.version,
            "python": release.python,
            "flavour": variant.flavour,
        },
        "status": "ok",
        "failure": None,
        "repeat": repeat,
        "environment": {
            "packages": packages,
            "resolved_as_of": release.resolved_as_of.isoformat(),
            "tf_keras_resolved_as_of": tf_keras.resolved_as_of.isoformat() if tf_keras else None,
        },
        "cases": [],
    }


def write_json_atomic(path: Path, document: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make results private to the writer
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
