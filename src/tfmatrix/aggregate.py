"""Results -> tables: one row per (variant, case), change points, and release ranges that behave alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tfmatrix.catalog import BUNDLED
from tfmatrix.results import Result

AXES = ("api", "target", "order", "train_api", "layer", "optimizer", "run_eagerly")
ASPECTS = ("weights", "printed", "batchnorm")

# What training did to the weights, judged against what the case froze.
HELD = "held"  # frozen weights stayed, every other weight moved
IGNORED = "ignored"  # every frozen weight moved anyway
PARTIAL = "partial"  # some frozen weights moved
STALLED = "stalled"  # frozen weights stayed, but a weight that should train did not
ERROR = "error"  # the case raised
NOT_APPLICABLE = "n/a"  # the release lacks what the case needs
FLAKY = "flaky"  # the outcome differed between repeats of the case (``--repeat N``), in any aspect
# A failed attempt fills every cell of its variant with its state (``install-failed``, ...).
FAILED_STATES = ("install-failed", "import-failed", "crashed", "timeout")
BRIDGED = (FLAKY, *FAILED_STATES)  # says nothing about behaviour: change points compare across it
COLUMNS = ("position", "release", "version", "track", "case", "group", *AXES, *ASPECTS, "moved", "computed", "error")


def release_label(result: Result) -> str:
    """``2.16.2`` for the release as shipped, ``2.16.2 tf-keras`` for its legacy Keras 2 variant."""
    release = result["release"]
    suffix = "" if release["flavour"] == BUNDLED else f" {release['flavour']}"
    return f"{release['version']}{suffix}"


def weights_outcome(case: dict[str, Any]) -> str:
    """Compare what moved with what was frozen; BatchNorm moving statistics are judged separately."""
    if case["status"] == "not_applicable":
        return NOT_APPLICABLE
    if case["status"] == "error":
        return ERROR
    weights = [w for w in case["weights"] if w["trainable_at_start"]]
    frozen_moved = [w["moved"] for w in weights if w["frozen"]]
    free_moved = [w["moved"] for w in weights if not w["frozen"]]
    if frozen_moved and all(frozen_moved):
        return IGNORED
    if any(frozen_moved):
        return PARTIAL
    if not all(free_moved):
        return STALLED
    return HELD


def batchnorm_outcome(case: dict[str, Any]) -> str:
    """For a frozen BatchNormalization: did its moving statistics change, and which mode does it run in?"""
    if case["batchnorm"] is None:
        return ""
    statistics = [w["moved"] for w in case["weights"] if w["frozen"] and not w["trainable_at_start"]]
    moved = "statistics updated" if any(statistics) else "statistics still"
    mode = "inference mode" if case["batchnorm"]["inference_mode_in_training"] else "training mode"
    return f"{moved}, {mode}"


def counts_label(counts: dict[str, int | None] | None) -> str:
    """``total / trainable / non-trainable`` as one comparable string; ``-`` where there is none."""
    if counts is None:
        return "-"
    return " / ".join("?" if counts[k] is None else str(counts[k]) for k in ("total", "trainable", "non_trainable"))


def is_flaky(case: dict[str, Any], aspect: str) -> bool:
    return aspect in case["flaky"] or "status" in case["flaky"]


def cases_frame(results: list[Result]) -> pd.DataFrame:
    """One row per (variant, case), variants in the order given (bundled releases oldest first, then tf-keras).

    A failed attempt has no cases of its own: it gets a row for every case the others ran, each
    aspect holding its state, so that the matrices show it where its findings would be.
    """
    known = {case["id"]: case for result in results for case in result["cases"]}
    rows = []
    for position, result in enumerate(results):
        variant = {
            "position": position,
            "release": release_label(result),
            "version": result["release"]["version"],
            "track": result["release"]["flavour"],
        }
        if result["status"] != "ok":
            state = dict.fromkeys((*ASPECTS, "computed"), result["status"])
            exit_ = result["failure"]["exit"]
            rows += [{**variant, **case_columns(case), **state, "moved": "", "error": exit_} for case in known.values()]
            continue
        for case in result["cases"]:
            error = case["error"]
            outcomes = {
                "weights": weights_outcome(case),
                "printed": counts_label(case["summary_printed"]),
                "batchnorm": batchnorm_outcome(case),
            }
            rows.append(
                {
                    **variant,
                    **case_columns(case),
                    **{aspect: FLAKY if is_flaky(case, aspect) else value for aspect, value in outcomes.items()},
                    "moved": "".join("1" if w["moved"] else "0" for w in case["weights"]),
                    "computed": counts_label(case["summary_computed"]),
                    "error": f"{error['type']}: {error['message']}" if error else "",
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def case_columns(case: dict[str, Any]) -> dict[str, str]:
    return {"case": case["id"], "group": case["group"], **{axis: case["axes"].get(axis, "") for axis in AXES}}


@dataclass(frozen=True)
class ChangePoint:
    release: str
    previous: str
    case: str
    aspect: str
    before: str
    after: str


def change_points(frame: pd.DataFrame, aspects: tuple[str, ...] = ASPECTS) -> list[ChangePoint]:
    """Every (case, aspect) whose value differs from the release before it on the same track.

    A case that is not applicable in either release is not a change: the feature did not exist.
    A flaky outcome or a failed attempt says nothing about behaviour: the comparison skips over it
    to the release before, and the cell itself shows what happened.
    """
    changes = []
    ordered = frame.sort_values(["case", "position"])
    for (case, _), rows in ordered.groupby(["case", "track"], sort=False):
        releases = rows["release"].tolist()
        applicable = (rows["weights"] != NOT_APPLICABLE).tolist()
        for aspect in aspects:
            values = rows[aspect].tolist()
            previous = None
            for i, value in enumerate(values):
                if value in BRIDGED:
                    continue
                if previous is not None and value != values[previous] and applicable[i] and applicable[previous]:
                    changes.append(
                        ChangePoint(releases[i], releases[previous], str(case), aspect, values[previous], value)
                    )
                previous = i
    positions = dict(zip(frame["release"], frame["position"], strict=False))
    return sorted(changes, key=lambda c: (positions[c.release], ASPECTS.index(c.aspect), c.case))


def release_ranges(frame: pd.DataFrame, aspect: str) -> pd.DataFrame:
    """Rows = cases, columns = runs of consecutive releases on one track in which every case has the same ``aspect``.

    A column is named by its first and last release, e.g. ``2.2.3 – 2.15.1``.
    """
    wide = frame.pivot(index="case", columns="position", values=aspect)
    by_position = frame.drop_duplicates("position").set_index("position")
    versions, tracks = by_position["version"], by_position["track"]
    groups: list[list[int]] = []
    for position in map(int, wide.columns):
        previous = groups[-1][0] if groups else None
        if previous is not None and tracks[position] == tracks[previous] and wide[position].equals(wide[previous]):
            groups[-1].append(position)
        else:
            groups.append([position])
    columns = {}
    for group in groups:
        first, last, track = versions[group[0]], versions[group[-1]], tracks[group[0]]
        span = first if first == last else f"{first} – {last}"
        columns[span if track == BUNDLED else f"{span} {track}"] = wide[group[0]]
    table = pd.DataFrame(columns)
    case_order = frame.drop_duplicates("case")["case"]
    return table.loc[case_order]
