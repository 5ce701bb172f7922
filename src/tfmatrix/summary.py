"""Results -> the matrix summary (``reports/matrix.json``): every question × environment -> verdict, what to
do, and the change points.

It is what the report's first screen, the picture, the feed and ``tfmatrix lookup`` read, and the
API other tools read. Each case on each environment has its verdict (did the recipe do what its user
means), why, and every aspect behind it; each question on each environment, how many cases end with
which verdict and what to do where some do not work; where a release was first probed and when it
was uploaded come from the results and the release dates. ``schemas/matrix.schema.json`` says what it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tfmatrix import advice, aggregate, escape
from tfmatrix.explanations import Explanation
from tfmatrix.kinds import KINDS, TRACKS, report_name
from tfmatrix.probes import Probe
from tfmatrix.results import Result, findings
from tfmatrix.vocabulary import VERDICT, State, pinpoint_key, repro_command

SCHEMA_VERSION = 3
Summary = dict[str, Any]
ReleaseDates = aggregate.ReleaseDates


def environment(mine: list[Result], dates: ReleaseDates) -> dict[str, Any]:
    """One probed environment, from the results of every probe in it: failed if any probe's attempt failed."""
    result = next((r for r in mine if r["status"] != State.OK), mine[0])  # the one that says how it went
    good = findings(result)
    env = (good or result)["environment"]
    release = result["release"]
    kept = [r["last_good"] for r in mine if r["last_good"]]
    return {
        "id": result["variant"],
        "kind": result["kind"],
        "track": release["track"],
        "track_title": TRACKS[release["track"]].title,
        "label": aggregate.release_label(result),
        "distribution": release["distribution"],
        "version": release["version"],
        "released_on": aggregate.released_on(dates, result) or None,
        "python": env.get("python", release["python"]),
        "keras": env.get("keras"),
        "backend": result["catalog_entry"].get("backend"),
        "resolved_as_of": env["resolved_as_of"],
        "status": result["status"],
        "probed_on": max((r["probed_on"] for r in mine if r["probed_on"]), default=None),
        "findings_from": min((k["probed_on"] for k in kept if k["probed_on"]), default=None),
    }


def verdict_cells(frame: pd.DataFrame, probe: Probe) -> pd.Series:
    """The verdict as the report's cells show it: ``✅ works``, ... (a state's for a failed attempt)."""
    return frame[VERDICT].map(lambda value: aggregate.symbol(probe, VERDICT, value))


def questions(frame: pd.DataFrame, probe: Probe, report: str) -> list[dict[str, Any]]:
    shown = frame.assign(outcome=verdict_cells(frame, probe))
    known_fixes = advice.Fixes(frame, probe)
    found = []
    for group, spec in probe.groups.items():
        rows = shown[shown["group"] == group]
        if rows.empty:
            continue
        cases = {
            str(case): {
                str(row["variant"]): aggregate.findings_of(probe, {str(k): v for k, v in row.items()})
                for _, row in part.iterrows()
            }
            for case, part in rows.groupby("case", sort=False)
        }
        counts = {
            str(variant): {str(k): int(v) for k, v in part["outcome"].value_counts(sort=False).items()}
            for variant, part in rows.groupby("variant", sort=False)
        }
        positions = dict(zip(rows["variant"], rows["position"], strict=False))
        fixes = {
            str(variant): [found.as_data() for found in known_fixes.for_run(group, [int(position)])]
            for variant, position in positions.items()
        }
        found.append(
            {
                "id": f"{probe.name}/{group}",
                "probe": probe.name,
                "report": f"{report}#{escape.anchor(spec['question'])}",
                "question": spec["question"],
                "means": probe.intent[group]["means"],
                "outcomes": counts,
                "fixes": {variant: said for variant, said in fixes.items() if said},
                "cases": cases,
            }
        )
    return found


def heading(explanation: Explanation | None) -> str:
    """The heading of a change point in the report, whose anchor the summary links to."""
    return f"{explanation.release}: {explanation.summary}" if explanation else "Not yet explained"


def pinpointed(verdict: Mapping[str, Any] | None, dates: ReleaseDates) -> dict[str, Any] | None:
    """What ``nox -s pinpoint`` found between the two releases, with the days of those it names and the
    frameworks the first and the last old one ran with."""
    if verdict is None:
        return None
    known = dates.get(verdict["distribution"], {})
    first, last = verdict["first_new"], verdict["last_old"]
    return {
        "distribution": verdict["distribution"],
        "first": {"version": first, "released_on": known.get(first), "frameworks": verdict["frameworks"][first]},
        "last_old": {"version": last, "released_on": known.get(last), "frameworks": verdict["frameworks"][last]},
        "between": {version: known.get(version) for version in verdict["candidates"]},
        "probed": verdict["probed"],
        "unresolved": verdict["unresolved"],
    }


def tracks_seen(matched: Sequence[aggregate.ChangePoint]) -> list[tuple[str, str, str]]:
    """Per track a change point is seen on: the release it is first seen in, the one before it, and the
    case its repro command runs (its first case there)."""
    pairs = dict.fromkeys((c.release, c.previous) for c in matched)
    return [(release, previous, next(c.case for c in matched if c.release == release)) for release, previous in pairs]


def ids(report: str, groups: Sequence[tuple[Explanation | None, list[aggregate.ChangePoint]]]) -> list[str]:
    """Each change point's id: named by where and in what it is first seen, not by its explanation,
    so that explaining it keeps its id; ``-2`` and on where two share both."""
    found: list[str] = []
    for _, matched in groups:
        where = "+".join(dict.fromkeys(c.release for c in matched)).replace(" ", "-")
        # Named by an aspect the verdict changed with, where there is one: ids stay as they were before verdicts.
        aspect = next((c.aspect for c in matched if c.aspect != VERDICT), matched[0].aspect)
        name = f"{report.removesuffix('-matrix.md')}/{where}/{aspect}"
        taken = sum(1 for other in found if other == name or other.startswith(f"{name}-"))
        found.append(f"{name}-{taken + 1}" if taken else name)
    return found


def change_points(
    frame: pd.DataFrame,
    probe: Probe,
    report: str,
    known: Sequence[Explanation],
    verdicts: Mapping[str, Mapping[str, Any]],
    dates: ReleaseDates,
) -> list[dict[str, Any]]:
    """The change points of one report, one per explanation (and one for those not yet explained)."""
    variants = dict(zip(frame["release"], frame["variant"], strict=False))
    groups = dict(zip(frame["case"], frame["group"], strict=False))
    found: list[dict[str, Any]] = []
    explained = aggregate.explained(frame, probe, known)
    for (explanation, matched), change_id in zip(explained, ids(report, explained), strict=True):
        title = heading(explanation)
        seen_on = tracks_seen(matched)
        change: dict[str, Any] = {
            "id": change_id,
            "probe": probe.name,
            "report": f"{report}#{escape.anchor(title)}",
            "summary": explanation.summary if explanation else None,
            "advice": explanation.advice if explanation else None,
            "evidence": list(explanation.evidence) if explanation else [],
            "first_seen": [
                {"environment": variants[release], "after": variants[previous]} for release, previous, _ in seen_on
            ],
            "questions": list(dict.fromkeys(f"{probe.name}/{groups[c.case]}" for c in matched)),
            # On each track, one of its cases on the release it is first seen in, then on the one before.
            "repro": [
                repro_command(case, variants[shown], probe.name)
                for release, previous, case in seen_on
                for shown in (release, previous)
            ],
            "cases": [
                {
                    "case": c.case,
                    "aspect": c.aspect,
                    "environment": variants[c.release],
                    "before": aggregate.symbol(probe, c.aspect, c.before),
                    "after": aggregate.symbol(probe, c.aspect, c.after),
                }
                for c in matched
            ],
        }
        for seen in change["first_seen"]:
            found_there = fits(verdicts.get(pinpoint_key(change_id, seen["environment"])), change, seen)
            seen["pinpointed"] = pinpointed(found_there, dates)
        found.append(change)
    return found


def by_variant(results: list[Result]) -> dict[str, list[Result]]:
    found: dict[str, list[Result]] = {}
    for result in results:
        found.setdefault(result["variant"], []).append(result)
    return found


def build(
    results: list[Result],
    probes: Mapping[str, Probe],
    known: Sequence[Explanation],
    dates: ReleaseDates,
    verdicts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Summary:
    """The summary of every result: environments in the report's order, questions, change points.

    A question is a probe's group of cases; its outcomes span every view (TensorFlow, Keras 3) and
    ``reports`` says which report shows it for each kind of environment.
    """
    order = list(TRACKS)
    ordered = sorted(results, key=lambda r: order.index(r["release"]["track"]))  # stable: oldest first per track
    found: dict[str, dict[str, Any]] = {}
    changes = []
    for probe in probes.values():
        for kind in KINDS:
            mine = [r for r in results if r["probe"]["name"] == probe.name and r["kind"] == kind]
            frame = aggregate.cases_frame(mine, probe, dates)
            if frame.empty:
                continue
            report = report_name(probe.name, kind)
            for question in questions(frame, probe, report):
                merged = found.setdefault(
                    question["id"], {**question, "reports": {}, "outcomes": {}, "fixes": {}, "cases": {}}
                )
                merged["reports"][kind] = question.pop("report")
                merged["outcomes"].update(question["outcomes"])
                merged["fixes"].update(question["fixes"])
                for case, outcomes in question["cases"].items():
                    merged["cases"].setdefault(case, {}).update(outcomes)
            mine_known = [e for e in known if e.probe == probe.name]
            changes += change_points(frame, probe, report, mine_known, verdicts or {}, dates)
    return {
        "schema_version": SCHEMA_VERSION,
        "environments": [environment(mine, dates) for mine in by_variant(ordered).values()],
        "questions": [{key: value for key, value in q.items() if key != "report"} for q in found.values()],
        "change_points": changes,
    }


def fits(
    found: Mapping[str, Any] | None, change: Mapping[str, Any], seen: Mapping[str, str]
) -> Mapping[str, Any] | None:
    """``found`` if it was judged on this change point as it stands (same two releases, same cases), else None."""
    if found is None or found.get("older") != seen["after"]:
        return None
    cases = sorted({c["case"] for c in change["cases"] if c["environment"] == seen["environment"]})
    return found if found.get("cases") == cases else None
