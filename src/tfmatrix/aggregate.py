"""Results -> tables: one row per (release, case), change points, and release ranges that behave alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tfmatrix.results import Result

AXES = ("api", "target", "order", "train_api")

# What training did to the weights, judged against what the case froze.
HELD = "held"  # frozen weights stayed, every other weight moved
IGNORED = "ignored"  # every frozen weight moved anyway
PARTIAL = "partial"  # some frozen weights moved
STALLED = "stalled"  # frozen weights stayed, but a weight that should train did not
ERROR = "error"  # the case raised


def release_label(result: Result) -> str:
    return str(result["release"]["version"])


def weights_outcome(case: dict[str, Any]) -> str:
    if case["status"] == "error":
        return ERROR
    frozen_moved = [w["moved"] for w in case["weights"] if w["frozen"]]
    free_moved = [w["moved"] for w in case["weights"] if not w["frozen"]]
    if frozen_moved and all(frozen_moved):
        return IGNORED
    if any(frozen_moved):
        return PARTIAL
    if not all(free_moved):
        return STALLED
    return HELD


def counts_label(counts: dict[str, int | None] | None) -> str:
    """``total / trainable / non-trainable`` as one comparable string; ``-`` where there is none."""
    if counts is None:
        return "-"
    return " / ".join("?" if counts[k] is None else str(counts[k]) for k in ("total", "trainable", "non_trainable"))


def cases_frame(results: list[Result]) -> pd.DataFrame:
    """One row per (release, case), releases in the order given (oldest first)."""
    rows = []
    for position, result in enumerate(results):
        for case in result["cases"]:
            error = case["error"]
            rows.append(
                {
                    "position": position,
                    "release": release_label(result),
                    "case": case["id"],
                    **{axis: case["axes"].get(axis, "") for axis in AXES},
                    "weights": weights_outcome(case),
                    "moved": "".join("1" if w["moved"] else "0" for w in case["weights"]),
                    "printed": counts_label(case["summary_printed"]),
                    "computed": counts_label(case["summary_computed"]),
                    "error": f"{error['type']}: {error['message']}" if error else "",
                    "warnings": len(case["warnings"]),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ChangePoint:
    release: str
    previous: str
    case: str
    aspect: str
    before: str
    after: str


def change_points(frame: pd.DataFrame, aspects: tuple[str, ...] = ("weights", "printed")) -> list[ChangePoint]:
    """Every (case, aspect) whose value differs from the release just before it."""
    changes = []
    ordered = frame.sort_values(["case", "position"])
    for case, rows in ordered.groupby("case", sort=False):
        for aspect in aspects:
            values = rows[aspect].tolist()
            releases = rows["release"].tolist()
            for i in range(1, len(values)):
                if values[i] != values[i - 1]:
                    changes.append(
                        ChangePoint(releases[i], releases[i - 1], str(case), aspect, values[i - 1], values[i])
                    )
    positions = dict(zip(frame["release"], frame["position"], strict=False))
    return sorted(changes, key=lambda c: (positions[c.release], c.aspect != "weights", c.case))


def release_ranges(frame: pd.DataFrame, aspect: str) -> pd.DataFrame:
    """Rows = cases, columns = runs of consecutive releases in which every case has the same ``aspect``.

    A column is named by its first and last release, e.g. ``2.2.3 – 2.15.1``.
    """
    wide = frame.pivot(index="case", columns="position", values=aspect)
    labels = frame.drop_duplicates("position").set_index("position")["release"]
    groups: list[list[int]] = []
    for position in map(int, wide.columns):
        if groups and wide[position].equals(wide[groups[-1][0]]):
            groups[-1].append(position)
        else:
            groups.append([position])
    columns = {}
    for group in groups:
        first, last = labels[group[0]], labels[group[-1]]
        columns[first if first == last else f"{first} – {last}"] = wide[group[0]]
    table = pd.DataFrame(columns)
    case_order = frame.drop_duplicates("case")["case"]
    return table.loc[case_order]
