"""Standalone Keras 2 (``[[keras2]]``): ``import keras``, multi-backend, on a TensorFlow 1.x of its day.

The Keras of 2016-2019's threads on ``trainable`` and ``compile()``: its own package, its backend
TensorFlow (KERAS_BACKEND=tensorflow) in graph mode. Each entry names the TensorFlow to run it on:
the newest 1.x uploaded by its resolution day that installs on its Python. TensorFlow is installed
first, then ``keras==VERSION``, both as the index stood on that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.version import Version

from tfmatrix import entries
from tfmatrix.errors import InputError
from tfmatrix.variant import Install, Option, Track, Variant

NAME = "keras2"
TABLE = "keras2"
KERAS_3 = Version("3")
FRAMEWORK = "keras2"  # probes/_fw_keras2.py
KERAS2 = Track(
    "keras2",
    " keras2",
    "Keras 2 on its own",
    "ran standalone Keras 2 (`import keras`, multi-backend) on TensorFlow 1.x in graph mode, "
    "as 2016-2019's threads did; what needs eager execution is not applicable",
    asks=(("keras", ""),),
    named="standalone Keras {}",
    # Keras 2.4 on its own redirects to tf.keras, and 2.5 to 2.15 are tf.keras's own code: what the
    # multi-backend Keras probed here says of them would be a guess across another library.
    versions="<2.4",
)
OPTIONS: dict[str, Option] = {}  # asked by --keras, the Keras option of the keras kind, with no --backend
VIEW = "keras2"
VIEW_TITLE = "Keras 2"
ACROSS_TRACKS = ""
TRACKS: tuple[Track, ...] = (KERAS2,)
COMPANIONS: tuple[str, ...] = ()  # TensorFlow stays the one of the newer release's entry
FIELDS = {"version", "tensorflow", "python", "resolved_as_of", "timeout_seconds"}
TENSORFLOW_2 = Version("2")


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:
    """The Keras 2 release between, on the TensorFlow of ``newer``'s entry, resolved as of ``day`` or, where that
    is earlier, as of ``newer``'s day: as the catalog's entries, it cannot be resolved before its TensorFlow was
    uploaded (Keras 2.1.0 to 2.1.5 came out before TF 1.13.1, the first with Python 3.7 wheels)."""
    return newer.at(version, max(day, dt.date.fromisoformat(newer.entry["resolved_as_of"])), companions)


def release_columns(result: Mapping[str, Any], environment: Mapping[str, Any]) -> dict[str, str]:  # noqa: ARG001
    """The TensorFlow it ran on."""
    return {"on TensorFlow": environment.get("tensorflow") or "-"}


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    return entries.variants(path, TABLE, value, lambda where, entry: release(path, where, entry, timeout, today))


def release(path: Path, where: str, value: Any, timeout: float, today: dt.date) -> Variant:
    entry = entries.table(path, where, value, FIELDS)
    entries.final_version(path, where, entry, "Keras 2 release", "2.3.1", before=KERAS_3)
    version = entry["version"]
    tensorflow = entries.required(path, where, entry, "tensorflow", str)
    parsed = entries.version(path, f"{where}.tensorflow", tensorflow, "TensorFlow 1.x release", "1.14.0")
    if parsed >= TENSORFLOW_2:
        raise InputError(path, f"{where}.tensorflow", f"expected a TensorFlow 1.x release, got {tensorflow!r}")
    python = entries.python(path, where, entry)
    day = entries.date(path, where, entry, today)
    return Variant(
        id=f"keras-{version}-tensorflow-{tensorflow}",
        kind=NAME,
        track=KERAS2.name,
        distribution="keras",
        version=version,
        python=python,
        installs=(
            Install(f"tensorflow=={tensorflow}", day, origin=f"{where}.tensorflow"),
            Install(f"keras=={version}", day, origin=f"{where}.version"),
        ),
        framework=FRAMEWORK,
        environment=(("KERAS_BACKEND", "tensorflow"),),
        entry={
            "version": version,
            "tensorflow": tensorflow,
            "python": python,
            "resolved_as_of": day.isoformat(),
            "track": KERAS2.name,
        },
        facts={"resolved_as_of": day.isoformat()},
        timeout_seconds=entries.timeout(path, f"{where}.timeout_seconds", entry.get("timeout_seconds", timeout)),
        origin=where,
    )
