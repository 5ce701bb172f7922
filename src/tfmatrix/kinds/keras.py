"""Keras 3 releases on their own (``[[keras]]``): ``import keras`` with KERAS_BACKEND set to each backend.

Every entry makes a tensorflow and a jax variant, and a torch variant where it names the torch build
to use; ``also_install`` names packages a release needs but does not require (installed last). Each installs the backend's package first, then ``keras==VERSION`` over it, both as the
index stood on the entry's day: TensorFlow up to 2.15 pins Keras 2, and installing Keras 3 over it
is what Keras 3.0's own instructions said to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.version import Version

from tfmatrix import entries
from tfmatrix.variant import Install, Option, Track, Variant

NAME = "keras"
TABLE = "keras"
FIELDS = {"version", "python", "resolved_as_of", "torch", "also_install", "timeout_seconds"}
FIRST = Version("3")


def track(backend: str) -> Track:
    note = f"ran `import keras` (Keras 3, on its own) with `KERAS_BACKEND={backend}`"
    if backend == "torch":  # the index's torch is the CUDA build; a CPU build exists for few lines
        note += ", only for the Keras lines whose catalog entry names a CPU build of torch (the newest four)"
    asks = (("keras", ""), ("backend", backend))
    return Track(
        f"keras-{backend}",
        f" {backend}",
        f"Keras on {backend}",
        note,
        asks=asks,
        named=f"Keras {{}} on {backend}",
        versions=f">={FIRST}",
    )


# The backend package each variant installs before Keras (CPU builds: no GPU is used).
BACKENDS = {"tensorflow": "tensorflow-cpu", "jax": "jax[cpu]", "torch": "torch"}
FRAMEWORK = "keras3"  # probes/_fw_keras3.py
VIEW = "keras3"  # a view of its own: Keras releases, per backend
VIEW_TITLE = "Keras 3"
ACROSS_TRACKS = "backends"  # the report shows where they disagree on one Keras release
TRACKS: tuple[Track, ...] = tuple(track(backend) for backend in BACKENDS)
OPTIONS = {
    "keras": Option("--keras", "your Keras 3 version (with --backend)"),
    "backend": Option("--backend", "with --keras: KERAS_BACKEND"),
}


COMPANIONS: tuple[str, ...] = ()  # the backend is resolved as of the day, as Keras is


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:
    """The Keras release between on the same backend, resolved as of ``day``."""
    return newer.at(version, day, companions)


def release_columns(result: Mapping[str, Any], environment: Mapping[str, Any]) -> dict[str, str]:
    """The backend, and its version as installed (or its -cpu build's)."""
    backend = result["catalog_entry"]["backend"]
    packages = environment["packages"]
    version = next((packages[name] for name in (backend, f"{backend}-cpu") if name in packages), "-")
    return {"backend": f"{backend} {version}"}


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    if value is None:
        return []
    found = [
        variant
        for where, entry in entries.each(path, TABLE, value)
        for variant in release(path, where, entry, timeout, today)
    ]
    order = [t.name for t in TRACKS]
    return entries.distinct(path, sorted(found, key=lambda v: order.index(v.track)))


def release(path: Path, where: str, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    """One entry's variants: tensorflow, jax, and torch where the entry names a torch build."""
    entry = entries.table(path, where, value, FIELDS)
    entries.final_version(path, where, entry, "Keras 3 release", "3.8.0", first=FIRST)
    version = entry["version"]
    python = entries.python(path, where, entry)
    resolved_as_of = entries.date(path, where, entry, today)
    timeout = entries.timeout(path, f"{where}.timeout_seconds", entry.get("timeout_seconds", timeout))
    torch = entry.get("torch")
    if torch is not None:
        entries.version(path, f"{where}.torch", torch, "torch", "2.13.0+cpu")
    also = entries.package_names(path, f"{where}.also_install", entry.get("also_install", []))
    keras = Install(f"keras=={version}", resolved_as_of, origin=f"{where}.version")
    extras = tuple(Install(name, resolved_as_of) for name in also)
    variants = []
    for backend, package in BACKENDS.items():
        if backend == "torch":
            if torch is None:
                continue
            backend_install = Install(f"torch=={torch}", resolved_as_of, origin=f"{where}.torch")
        else:
            backend_install = Install(package, resolved_as_of)
        variants.append(
            Variant(
                id=f"keras-{version}-{backend}",
                kind=NAME,
                track=f"keras-{backend}",
                distribution="keras",
                version=version,
                python=python,
                framework=FRAMEWORK,
                installs=(backend_install, keras, *extras),
                environment=(("KERAS_BACKEND", backend),),
                entry={
                    "version": version,
                    "backend": backend,
                    "python": python,
                    "resolved_as_of": resolved_as_of.isoformat(),
                    "track": f"keras-{backend}",
                    **({"torch": torch} if backend == "torch" else {}),
                    **({"also_install": also} if also else {}),
                },
                facts={"resolved_as_of": resolved_as_of.isoformat(), **({"also_installed": also} if also else {})},
                timeout_seconds=timeout,
                origin=where,
            )
        )
    return variants
