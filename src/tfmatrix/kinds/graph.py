"""tf.keras in TensorFlow 1.x graph mode (``[[graph]]``): TF 1.x releases run as their users ran them.

No ``enable_eager_execution()``: Keras builds its models on the default graph and runs them in its
session, with ``train_on_batch`` and ``fit``. The tensorflow kind's TF 1.15 runs eagerly, as TF 2 does;
this kind's 1.15 beside it shows what graph mode changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.version import Version

from tfmatrix import entries
from tfmatrix.kinds import tensorflow
from tfmatrix.variant import Install, Option, Track, Variant

NAME = "tf-graph"
TABLE = "graph"
FRAMEWORK = "tf_graph"  # probes/_fw_tf_graph.py
GRAPH = Track(
    "graph",
    " graph",
    "TensorFlow 1.x in graph mode",
    "ran tf.keras in graph mode, as TF 1.x ran it: no `enable_eager_execution()`, models on the default graph and "
    "its session; what needs eager execution (`run_eagerly`, a hand-written loop) is not applicable",
    asks=(("tf", ""), ("graph", "1")),
    named="TensorFlow {} in graph mode",
    versions="<2",  # TensorFlow 2 executes eagerly: its graph mode (tf.function) is another question
)
OPTIONS = {"graph": Option("--graph", "with --tensorflow 1.x: you run tf.keras in graph mode (no eager execution)")}
VIEW = tensorflow.VIEW  # beside TensorFlow's releases, so that 1.15 in graph mode sits next to 1.15 run eagerly
VIEW_TITLE = tensorflow.VIEW_TITLE
ACROSS_TRACKS = tensorflow.ACROSS_TRACKS
TRACKS: tuple[Track, ...] = (GRAPH,)
COMPANIONS: tuple[str, ...] = ()
FIELDS = {"version", "python", "resolved_as_of", "timeout_seconds"}
LAST = Version("2")  # TensorFlow 2 executes eagerly
release_columns = tensorflow.release_columns


def between(newer: Variant, version: str, day: dt.date, companions: Mapping[str, str]) -> Variant:
    """The TF 1.x release between, in graph mode, resolved as of ``day``."""
    return newer.at(version, day, companions)


def load(path: Path, value: Any, timeout: float, today: dt.date) -> list[Variant]:
    return entries.variants(path, TABLE, value, lambda where, entry: release(path, where, entry, timeout, today))


def release(path: Path, where: str, value: Any, timeout: float, today: dt.date) -> Variant:
    entry = entries.table(path, where, value, FIELDS)
    entries.final_version(path, where, entry, "TensorFlow 1.x release", "1.15.5", before=LAST)
    version = entry["version"]
    python = entries.python(path, where, entry)
    day = entries.date(path, where, entry, today)
    return Variant(
        id=f"tensorflow-{version}-graph",
        kind=NAME,
        track=GRAPH.name,
        distribution="tensorflow",
        version=version,
        python=python,
        installs=(Install(f"tensorflow=={version}", day, origin=f"{where}.version"),),
        framework=FRAMEWORK,
        entry={"version": version, "python": python, "resolved_as_of": day.isoformat(), "track": GRAPH.name},
        facts={"resolved_as_of": day.isoformat(), "tf_keras_resolved_as_of": None},
        timeout_seconds=entries.timeout(path, f"{where}.timeout_seconds", entry.get("timeout_seconds", timeout)),
        origin=where,
    )
