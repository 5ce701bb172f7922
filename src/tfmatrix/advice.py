"""What to do where a recipe does not do what its user meant: the probe's fixes, each held to the data.

A probe's INTENT lists, per question, the fixes users reach for, each with the case that shows it
working: the user's own case with some axes changed (``{"recipe": "toggle"}``), and, where it fixes
only some recipes, which (``"for": {"target": "constructor"}``). A fix is *verified*
on a release where that case's verdict is works there; on the others it is not, and the advice says
so. A fix no case shows is offered only where no probed one works, and is labelled unverified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tfmatrix import aggregate, lookup
from tfmatrix.probes import Probe
from tfmatrix.vocabulary import NO_EVIDENCE, NOT_APPLICABLE, VERDICT, WORKS

SETTLED = (WORKS, NOT_APPLICABLE, *aggregate.BRIDGED)  # nothing to do: it works, cannot be asked, or says nothing
NO_FIX = "No fix is known: no probed way of doing this works on these releases."
UNSEEN = "Not observed: the probe could not see every part of this recipe here, so it gives no verdict and no fix."


Release = tuple[int, str, str]  # a release as the report orders and names it: (position, track, label)


@dataclass(frozen=True)
class Advice:
    """One thing to do for a question on some releases, and where a probed case shows it working."""

    group: str  # the question's group of cases
    do: str
    fixing: tuple[str, ...]  # the cases that do not work, which this is what to do for
    shown_by: tuple[str, ...]  # the probed cases doing it, each once
    where: tuple[Release, ...]  # the releases it is for
    verified: tuple[Release, ...]  # those of them where every case of ``shown_by`` works

    @property
    def status(self) -> str:
        """verified, partly verified, unverified, or no fix."""
        if self.do in (NO_FIX, UNSEEN):
            return "no fix"
        if not self.verified:
            return "unverified"
        return "verified" if set(self.verified) == set(self.where) else "partly verified"

    def said(self) -> str:
        """The advice in a sentence or two, as the report says it: for which cases, what, and where it is shown."""
        cases = named(self.shown_by)
        fixing = f"For {named(self.fixing)}: " if self.fixing else ""
        if self.status == "verified":
            verb = "works" if len(self.shown_by) == 1 else "work"
            return f"{fixing}{self.do} Verified: {cases} {verb} on {spans(self.verified)}."
        if self.status == "partly verified":
            return f"{fixing}{self.do} Verified on {spans(self.verified)} only ({cases}); not on the others."
        return fixing + (self.do if self.status == "no fix" else f"{self.do} Not verified: no probed case shows it.")

    def as_data(self) -> dict[str, Any]:
        return {
            "for": list(self.fixing),
            "do": self.do,
            "status": self.status,
            "cases": list(self.shown_by),
            "verified_on": spans(self.verified),
        }


def named(cases: Sequence[str]) -> str:
    """The first two cases, as code, and how many more, as lookup names them."""
    return lookup.some([f"`{case}`" for case in cases])


def merged(found: Sequence[Advice]) -> list[Advice]:
    """The same advice for several runs of releases as one, naming them all; in the order first given."""
    together: dict[tuple[str, str, tuple[str, ...], str], list[Advice]] = {}
    for one in found:
        together.setdefault((one.group, one.do, one.shown_by, one.status), []).append(one)
    return [
        Advice(
            group,
            do,
            tuple(dict.fromkeys(case for a in alike for case in a.fixing)),
            cases,
            tuple(r for a in alike for r in a.where),
            tuple(r for a in alike for r in a.verified),
        )
        for (group, do, cases, _), alike in together.items()
    ]


def spans(releases: Sequence[Release]) -> str:
    """``3.0.5 jax – 3.5.0 jax, 3.8.0 jax``: releases as runs of consecutive ones on one track."""
    found: list[list[Release]] = []
    for release in sorted(set(releases)):
        if found and release[0] == found[-1][-1][0] + 1 and release[1] == found[-1][-1][1]:
            found[-1].append(release)
        else:
            found.append([release])
    return ", ".join(aggregate.span(run[0][2], run[-1][2]) for run in found)


def fixed_case(axes: Mapping[str, Mapping[str, str]], mine: Mapping[str, str], change: Mapping[str, str]) -> str | None:
    """The probed case that is ``mine`` with the axes of ``change``: it has every axis that one has, with the
    same value, and as few others as can be (a case may leave axes out). None where there is none, or it is mine."""
    own = {axis: value for axis, value in mine.items() if value}
    wanted = {**own, **change}
    if wanted == own:
        return None
    matching = [
        (sum(1 for axis, value in theirs.items() if value and axis not in wanted), case)
        for case, theirs in axes.items()
        if all(theirs.get(axis) == value for axis, value in wanted.items())
    ]
    return min(matching, key=lambda found: found[0], default=(0, None))[1]  # the first of equals: the cases' order


class Fixes:
    """What to do on any run of releases of one probe's frame; what every run needs is read off the frame once."""

    def __init__(self, frame: pd.DataFrame, probe: Probe) -> None:
        self.probe = probe
        self.verdicts = dict(zip(zip(frame["case"], frame["position"], strict=True), frame[VERDICT], strict=True))
        self.axes = aggregate.case_axes(frame, probe)
        named = frame.drop_duplicates("position")
        self.releases = {
            int(p): (int(p), str(track), str(label))
            for p, track, label in zip(named["position"], named["track"], named["release"], strict=True)
        }
        # (group, position) -> its cases whose verdict is not works (nor n/a, flaky or a failed attempt), in order
        self.needing: dict[tuple[str, int], list[str]] = {}
        for case, group, position, verdict in zip(
            frame["case"], frame["group"], frame["position"], frame[VERDICT], strict=True
        ):
            if verdict not in SETTLED:
                self.needing.setdefault((str(group), int(position)), []).append(str(case))

    def for_run(self, group: str, run: Sequence[int]) -> list[Advice]:
        """What to do for ``group``'s cases that do not work on the releases at ``run`` (positions of the frame)."""
        cases = dict.fromkeys(case for position in run for case in self.needing.get((group, position), []))
        # (do, where it works) -> (the cases it is for, the cases that show it)
        chosen: dict[tuple[str, tuple[int, ...]], tuple[list[str], list[str]]] = {}
        for case in cases:
            if self.verdicts.get((case, run[0])) == NO_EVIDENCE:
                chosen.setdefault((UNSEEN, ()), ([], []))[0].append(case)
                continue
            fixes = self.probe.intent[group].get("fixes", [])
            do, shown_by, working = best_fix(fixes, self.axes, case, run, self.verdicts)
            fixing, shown = chosen.setdefault((do, tuple(working)), ([], []))
            fixing.append(case)
            shown.extend([shown_by] if shown_by else [])
        where = tuple(self.releases[p] for p in run)
        return [
            Advice(
                group, do, tuple(fixing), tuple(dict.fromkeys(shown)), where, tuple(self.releases[p] for p in working)
            )
            for (do, working), (fixing, shown) in chosen.items()
        ]


def best_fix(
    fixes: Sequence[Mapping[str, Any]],
    axes: Mapping[str, Mapping[str, str]],
    case: str,
    run: Sequence[int],
    verdicts: Mapping[tuple[str, int], str],
) -> tuple[str, str | None, list[int]]:
    """(what to do, the case that shows it, where it works) for one case: the first fix shown working on the
    whole run, else the one shown on most of it, else the first that no case shows, else no fix."""
    shown = []
    mine = [fix for fix in fixes if all(axes[case].get(a) == v for a, v in fix.get("for", {}).items())]
    for fix in mine:
        if fix["case"] is None:
            continue
        other = fixed_case(axes, axes[case], fix["case"])
        if other is None:
            continue
        working = [p for p in run if verdicts.get((other, p)) == WORKS]
        shown.append((len(working), fix["do"], other, working))
        if len(working) == len(run):
            break
    best = max(shown, key=lambda found: found[0], default=None)  # max keeps the first of equals: the fixes' order
    if best and best[0]:
        _, do, other, working = best
        return do, other, working
    unshown = next((fix["do"] for fix in mine if fix["case"] is None), NO_FIX)
    return unshown, None, []
