"""Tables -> one markdown report per probe: change points first, then the matrices, then the releases.

Titles, questions, axes, aspects and their symbols all come from the probe's metadata.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from tabulate import tabulate

from tfmatrix import advice, aggregate, escape, record, summary, wrap
from tfmatrix.escape import markdown_prose, markdown_text
from tfmatrix.explanations import Explanation
from tfmatrix.kinds import KINDS, TRACKS, report_name
from tfmatrix.probes import Probe
from tfmatrix.results import Result, day, findings
from tfmatrix.vocabulary import (
    FAILURES,
    NOT_APPLICABLE,
    RAISES,
    VERDICT,
    WHY,
    CaseStatus,
    State,
    pinpoint_key,
    repro_command,
)

STATE_SYMBOLS = aggregate.STATE_SYMBOLS
# GitHub's repository page shows markdown 764 to 980 px wide; a table is kept within this (tests measure
# the tables in a browser), its widths estimated from the characters of 16 px text.
WIDTH, CELL_PADDING, CHAR_WIDTH, WIDE_WIDTH, EMOJI_WIDTH = 860, 27, 7.6, 11, 21
SHOWN_AS = re.compile(r"\[(?P<label>[^\]]*)\]\([^)]*\)|\\(?P<escaped>.)|(?P<entity>&\w+;)|`")
BEHAVIOURS = {"neither": "behaves neither way"}  # how pinpointing says a third behaviour
CELL_LINE = 36  # characters a line of a disagreement's cell holds
WATCHED = "trainable"  # the subject of every probe: a warning that names it is a finding beside the cells
# tf-keras pairs a TensorFlow release with a tf-keras one; a nightly has no releases between.
FLAKY_LEGEND = "the outcome differed between repeats of the case (`--repeat N`); never counted as a change"
ERROR_LINE = re.compile(r"^\s*(cause: |error: |Fatal Python error|[\w.]*(Error|Exception|Exit):)")


def code(text: object) -> str:
    """Inline code for identifiers we generate (case ids): backticks cannot occur in them."""
    return "`" + str(text).replace("`", "") + "`"


def table(frame: pd.DataFrame, keep: int = 1) -> str:
    """``frame`` as markdown tables that each fit GitHub's width: where the whole is wider, its columns are
    split over several tables, each repeating the first ``keep`` (what names a row)."""
    kept = sum(shown_width(frame, column) for column in frame.columns[:keep])
    parts: list[list[str]] = []
    width = kept
    for column in frame.columns[keep:]:
        needed = shown_width(frame, column)
        if not parts or width + needed > WIDTH:
            parts.append([])
            width = kept
        parts[-1].append(column)
        width += needed
    chunks = [frame[[*frame.columns[:keep], *part]] for part in parts] or [frame]
    return "\n\n".join(
        str(tabulate(chunk.to_dict(orient="list"), headers="keys", tablefmt="github", disable_numparse=True))
        for chunk in chunks
    )


def shown_width(frame: pd.DataFrame, column: str) -> float:
    """About how many pixels GitHub gives ``column``: its widest cell or header on one line, and the padding."""
    return max(text_width(str(cell)) for cell in [column, *frame[column].tolist()]) + CELL_PADDING


def text_width(markdown: str) -> float:
    """About how wide GitHub shows ``markdown`` at 16 px: a link by its text, escapes as what they show."""
    shown = SHOWN_AS.sub(lambda m: m["label"] or m["escaped"] or ("x" if m["entity"] else ""), markdown)
    return sum(
        EMOJI_WIDTH if ord(c) > 0x2000 else WIDE_WIDTH if c.isupper() or c in "mwMW@%" else CHAR_WIDTH for c in shown
    )


def views(results: list[Result], probe: Probe) -> dict[str, list[Result]]:
    """``probe``'s results by the report file that shows them (one per view: TensorFlow, Keras 3)."""
    found: dict[str, list[Result]] = {}
    for result in results:
        if result["probe"]["name"] == probe.name:
            found.setdefault(report_name(probe.name, result["kind"]), []).append(result)
    return found


def render(
    results: list[Result],
    probe: Probe,
    known: Sequence[Explanation] = (),
    dates: aggregate.ReleaseDates | None = None,
    picture: str = "",
    pinpointed: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The report of one probe; ``known`` explanations are attached to the change points they match.

    ``dates`` name the day each release was uploaded; ``picture`` is the file name of its timeline, shown
    under the answers at a glance ("" for none); ``pinpointed`` is what ``nox -s pinpoint`` found, as
    matrix.json has it, keyed by ``vocabulary.pinpoint_key``.
    """
    mine = [result for result in results if result["probe"]["name"] == probe.name]
    frame = aggregate.cases_frame(mine, probe, dates)
    failed = [result for result in mine if result["status"] != State.OK]
    known = [e for e in known if e.probe == probe.name]
    across = {KINDS[result["kind"]].ACROSS_TRACKS for result in mine}.pop() if mine else ""
    sections = [header(mine, probe)]
    if len(frame):  # some attempt succeeded
        runs = glance_runs(frame, probe)
        fixes = advice.Fixes(frame, probe)
        to_do = {  # per question, what to do on every run of releases where some of its cases do not work
            group: advice.merged([found for run in runs for found in fixes.for_run(group, run)])
            for group in probe.groups
        }
        sections.append(glance_section(frame, probe, picture, runs, to_do))
    if failed:
        sections.append(failures_section(failed, dates or {}))
    if len(frame):
        present = set(frame["group"])
        sections += [
            change_points_section(frame, probe, known, report_name(probe.name, mine[0]["kind"]), pinpointed or {}),
            grid_section(frame, probe),
            *[question_section(frame, probe, group, to_do[group]) for group in probe.groups if group in present],
            *([disagreements_section(frame, probe, across)] if across else []),
            *([warnings_section(warned)] if (warned := aggregate.watched_warnings(mine, WATCHED)) else []),
            *[aspect_section(frame, probe, aspect) for aspect, spec in probe.aspects.items() if "section" in spec],
        ]
    sections.append(releases_section(mine, dates or {}))
    return wrap.markdown("\n\n".join(sections)) + "\n"


def glance_section(
    frame: pd.DataFrame, probe: Probe, picture: str, runs: list[list[int]], to_do: dict[str, list[advice.Advice]]
) -> str:
    """One row per question, one column per run of releases whose every case ends alike (``runs``): how many
    cases work, go silently wrong or raise, and for every run where some do not, what to do (``to_do``)."""
    shown = frame.assign(verdict_shown=summary.verdict_cells(frame, probe))
    order = list(probe.aspects[VERDICT]["symbols"].values())
    rows = []
    advised: list[advice.Advice] = []  # numbered below the table, in the order of the rows
    for group, spec in probe.groups.items():
        mine = shown[shown["group"] == group]
        if mine.empty:
            continue
        row = {"question": f"[{markdown_prose(spec['question'])}](#{escape.anchor(spec['question'])})"}
        for run in runs:
            row[aggregate.run_label(shown, run)] = tally(
                mine[mine["position"] == run[0]]["verdict_shown"].tolist(), order
            )
        fixes = to_do[group]
        row["what to do"] = ", ".join(f"[{len(advised) + n}](#what-to-do)" for n in range(1, len(fixes) + 1)) or "—"
        advised += fixes
        rows.append(row)
    lines = [
        "## At a glance",
        "",
        (
            "Each row is a recipe's question, each column a run of releases on which every case ends the same way "
            "(the day each was released below it); a cell counts the cases by verdict: ✅ the recipe did what its "
            "user means, ❌ it ran but did not, 💥 it raised, ❔ the probe could not see a part of it. The sections "
            "below show every case and why."
        ),
        "",
        table(pd.DataFrame(rows)),
    ]
    if advised:
        lines += ["", "### What to do", ""]
        lines += [
            f"{i}. *{markdown_prose(probe.groups[found.group]['question'])}* — on {markdown_text(advice.spans(found.where))}: "
            f"{markdown_prose(found.said())}"
            for i, found in enumerate(advised, start=1)
        ]
    if picture:
        lines += ["", f"![Every question across releases: colour per verdict, change points marked]({picture})"]
    return "\n".join(lines)


def glance_runs(frame: pd.DataFrame, probe: Probe) -> list[list[int]]:
    """Runs of consecutive releases on one track in which every case has the same verdict and why."""
    return aggregate.alike_runs(frame.assign(answer=answers(frame, probe)), "answer")


def answers(rows: pd.DataFrame, probe: Probe) -> pd.Series:
    """The verdict and why: ``❌ silently wrong: the discriminator does not learn in its own step``."""
    said = summary.verdict_cells(rows, probe)
    return said.where((rows[WHY] == "") | rows[VERDICT].isin(aggregate.BRIDGED), said + ": " + rows[WHY])


def tally(outcomes: list[str], order: list[str]) -> str:
    """``✅ 20 · ❌ 10``: how many cases end each way, in the probe's order of outcomes; ``✅ all 8`` for one."""
    counts = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes), key=lambda o: rank(o, order))}
    if len(counts) == 1:
        return markdown_text(f"{outcomes[0]} (all {len(outcomes)})")
    return " · ".join(markdown_text(f"{outcome} {count}") for outcome, count in counts.items())


def rank(outcome: str, order: list[str]) -> tuple[int, str]:
    """Where a cell sorts: by the probe's order of its lead symbol, then by its text."""
    return next((i for i, symbol in enumerate(order) if outcome.startswith(symbol)), len(order)), outcome


def failures_section(failed: list[Result], dates: aggregate.ReleaseDates) -> str:
    """The attempts that failed, when, the end of the error each one met, and which findings stand for them."""
    rows = [
        {
            "release": markdown_text(aggregate.release_label(result)),
            "released": aggregate.released_on(dates, result) or "-",
            "state": f"**{result['status']}**",
            "on": markdown_text(day(result)),
            "step": result["failure"]["phase"],
            "how it ended": markdown_text(result["failure"]["exit"]),
            "error": markdown_text(headline(result["failure"]["message"])),
            "failing since": markdown_text(str(record.failing_since(result) or "-")),
            "next weekly try": markdown_text(str(record.next_try(result) or "the next run")),
            "findings shown": markdown_text(f"last good run: {day(good)}" if (good := result["last_good"]) else "none"),
        }
        for result in failed
    ]
    return "\n".join(
        [
            "## Failed attempts",
            "",
            (
                "Installing, importing or probing these variants failed. Where an earlier attempt of the same probe "
                "succeeded, the matrices keep showing its findings, in a column marked *last good run* with its day; "
                "else the variant has no findings in this report. The result files in `reports/results/` hold up "
                "to 20 lines of the error. The weekly run tries a failed attempt again a week later, and one that keeps "
                "failing after as long as it has been failing, at most every eight weeks; a run of your own tries "
                "it every time."
            ),
            "",
            table(pd.DataFrame(rows)),
        ]
    )


def headline(message: str, limit: int = 200) -> str:
    """The line that names the error: the last exception, fatal error or resolver cause; else the last line."""
    lines = message.strip().splitlines() or [""]
    line = next((line.strip() for line in reversed(lines) if ERROR_LINE.match(line)), lines[-1])
    return line if len(line) <= limit else line[: limit - 1] + "…"


def header(results: list[Result], probe: Probe) -> str:
    spans = []
    for track in TRACKS.values():
        versions = [r["release"]["version"] for r in results if r["release"]["track"] == track.name]
        if versions:
            first, last = versions[0], versions[-1]
            span = markdown_text(first) if first == last else f"{markdown_text(first)} to {markdown_text(last)}"
            spans.append(f"{track.title} {span}")
    digests = sorted({r["probe"]["sha256"][:12] for r in results})
    harness = sorted({(r["probe"]["harness_sha256"] or "none")[:12] for r in results})
    return "\n".join(
        [
            f"# {markdown_prose(probe.title)}",
            "",
            (
                f"Generated by `nox -t matrix` from {len(results)} result files in `reports/results/{probe.name}/`: "
                f"{'; '.join(spans)}; each installed in its own virtual environment "
                "with its dependencies resolved as the package index stood shortly after the release "
                "(see [Releases](#releases)). "
                f"Probe `probes/{probe.name}.py`, sha256 {', '.join(digests)}; harness sha256 {', '.join(harness)}."
            ),
            "",
            f"{markdown_prose(probe.description)} The [grid](#grid) lists the questions the cases answer.",
        ]
    )


def change_line(change: aggregate.ChangePoint, probe: Probe) -> str:
    # An aspect that is only said when something is wrong is empty otherwise: shown as a dash.
    before, after = (aggregate.symbol(probe, change.aspect, value) or "—" for value in (change.before, change.after))
    return (
        f"- In **{markdown_text(change.release)}** (after {markdown_text(change.previous)}), {code(change.case)} "
        f"{markdown_prose(probe.aspects[change.aspect]['title'])}: {markdown_text(before)} → **{markdown_text(after)}**"
    )


def change_points_section(
    frame: pd.DataFrame,
    probe: Probe,
    known: Sequence[Explanation],
    report: str,
    pinpointed: Mapping[str, Mapping[str, Any]],
) -> str:
    lines = [
        "## Change points",
        "",
        (
            "Each release is compared with the one before it on the same track (its group of columns): "
            "a change first seen in a release happened in it or in a release between the two. `nox -s pinpoint` "
            "probes the releases between them until it finds the first that behaves the new way."
        ),
    ]
    found = aggregate.explained(frame, probe, known)
    if not found:
        return "\n".join([*lines, "", "No case behaves differently in any release than in the one before it."])
    variants = dict(zip(frame["release"], frame["variant"], strict=False))
    for (explanation, matched), change_id in zip(found, summary.ids(report, found), strict=True):
        lines += ["", f"### {markdown_text(summary.heading(explanation))}", ""]
        mine = {r: v for r, variant in variants.items() if (v := pinpointed.get(pinpoint_key(change_id, variant)))}
        lines += [first_seen(matched, frame, mine)]
        if explanation:
            lines += ["", f"**What to do:** {markdown_prose(explanation.advice)}", "", "**Evidence:**", ""]
            lines += [f"- {markdown_prose(item)}" for item in explanation.evidence]
        for release, previous, case in summary.tracks_seen(matched):
            lines += [
                "",
                f"**Reproduce** (in a checkout, with uv): `{repro_command(case, variants[release], probe.name)}` runs "
                f"one of these cases on {markdown_text(release)}; `--variant {variants[previous]}` shows {markdown_text(previous)}.",
            ]
        lines += ["", *folded([change_line(c, probe) for c in matched], counted(matched, probe))]
    return "\n".join(lines)


def dated(release: str, days: dict[str, str]) -> str:
    """``**2.16.2** (2024-06-28)``: a release and the day it was uploaded, where known."""
    day = days.get(release, "")
    return f"**{markdown_text(release)}**" + (f" ({day})" if day else "")


def first_seen(
    matched: list[aggregate.ChangePoint], frame: pd.DataFrame, found: Mapping[str, Mapping[str, Any]]
) -> str:
    """Where the change is first seen, on each track: as ``nox -s pinpoint`` found it where ``found`` has
    it (keyed by the release it was first seen in), else between the two releases the matrix probed."""
    days = dict(zip(frame["release"], frame["released_on"], strict=False))
    versions = dict(zip(frame["release"], frame["version"], strict=False))
    tracks = dict(zip(frame["release"], frame["track"], strict=False))
    said = []
    for release, previous, _ in summary.tracks_seen(matched):
        where = found.get(release)
        if where is None:
            why = TRACKS[tracks[release]].not_pinpointed or "not yet pinpointed"
            said.append(f"in {dated(release, days)}, after {dated(previous, days)}: {why}")
            continue
        track = release.removeprefix(versions[release])  # " jax": the same release is on several tracks

        def named(end: Mapping[str, Any], track: str = track) -> str:
            return dated(f"{end['version']}{track}", {f"{end['version']}{track}": end["released_on"] or ""})

        first, last = where["first"], where["last_old"]
        if not where["between"]:
            said.append(f"in {named(first)}, right after {named(last)}: the index has no release between them")
            continue
        tried = ", ".join(
            f"{v}{f' ({day})' if day else ''} {BEHAVIOURS.get(where['probed'][v], where['probed'][v])}"
            for v, day in where["between"].items()
            if v in where["probed"]
        )
        if where["unresolved"]:
            left = ", ".join(
                f"{v} ({BEHAVIOURS.get(where['probed'].get(v, ''), where['probed'].get(v, 'not probed'))})"
                for v in where["unresolved"]
            )
            said.append(f"by {named(first)}, after {named(last)}; between them {left} could not tell (probed: {tried})")
        else:
            said.append(
                f"in {named(first)}; {named(last)}, the version before it, still behaves the old way (probed: {tried})"
            )
        moved = {
            name: (last["frameworks"].get(name, "-"), version)
            for name, version in first["frameworks"].items()
            if last["frameworks"].get(name) != version and name != where["distribution"]  # not the release itself
        }
        if moved:
            said[-1] += "; it came with " + ", ".join(f"{name} {a} → {b}" for name, (a, b) in moved.items())
    return f"**First seen** {'; '.join(said)}."


def counted(matched: list[aggregate.ChangePoint], probe: Probe) -> str:
    """``33 cases changed: summary() printed 97 / 65 / 32 → 65 / 33 / 32 (16), …``: the commonest changes."""
    kinds: dict[str, int] = {}
    for change in matched:
        before, after = (aggregate.symbol(probe, change.aspect, v) or "—" for v in (change.before, change.after))
        said = f"{probe.aspects[change.aspect]['title']} {before} → {after}"
        kinds[said] = kinds.get(said, 0) + 1
    common = sorted(kinds.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{markdown_text(said)} ({count})" for said, count in common[:3])
    more = f" and {len(common) - 3} more kinds" if len(common) > 3 else ""
    cases = len({c.case for c in matched})
    return f"{cases} case{'s' if cases != 1 else ''} changed: {shown}{more}"


def folded(lines: list[str], title: str, shown: int = 3) -> list[str]:
    """Up to ``shown`` lines under ``title``; more folded under it (a ``<details>`` block GitHub renders)."""
    if len(lines) <= shown:
        return [f"*{title}:*", "", *lines] if lines else []
    return [f"<details><summary>{title}</summary>", "", *lines, "", "</details>"]


def with_axes(frame: pd.DataFrame, matrix: pd.DataFrame, probe: Probe) -> pd.DataFrame:
    """Prefix the matrix with the axes that vary between its rows."""
    axes = frame.drop_duplicates("case").set_index("case").loc[matrix.index, list(probe.axes)]
    varying = [axis for axis in probe.axes if len(set(axes[axis])) > 1]
    titles = {axis: markdown_prose(spec["title"]) for axis, spec in probe.axes.items()}
    labelled = axes[varying].map(markdown_text).rename(columns=titles)
    return pd.concat([labelled, matrix], axis=1)


def axes_table(frame: pd.DataFrame, matrix: pd.DataFrame, probe: Probe) -> str:
    """A matrix prefixed with the axes that vary between its rows, which each table of it repeats."""
    labelled = with_axes(frame, matrix, probe)
    return table(labelled, keep=len(labelled.columns) - len(matrix.columns))


def grid_section(frame: pd.DataFrame, probe: Probe) -> str:
    cases = frame.drop_duplicates("case")
    # A list, not a table: prose in a table is as wide as its longest sentence on one line.
    rows = [
        f"- [{markdown_prose(spec['question'])}](#{escape.anchor(spec['question'])}), "
        f"{int((cases['group'] == group).sum())} cases. *Its user means:* {markdown_prose(probe.intent[group]['means'])} "
        f"*Grid:* {markdown_prose(spec['grid'])}"
        for group, spec in probe.groups.items()
    ]
    legend = [
        f"- {markdown_text(aggregate.symbol(probe, VERDICT, value))}: {markdown_prose(text)}"
        for value, text in probe.aspects[VERDICT]["legend"].items()
    ]
    legend.append(f"- {STATE_SYMBOLS[aggregate.FLAKY]}: {FLAKY_LEGEND}")
    failed = ", ".join(STATE_SYMBOLS[state] for state in FAILURES)
    legend.append(f"- {failed}: the attempt failed and the release has no findings; see *Failed attempts*")
    if frame["last_good_run"].any():
        legend.append(
            "- a column marked *(last good run: DAY)*: the latest attempt failed; it shows the findings of the last "
            "one that succeeded, made on DAY; see *Failed attempts*"
        )
    lead = probe.detail_lead
    legend += ["", "In brackets, the detail behind the verdict:", ""]
    legend += [
        f"- {markdown_text(aggregate.symbol(probe, lead, value))}: {markdown_prose(text)}"
        for value, text in probe.aspects[lead].get("legend", {}).items()
    ]
    present = [TRACKS[track] for track in dict.fromkeys(frame["track"])]
    tracks = " ".join(f"Columns marked{t.suffix} {t.note}." for t in present if t.suffix)
    return "\n".join(
        [
            "## Grid",
            "",
            "Each group of cases answers one question. Every case starts from fresh seeds.",
            "",
            *rows,
            "",
            f"In the matrices, one column stands for a run of consecutive releases that behave the same in every "
            f"case of the table. {tracks}".rstrip(),
            "",
            *legend,
        ]
    )


def cells(rows: pd.DataFrame, probe: Probe) -> pd.Series:
    """What a matrix cell shows: the verdict and why, then in brackets the probe's own matrix aspects that say
    something (the detail behind the verdict; none where it raised, cannot run, or the attempt failed)."""
    lead, *others = (aspect for aspect in probe.matrix_aspects if aspect not in (VERDICT, WHY))
    detail = rows[lead].map(lambda value: aggregate.symbol(probe, lead, value))
    for aspect in others:
        said = rows[aspect].map(lambda value, aspect=aspect: aggregate.symbol(probe, aspect, value))
        detail = detail.where(rows[aspect] == "", detail + " · " + said)
    answer = answers(rows, probe)
    bare = rows[VERDICT].isin([NOT_APPLICABLE, RAISES, *aggregate.BRIDGED])  # nothing behind the verdict to show
    return answer.where(bare, answer + " (" + detail + ")")


def question_section(frame: pd.DataFrame, probe: Probe, group: str, fixes: list[advice.Advice]) -> str:
    """One question's matrix: each cell the verdict and why, then the detail; what to do where it does not work."""
    rows = frame[frame["group"] == group]
    matrix = aggregate.release_ranges(rows.assign(cell=cells(rows, probe)), "cell")
    shown = [aspect for aspect in probe.compared_aspects if probe.aspects[aspect].get("matrix")]
    changes = aggregate.change_points(rows, probe, shown)
    question, means = probe.groups[group]["question"], probe.intent[group]["means"]
    lines = [f"## {markdown_prose(question)}", "", f"*What its user means:* {markdown_prose(means)}", ""]
    lines += folded([change_line(c, probe) for c in changes], counted(changes, probe)) or [
        "No change between releases."
    ]
    if fixes:
        on = [(markdown_text(advice.spans(found.where)), markdown_prose(found.said())) for found in fixes]
        lines += ["", *[f"- *What to do* on {where}: {said}" for where, said in on]]
    return "\n".join([*lines, "", axes_table(rows, matrix, probe)])


def disagreements_section(frame: pd.DataFrame, probe: Probe, across: str) -> str:
    """Where the tracks (the backends) disagree on the same release, case by case."""
    matrix = aggregate.disagreements(frame.assign(cell=cells(frame, probe)), "cell", VERDICT)
    lines = [
        f"## Where the {across} disagree",
        "",
        f"For each release probed on more than one of the {across}, the cases whose outcome differs between them, "
        f"each {across.removesuffix('s')}'s outcome in the cell (an empty cell: they agree). A failed attempt, a "
        "flaky outcome or a case not applicable on one of them takes no part.",
        "",
    ]
    if matrix.empty:
        return "\n".join([*lines, f"The {across} agree in every case."])
    # A table per question: each shows only its own axes, so that it fits beside the outcomes.
    group_of = frame.drop_duplicates("case").set_index("case")["group"]
    for group, spec in probe.groups.items():
        mine = [case for case in matrix.index if group_of[case] == group]
        if mine:
            lines += [
                f"*{markdown_prose(spec['question'])}*",
                "",
                axes_table(frame, matrix.loc[mine].map(track_lines), probe),
                "",
            ]
    return "\n".join(lines).rstrip("\n")


def track_lines(cell: str) -> str:
    """A disagreement's cell, one track a line, each folded at spaces: the table fits beside many axes."""
    folded = [part for line in cell.split("\n") for part in textwrap.wrap(line, CELL_LINE)]
    return "<br>".join(markdown_text(part) for part in folded)


def warnings_section(warned: dict[str, list[str]]) -> str:
    """The warnings about ``trainable`` the framework gave, and in which releases."""
    lines = [
        f"## Warnings about `{WATCHED}`",
        "",
        f"What the framework warned, in any case, where the warning's first line mentions `{WATCHED}` (the "
        "releases whose cases were given it; the results hold every warning, case by case).",
        "",
    ]
    lines += [
        f"- {markdown_text(text[:300])}: {', '.join(markdown_text(s) for s in spans)}" for text, spans in warned.items()
    ]
    return "\n".join(lines)


def aspect_section(frame: pd.DataFrame, probe: Probe, aspect: str) -> str:
    """An aspect shown apart from the question matrices, over the groups its section names."""
    spec = probe.aspects[aspect]["section"]
    rows = frame[frame["group"].isin(spec["groups"])]
    shown = rows[spec["cell"]].where(rows[aspect] != aggregate.FLAKY, aggregate.FLAKY).map(markdown_text)
    matrix = aggregate.release_ranges(rows.assign(shown=shown), "shown")
    title, text = markdown_prose(spec["title"]), markdown_prose(spec["text"])
    return "\n".join([f"## {title}", "", text, "", axes_table(rows, matrix, probe)])


def releases_section(results: list[Result], dates: aggregate.ReleaseDates) -> str:
    rows = []
    for result in results:
        good = findings(result)
        env = (good or result)["environment"]
        statuses = [case["status"] for case in good["cases"]] if good else []
        row = {
            "release": markdown_text(aggregate.release_label(result)),
            "distribution": markdown_text(result["release"]["distribution"]),
            "released": aggregate.released_on(dates, result) or "-",
            "Python": markdown_text(env.get("python", result["release"]["python"])),
            "Keras": markdown_text(env.get("keras", "-")),
            **{name: markdown_text(text) for name, text in KINDS[result["kind"]].release_columns(result, env).items()},
            "numpy": markdown_text(env.get("numpy", env["packages"].get("numpy", "-"))),
            "resolved as of": markdown_text(env["resolved_as_of"]),
        }
        rows.append(
            {
                **row,
                "cases": ", ".join(f"{statuses.count(s)} {s}" for s in CaseStatus if s in statuses)
                or f"none: **{result['status']}**",
                "note": "; ".join(
                    [
                        *(["graph mode by default; probe enabled eager"] if env.get("eager_enabled_by_probe") else []),
                        *(
                            [f"findings of the last good run ({day(kept)}); the latest attempt failed"]
                            if (kept := result["last_good"])
                            else []
                        ),
                        *([f"also installed {', '.join(env['also_installed'])}"] if env.get("also_installed") else []),
                    ]
                ),
            }
        )
    return "\n".join(["## Releases", "", table(pd.DataFrame(rows).fillna("-"))])  # a column of another kind: "-"
