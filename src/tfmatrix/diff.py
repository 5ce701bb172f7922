"""Compare two sets of results: which cells flipped, and which new releases behave differently.

Used to alert on change: ``tfmatrix diff`` exits 0 when nothing changed, 4 when the behaviour did.
"""

from __future__ import annotations

from tfmatrix import aggregate, record
from tfmatrix.probes import Probe
from tfmatrix.results import Result
from tfmatrix.vocabulary import State


def semantic_changes(old: list[Result], new: list[Result], probes: dict[str, Probe]) -> list[str]:
    """One line per cell that differs for a variant in both sets, and per change a new variant brings.

    A failed attempt or a flaky cell, on either side, is not a change in behaviour.
    """
    lines = []
    for name, probe in probes.items():
        old_frame, new_frame = aggregate.cases_frame(old, probe), aggregate.cases_frame(new, probe)
        merged = new_frame.merge(old_frame, on=["variant", "case"], how="inner", suffixes=("", "_old"))
        for aspect in probe.compared_aspects:
            known = ~merged[aspect].isin(aggregate.BRIDGED) & ~merged[f"{aspect}_old"].isin(aggregate.BRIDGED)
            flipped = merged[known & (merged[aspect] != merged[f"{aspect}_old"])]
            lines += [
                f"changed: {row['release']} {name} {row['case']} {aspect}: {row[f'{aspect}_old']} -> {row[aspect]}"
                for _, row in flipped.iterrows()
            ]
        added = set(new_frame["release"]) - set(old_frame["release"])
        lines += [
            f"new release {c.release}: {name} {c.case} {c.aspect}: {c.before} (as in {c.previous}) -> {c.after}"
            for c in aggregate.change_points(new_frame, probe)
            if c.release in added
        ]
    return lines


def replaced_ok(old: list[Result], new: list[Result]) -> list[str]:
    """One line per failed attempt in ``new`` where ``old`` had an ok result of the same probe and variant.

    Not a change in behaviour, so not among the semantic changes, but the report shows the failure
    where the findings were, and whoever publishes it must say so.
    """
    ok = {(r["probe"]["name"], r["variant"]) for r in old if r["status"] == State.OK}
    return [
        f"failed attempt: {r['variant']} {r['probe']['name']}: {r['status']} ({r['failure']['exit']}) "
        f"replaced an ok result{'; its findings are kept as the last good run' if r['last_good'] else ''}"
        for r in new
        if r["status"] != State.OK and (r["probe"]["name"], r["variant"]) in ok
    ]


def persisting(old: list[Result], new: list[Result]) -> list[str]:
    """One line per failed attempt in ``new`` that repeats a failure ``old`` had for the same probe and variant:
    how long it has lasted, and when the weekly run tries it again (``record.next_try``)."""
    failed = {(r["probe"]["name"], r["variant"]) for r in old if r["status"] != State.OK}
    lines = []
    for r in new:
        if r["status"] != State.OK and (r["probe"]["name"], r["variant"]) in failed:
            since, due = record.failing_since(r), record.next_try(r)
            lines.append(
                f"persistent failure: {r['variant']} {r['probe']['name']}: {r['status']} ({r['failure']['exit']}), "
                f"failing since {since or 'a day not recorded'}; next weekly try on or after {due or 'the next run'}"
            )
    return lines
