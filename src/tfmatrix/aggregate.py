"""Results of one probe -> tables: one row per (variant, case), change points, and ranges that behave alike.

What a case's outcome is comes from the probe's own judge (``judge(case)`` in probes/<probe>.py):
here every aspect is a comparable string, whatever the probe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from packaging.version import Version

from tfmatrix.explanations import Explanation
from tfmatrix.kinds import TRACKS, label
from tfmatrix.probes import Probe
from tfmatrix.results import Result, day, findings
from tfmatrix.vocabulary import FAILURES, NOT_APPLICABLE, VERDICT, WHY, CaseStatus

FLAKY = "flaky"  # the outcome differed between repeats of the case (``--repeat N``), in any aspect
# A failed attempt fills every cell of its variant with its state (``install-failed``, ...).
BRIDGED = (FLAKY, *FAILURES)  # says nothing about behaviour: change points compare across it
# last_good_run: the day of the findings a failed attempt kept (``last_good``), "" where they are the latest.
# States any probe's cells can take, besides what its judge says.
STATE_SYMBOLS: dict[str, str] = {FLAKY: "🎲 flaky", **{state: f"⛔ {state}" for state in FAILURES}}
# released_on: the day the index says the release was uploaded, "" where it is not known.
VARIANT_COLUMNS = ("position", "variant", "release", "version", "track", "released_on", "last_good_run")
ReleaseDates = Mapping[str, Mapping[str, str]]  # distribution -> version -> upload day (ISO)
K = TypeVar("K")


def release_label(result: Result) -> str:
    """``2.16.2`` for the release as shipped, ``2.16.2 tf-keras`` for its legacy Keras 2 variant."""
    return label(result["release"]["version"], result["release"]["track"])


def is_flaky(case: dict[str, Any], aspect: str) -> bool:
    return aspect in case["flaky"] or "status" in case["flaky"]


def released_on(dates: ReleaseDates, result: Result) -> str:
    """The day the release of ``result`` was uploaded, "" where it is not known."""
    return dates.get(result["release"]["distribution"], {}).get(result["release"]["version"], "")


def cases_frame(results: list[Result], probe: Probe, dates: ReleaseDates | None = None) -> pd.DataFrame:
    """One row per (variant, case) of ``probe``, variants in the order given (the catalog's).

    Columns: the variant, the case and its axes, then whatever the probe's judge returns (its
    aspects first). A failed attempt that kept the last good findings stands for them, their day in
    ``last_good_run``. One that kept none gets a row for every case the others ran, each judged
    column holding its state, so that the matrices show it where its findings would be.
    """
    mine = [(result, findings(result)) for result in results if result["probe"]["name"] == probe.name]
    judged = {(r["variant"], c["id"]): probe.judge(c) for r, good in mine if good for c in good["cases"]}
    judged_columns = list(dict.fromkeys([*probe.aspects, *(key for values in judged.values() for key in values)]))
    known = {case["id"]: case for _, good in mine if good for case in good["cases"]}
    rows = []
    for position, (result, good) in enumerate(mine):
        variant = {
            "position": position,
            "variant": result["variant"],
            "release": release_label(result),
            "version": result["release"]["version"],
            "track": result["release"]["track"],
            "released_on": released_on(dates or {}, result),
            "last_good_run": day(result["last_good"]) if result["last_good"] else "",
        }
        if good is None:
            state = dict.fromkeys(judged_columns, result["status"])
            failure = {"status": result["status"], "error": result["failure"]["exit"]}
            rows += [{**variant, **case_columns(case, probe), **state, **failure} for case in known.values()]
            continue
        for case in good["cases"]:
            error = case["error"]
            outcomes = judged[result["variant"], case["id"]]
            rows.append(
                {
                    **variant,
                    **case_columns(case, probe),
                    **{
                        key: FLAKY if key in probe.aspects and is_flaky(case, key) else v for key, v in outcomes.items()
                    },
                    "status": case["status"],
                    "error": f"{error['type']}: {error['message']}" if error else "",
                }
            )
    columns = [*VARIANT_COLUMNS, "case", "group", *probe.axes, *judged_columns, "status", "error"]
    return pd.DataFrame(rows, columns=columns)


def case_columns(case: dict[str, Any], probe: Probe) -> dict[str, str]:
    return {"case": case["id"], "group": case["group"], **{axis: case["axes"].get(axis, "") for axis in probe.axes}}


@dataclass(frozen=True)
class ChangePoint:
    release: str
    previous: str
    case: str
    aspect: str
    before: str
    after: str


def symbol(probe: Probe, aspect: str, value: str) -> str:
    """How a cell shows an aspect's value: the probe's symbol for it, a state's, or the value itself."""
    symbols = {**probe.aspects[aspect].get("symbols", {}), **STATE_SYMBOLS}
    return str(symbols.get(value, value))


def findings_of(probe: Probe, judged: Mapping[str, str]) -> dict[str, Any]:
    """A case's verdict, why, and what every aspect of the probe's own says (where it says something), as
    the report's cells show them: how matrix.json and ``tfmatrix check`` carry a case."""
    own = [aspect for aspect in probe.aspects if aspect not in (VERDICT, WHY)]
    if judged[VERDICT] in BRIDGED:  # a failed attempt or a flaky verdict: its state is all there is to say
        return {"verdict": symbol(probe, VERDICT, judged[VERDICT]), "why": "", "aspects": {}}
    return {
        "verdict": symbol(probe, VERDICT, judged[VERDICT]),
        "why": judged[WHY],
        "aspects": {aspect: symbol(probe, aspect, judged[aspect]) for aspect in own if judged[aspect] != ""},
    }


def case_axes(frame: pd.DataFrame, probe: Probe) -> dict[str, dict[str, str]]:
    return {
        str(row["case"]): {axis: str(row[axis]) for axis in probe.axes}
        for _, row in frame.drop_duplicates("case").iterrows()
    }


def explanations_of(
    changes: Sequence[ChangePoint], axes: dict[str, dict[str, str]], known: Sequence[Explanation], probe: Probe
) -> dict[ChangePoint, Explanation | None]:
    """The explanation of each change point: the first of ``known`` that matches it. A verdict that changed
    with a matrix aspect of the same case in the same release (what the verdict is judged on, not the
    summary's counts) is explained as that change is."""
    found = {c: next((e for e in known if e.explains(c.release, c.aspect, axes[c.case])), None) for c in changes}
    judged_on = [aspect for aspect in probe.matrix_aspects if aspect != VERDICT]
    for change in changes:
        if change.aspect == VERDICT and found[change] is None:
            along = [c for c in changes if (c.release, c.case) == (change.release, change.case)]
            found[change] = next((found[c] for c in along if c.aspect in judged_on and found[c]), None)
    return found


def explained(
    frame: pd.DataFrame, probe: Probe, known: Sequence[Explanation]
) -> list[tuple[Explanation | None, list[ChangePoint]]]:
    """The change points of ``frame``, by the explanation that matches them, in ``known``'s order;
    those none matches last, under None."""
    changes = change_points(frame, probe)
    found = explanations_of(changes, case_axes(frame, probe), known, probe)
    matched = [(e, [c for c in changes if found[c] is e]) for e in known]
    unexplained = [c for c in changes if found[c] is None]
    return [(e, mine) for e, mine in [*matched, (None, unexplained)] if mine]


def change_points(frame: pd.DataFrame, probe: Probe, aspects: Sequence[str] | None = None) -> list[ChangePoint]:
    """Every (case, aspect) whose value differs from the variant before it on the same track; ``aspects``:
    the probe's compared aspects by default.

    A case that is not applicable in either variant is not a change: the feature did not exist.
    A flaky outcome or a failed attempt says nothing about behaviour: the comparison skips over it
    to the variant before, and the cell itself shows what happened. A case that raised has one
    outcome, its exception, which the verdict and the probe's own lead aspect show: it says nothing of the others.
    """
    aspects = list(aspects or probe.compared_aspects)
    said_when_raised = (VERDICT, probe.detail_lead)
    changes = []
    ordered = frame.sort_values(["case", "position"])
    for (case, _), rows in ordered.groupby(["case", "track"], sort=False):
        releases = rows["release"].tolist()
        applicable = (rows["status"] != CaseStatus.NOT_APPLICABLE).tolist()
        raised = (rows["status"] == CaseStatus.ERROR).tolist()
        for aspect in aspects:
            values = rows[aspect].tolist()
            previous = None
            for i, value in enumerate(values):
                if value in BRIDGED or (raised[i] and aspect not in said_when_raised):
                    continue
                if previous is not None and value != values[previous] and applicable[i] and applicable[previous]:
                    changes.append(
                        ChangePoint(releases[i], releases[previous], str(case), aspect, values[previous], value)
                    )
                previous = i
    positions = dict(zip(frame["release"], frame["position"], strict=False))
    return sorted(changes, key=lambda c: (positions[c.release], aspects.index(c.aspect), c.case))


def runs(keys: list[K], alike: Callable[[K, K], bool]) -> list[list[K]]:
    """``keys`` in runs of consecutive ones, each ``alike`` the first of its run."""
    groups: list[list[K]] = []
    for key in keys:
        if groups and alike(groups[-1][0], key):
            groups[-1].append(key)
        else:
            groups.append([key])
    return groups


def span(first: str, last: str) -> str:
    """How a column names a run of releases: ``2.2.3 – 2.15.1``, or the one release."""
    return first if first == last else f"{first} – {last}"


def alike_runs(frame: pd.DataFrame, column: str) -> list[list[int]]:
    """Positions in runs of consecutive variants on one track in which every case has the same ``column``.

    A variant shown by the last good findings a failed attempt kept stands alone.
    """
    wide = frame.pivot(index="case", columns="position", values=column)
    by_position = frame.drop_duplicates("position").set_index("position")
    tracks, kept = by_position["track"], by_position["last_good_run"]

    def alike(a: int, b: int) -> bool:
        return tracks[a] == tracks[b] and not kept[a] and not kept[b] and wide[a].equals(wide[b])

    return runs(list(map(int, wide.columns)), alike)


def run_label(frame: pd.DataFrame, run: list[int]) -> str:
    """A column's name for a run of variants: ``2.2.3 – 2.15.1`` and its track, the days they were released
    below (where known), and the day of the findings a failed attempt kept."""
    by_position = frame.drop_duplicates("position").set_index("position")
    first, last = (by_position.loc[run[i]].astype(str).to_dict() for i in (0, -1))
    name = f"{span(first['version'], last['version'])}{TRACKS[first['track']].suffix}"
    if first["released_on"] and last["released_on"]:
        name += f"<br>{span(first['released_on'], last['released_on'])}"
    return f"{name} (last good run: {first['last_good_run']})" if first["last_good_run"] else name


def watched_warnings(results: Sequence[Result], watched: str) -> dict[str, list[str]]:
    """Each warning a case was given whose first line mentions ``watched``, with the runs of releases (in the
    order of ``results``, on one track) whose cases were given it, ``2.0.9 keras2 – 2.3.1 keras2``."""
    good = [(result, findings(result)) for result in results]
    seen: dict[str, set[int]] = {}
    for position, (_, found) in enumerate(good):
        for case in found["cases"] if found else []:
            for warning in case["warnings"]:
                text = f"{warning['category']}: {str(warning['message']).strip().splitlines()[0]}"
                if watched in text:
                    seen.setdefault(text, set()).add(position)
    labels = [release_label(result) for result, _ in good]
    tracks = [result["release"]["track"] for result, _ in good]

    def spans(positions: set[int]) -> list[str]:
        def chained(first: int, later: int) -> bool:  # every release from the first to it, on one track
            return tracks[first] == tracks[later] and set(range(first, later + 1)) <= positions

        return [span(labels[run[0]], labels[run[-1]]) for run in runs(sorted(positions), chained)]

    return {text: spans(positions) for text, positions in seen.items()}


def release_ranges(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows = cases, columns = runs of consecutive variants on one track in which every case has the same ``column``.

    A column is named by ``run_label``, e.g. ``2.2.3 – 2.15.1`` and the days of both releases.
    """
    wide = frame.pivot(index="case", columns="position", values=column)
    table = pd.DataFrame({run_label(frame, run): wide[run[0]] for run in alike_runs(frame, column)})
    case_order = frame.drop_duplicates("case")["case"]
    return table.loc[case_order]


def named(track: str) -> str:
    """A track as a disagreement names it: by its column suffix (``jax``, ``graph``), the main track by its name."""
    return TRACKS[track].suffix.strip() or track


def disagreements(frame: pd.DataFrame, column: str, lead: str) -> pd.DataFrame:
    """Rows = cases, columns = versions on more than one track: where the tracks disagree, each one's ``column``.

    A cell reads ``jax: A``, a line, ``torch: B`` where the tracks' values differ on that version, and is empty
    where they agree. Consecutive versions alike in every case merge into one column (``3.0.5 – 3.4.1``).
    A failed attempt, a flaky ``lead`` or one not applicable says nothing about behaviour and takes no part.
    Only cases that differ somewhere are rows.
    """
    usable = frame[~frame["status"].isin(FAILURES) & ~frame[lead].isin((*BRIDGED, NOT_APPLICABLE))]
    wide = usable.pivot(index=["case", "version"], columns="track", values=column)
    tracks = [track for track in dict.fromkeys(frame["track"]) if track in wide.columns]

    def describe(row: pd.Series) -> str:
        present = row.dropna()
        if present.nunique() < 2:
            return ""
        return "\n".join(f"{named(track)}: {present[track]}" for track in tracks if track in present)

    shared = wide[wide.notna().sum(axis=1) > 1]
    if shared.empty:
        return pd.DataFrame()
    texts = shared.apply(describe, axis=1).unstack("version").fillna("")
    texts = texts[sorted(texts.columns, key=lambda version: Version(str(version)))]
    texts = texts.loc[(texts != "").any(axis=1), (texts != "").any(axis=0)]  # where some case differs
    groups = runs(list(texts.columns), lambda a, b: texts[a].equals(texts[b]))
    merged = pd.DataFrame({span(g[0], g[-1]): texts[g[0]] for g in groups}, index=texts.index)
    case_order = [case for case in dict.fromkeys(frame["case"]) if case in merged.index]
    return merged.loc[case_order]
