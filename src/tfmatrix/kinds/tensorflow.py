"""TensorFlow releases (``[[release]]``): each with the Keras it bundles, and from 2.16 with tf-keras too.

From 2.16, tf.keras is Keras 3; the legacy Keras 2 package ``tf-keras`` (selected with
TF_USE_LEGACY_KERAS=1) makes a second variant of the same release, on its own track.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.version import Version

from tfmatrix import entries
from tfmatrix.errors import InputError
from tfmatrix.variant import Install, Option, Track, Variant

NAME = "tensorflow"
TABLE = "release"
BUNDLED = Track(
    "bundled",
    "",
    "TensorFlow",
    "ran with tf.keras as the release ships it",
    asks=(("tf", ""),),
    named="TensorFlow {}",
    caveats=(
        (
            "<2",
            "eager",
            "run eagerly: the probe turned eager execution on, which TF 1.x leaves off unless told to; "
            "graph mode, TF 1.x's default, has answers of its own (TensorFlow 1.x in graph mode)",
        ),
    ),
)
TF_KERAS = Track(
    "tf-keras",
    " tf-keras",
    "TensorFlow with tf-keras",
    "ran with the legacy Keras 2 package (`TF_USE_LEGACY_KERAS=1`), which exists from TensorFlow 2.16",
    asks=(("tf", ""), ("tf-keras", "1")),
    named="TensorFlow {} with tf-keras",
)
OPTIONS = {  # lookup's options, by the name the page's URL gives them
    "tf": Option("--tensorflow", "your TensorFlow version (tf.keras as it ships)"),
    "tf-keras": Option("--tf-keras", "with --tensorflow: you use tf-keras (TF_USE_LEGACY_KERAS=1)"),
}
VIEW = ""  # the TensorFlow view: <probe>-matrix.md
VIEW_TITLE = "TensorFlow"
ACROSS_TRACKS = "tracks"  # 1.15 in graph mode and eagerly; tf.keras as shipped and tf-keras
TRACKS: tuple[Track, ...] = (BUNDLED, TF_KERAS)
FRAMEWORK = "tf_keras"  # probes/_fw_tf_keras.py
DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu")


# Installed beside a release, one release per TensorFlow minor line: a release between gets the newest of its
# line uploaded by its resolution day.
COMPANIONS = ("tf-keras",)


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:
    """The release between, with tf-keras of its line where ``newer`` has it, each resolved as of ``day``."""
    made = newer.at(version, day, companions)
    if not made.entry.get("tf_keras"):
        return made
    tf_keras = {"version": companions.get("tf-keras"), "resolved_as_of": day.isoformat()}
    return replace(
        made,
        entry={**made.entry, "tf_keras": tf_keras},
        facts={**made.facts, "tf_keras_resolved_as_of": day.isoformat()},
    )


def release_columns(result: Mapping[str, Any], environment: Mapping[str, Any]) -> dict[str, str]:  # noqa: ARG001
    """Which Keras tf.keras is, and the day tf-keras was resolved as of."""
    return {
        "tf.keras is": environment.get("keras_flavour", "-"),
        "tf-keras resolved as of": environment.get("tf_keras_resolved_as_of") or "n/a",
    }


FIELDS = {"version", "distribution", "python", "resolved_as_of", "tf_keras", "timeout_seconds"}
TF_KERAS_FROM = Version("2.16")


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    if value is None:
        return []
    releases = [release(path, where, entry, timeout, today) for where, entry in entries.each(path, TABLE, value)]
    bundled = entries.distinct(path, [bundled for bundled, _ in releases])
    return bundled + entries.distinct(path, [tf_keras for _, tf_keras in releases if tf_keras])


def release(path: Path, where: str, value: Any, timeout: float, today: dt.date) -> tuple[Variant, Variant | None]:
    """One entry as its bundled variant, and its tf-keras variant where it names one."""
    entry = entries.table(path, where, value, FIELDS)
    parsed = entries.final_version(path, where, entry, "release", "2.1.0")
    version = entry["version"]
    distribution = entries.required(path, where, entry, "distribution", str)
    if distribution not in DISTRIBUTIONS:
        raise InputError(
            path, f"{where}.distribution", f"expected one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}"
        )
    python = entries.python(path, where, entry)
    resolved_as_of = entries.date(path, where, entry, today)
    timeout = entries.timeout(path, f"{where}.timeout_seconds", entry.get("timeout_seconds", timeout))
    catalog_entry = {
        "version": version,
        "distribution": distribution,
        "python": python,
        "resolved_as_of": resolved_as_of.isoformat(),
        "track": BUNDLED.name,
        "tf_keras": None,
    }
    bundled = Variant(
        id=f"{distribution}-{version}",
        kind=NAME,
        track=BUNDLED.name,
        distribution=distribution,
        version=version,
        python=python,
        framework=FRAMEWORK,
        installs=(Install(f"{distribution}=={version}", resolved_as_of, origin=f"{where}.version"),),
        entry=catalog_entry,
        facts={"resolved_as_of": resolved_as_of.isoformat(), "tf_keras_resolved_as_of": None},
        timeout_seconds=timeout,
        origin=where,
    )
    if "tf_keras" not in entry:
        return bundled, None
    table = entry["tf_keras"]
    if not isinstance(table, dict) or set(table) != {"version", "resolved_as_of"}:
        raise InputError(path, f"{where}.tf_keras", "expected { version = ..., resolved_as_of = ... }")
    if parsed < TF_KERAS_FROM:
        raise InputError(path, f"{where}.tf_keras", "tf-keras is a separate package only from TensorFlow 2.16")
    tf_keras_version = table["version"]
    entries.version(path, f"{where}.tf_keras.version", tf_keras_version, "tf-keras", "2.16.0")
    tf_keras_date = entries.date(path, f"{where}.tf_keras", table, today)
    # tf-keras requires the full `tensorflow` package; the release already provides TensorFlow.
    tf_keras = Install(f"tf-keras=={tf_keras_version}", tf_keras_date, no_deps=True, origin=f"{where}.tf_keras.version")
    pinned = {"version": tf_keras_version, "resolved_as_of": tf_keras_date.isoformat()}
    return bundled, replace(
        bundled,
        id=f"{bundled.id}-{TF_KERAS.name}",
        track=TF_KERAS.name,
        installs=(*bundled.installs, tf_keras),
        environment=(("TF_USE_LEGACY_KERAS", "1"),),
        entry={**catalog_entry, "track": TF_KERAS.name, "tf_keras": pinned},
        facts={**bundled.facts, "tf_keras_resolved_as_of": tf_keras_date.isoformat()},
    )
