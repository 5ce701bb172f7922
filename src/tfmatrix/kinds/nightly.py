"""The newest TensorFlow nightly build (``[nightly]``): opt-in, resolved on the day it runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfmatrix import entries
from tfmatrix.errors import InputError
from tfmatrix.kinds import tensorflow
from tfmatrix.variant import Install, Option, Track, Variant

NAME = "tf-nightly"
TABLE = "nightly"
NIGHTLY = Track(
    "nightly",
    " nightly",
    "the TensorFlow nightly build",
    "ran the newest nightly build on the day of the run (opt-in: `--nightly`)",
    "not pinpointed, as no change on this track is: the builds between cannot be installed alone",
)
VIEW = tensorflow.VIEW  # beside the releases it comes after
VIEW_TITLE = tensorflow.VIEW_TITLE
ACROSS_TRACKS = tensorflow.ACROSS_TRACKS
TRACKS: tuple[Track, ...] = (NIGHTLY,)
OPTIONS: dict[str, Option] = {}  # a build of one day is not asked about
FRAMEWORK = "tf_keras"  # probes/_fw_tf_keras.py
DISTRIBUTIONS = ("tf-nightly", "tf-nightly-cpu")
COMPANIONS: tuple[str, ...] = ()
release_columns = tensorflow.release_columns  # a build of the same TensorFlow, beside its releases
VERSION = "nightly"  # until installed: the result records the version the index served


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:  # noqa: ARG001
    """None: the builds between two nightlies are not kept (Track.not_pinpointed says so)."""
    message = f"{newer.id}: the nightly builds between two cannot be installed"
    raise ValueError(message)


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) != {"distribution", "python"}:
        raise InputError(path, TABLE, "expected a table with distribution and python")
    distribution = entries.required(path, TABLE, value, "distribution", str)
    if distribution not in DISTRIBUTIONS:
        raise InputError(path, f"{TABLE}.distribution", f"expected one of {', '.join(DISTRIBUTIONS)}")
    python = entries.python(path, TABLE, value)
    entry = {
        "version": VERSION,
        "distribution": distribution,
        "python": python,
        "resolved_as_of": today.isoformat(),
        "track": NIGHTLY.name,
        "tf_keras": None,
    }
    variant = Variant(
        id=distribution,
        kind=NAME,
        track=NIGHTLY.name,
        distribution=distribution,
        version=VERSION,
        python=python,
        framework=FRAMEWORK,
        installs=(Install(distribution, None, prerelease=True),),
        floating=True,
        opt_in=True,
        entry=entry,
        facts={"resolved_as_of": today.isoformat(), "tf_keras_resolved_as_of": None},
        timeout_seconds=timeout,
        origin=TABLE,
    )
    return [variant]
