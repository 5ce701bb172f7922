"""Compare two sets of results: which cells flipped, and which new releases behave differently.

Used to alert on change: ``tfmatrix diff`` exits 0 when nothing changed, 4 when the behaviour did.
"""

from __future__ import annotations

from tfmatrix import aggregate
from tfmatrix.results import Result


def semantic_changes(old: list[Result], new: list[Result]) -> list[str]:
    """One line per cell that differs for a variant in both sets, and per change a new variant brings.

    A failed attempt or a flaky cell, on either side, is not a change in behaviour.
    """
    old_frame, new_frame = aggregate.cases_frame(old), aggregate.cases_frame(new)
    merged = new_frame.merge(old_frame, on=["release", "case"], how="inner", suffixes=("", "_old"))
    lines = []
    for aspect in aggregate.ASPECTS:
        known = ~merged[aspect].isin(aggregate.BRIDGED) & ~merged[f"{aspect}_old"].isin(aggregate.BRIDGED)
        flipped = merged[known & (merged[aspect] != merged[f"{aspect}_old"])]
        lines += [
            f"changed: {row['release']} {row['case']} {aspect}: {row[f'{aspect}_old']} -> {row[aspect]}"
            for _, row in flipped.iterrows()
        ]
    added = set(new_frame["release"]) - set(old_frame["release"])
    lines += [
        f"new release {c.release}: {c.case} {c.aspect}: {c.before} (as in {c.previous}) -> {c.after}"
        for c in aggregate.change_points(new_frame)
        if c.release in added
    ]
    return lines
