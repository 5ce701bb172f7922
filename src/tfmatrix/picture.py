"""The matrix summary -> one SVG picture per report: every question across releases, coloured by verdict.

Rows are the report's questions, columns its environments in the report's order, grouped by track.
A cell is split top to bottom in proportion to how many of the question's cases had each verdict;
a black bar on a cell's left edge marks a change point the report explains.
"""

from __future__ import annotations

import io
import itertools
import textwrap
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.style
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# What an outcome's text starts with -> (legend text, Okabe-Ito colour, hatch). The palette stays apart under
# the common colour blindnesses; the hatch tells failed attempts from n/a in greyscale. Order: a cell's, top down.
CATEGORIES = {
    "✅": ("works", "#009E73", ""),
    "❌": ("silently wrong", "#D55E00", ""),
    "💥": ("raises", "#CC79A7", ""),
    "❔": ("no evidence", "#56B4E9", "...."),
    "🎲": ("flaky", "#F0E442", ""),
    "⛔": ("attempt failed", "#333333", "////"),
    "n/a": ("not applicable", "#DDDDDD", ""),
}
OTHER = "n/a"  # an outcome without a known lead (a probe's raw value) says nothing about behaviour either
CHANGE = "behaviour changed here"
# Inches: a column holds one rotated line of tick label, a row three lines of its question. Small enough that
# the picture of the widest report (38 columns) is shown at its own size in a report (900 px): text at 8 pt
# is then 10.7 px.
CELL_WIDTH, ROW_HEIGHT = 0.16, 0.45
FONT_SIZE = 8  # points
TRACK_GAP = 0.8  # in columns
# The user's matplotlibrc must not change the picture: styles start from the defaults, then these.
RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "tfmatrix",  # ids of clip paths and hatches: the same in every run
    "svg.fonttype": "none",  # text stays text: small, searchable, and the viewer's fonts draw it
    "font.family": "DejaVu Sans",  # ships with matplotlib, so layout is the same on every machine
    "font.size": FONT_SIZE,
    "hatch.linewidth": 1.0,
}


def category(outcome: str) -> str:
    """The lead of the category an outcome's text belongs to."""
    return next((lead for lead in CATEGORIES if outcome.startswith(lead)), OTHER)


def report_of(target: str) -> str:
    """The report file a ``file.md#anchor`` reference points into."""
    return target.partition("#")[0]


def columns(environments: list[dict[str, Any]]) -> tuple[dict[str, float], list[tuple[str, float, float]]]:
    """Each environment's left edge, and each track's (title, left, right), with a gap between tracks."""
    lefts: dict[str, float] = {}
    tracks = []
    x = 0.0
    for _, group in itertools.groupby(environments, key=lambda env: env["track"]):
        members = list(group)
        start = x
        for env in members:
            lefts[env["id"]] = x
            x += 1
        tracks.append((members[0]["track_title"], start, x))
        x += TRACK_GAP
    return lefts, tracks


def timeline(document: dict[str, Any], report: str) -> str:
    """The SVG text of the picture of the report file ``report`` (e.g. ``freeze-matrix.md``)."""
    questions = [q for q in document["questions"] if any(report_of(r) == report for r in q["reports"].values())]
    kinds = {kind for q in questions for kind, target in q["reports"].items() if report_of(target) == report}
    environments = [env for env in document["environments"] if env["kind"] in kinds]
    if not environments:
        message = f"{report}: the summary has no question with an environment shown there"
        raise ValueError(message)
    lefts, tracks = columns(environments)
    rows = {q["id"]: row for row, q in enumerate(questions)}
    width = tracks[-1][2]
    with matplotlib.style.context("default"), mpl.rc_context(RC):
        figure = Figure(figsize=((width + 0.4) * CELL_WIDTH, len(questions) * ROW_HEIGHT))
        axes = figure.add_axes((0, 0, 1, 1))
        seen: set[str] = set()
        for question in questions:
            for env in environments:
                counts: dict[str, int] = {}
                for outcome, count in question["outcomes"].get(env["id"], {}).items():
                    counts[category(outcome)] = counts.get(category(outcome), 0) + count
                top, total = rows[question["id"]] + 0.06, sum(counts.values())
                for lead in (lead for lead in CATEGORIES if counts.get(lead)):
                    height = 0.88 * counts[lead] / total
                    _, colour, hatch = CATEGORIES[lead]
                    left = lefts[env["id"]] + 0.08
                    # The edge colour is the hatch's: white lines on dark grey, and no outline.
                    axes.bar(left, height, 0.84, top, align="edge", color=colour, hatch=hatch, edgecolor="white", lw=0)
                    top += height
                    seen.add(lead)
        marks = {
            (rows[q], lefts[first["environment"]])
            for change in document["change_points"]
            if report_of(change["report"]) == report
            for first in change["first_seen"]
            if first["environment"] in lefts
            for q in change["questions"]
            if q in rows
        }
        for row, left in sorted(marks):
            axes.plot([left + 0.04] * 2, [row + 0.02, row + 0.98], color="black", linewidth=3, solid_capstyle="butt")
        axes.set_xlim(-0.2, width + 0.2)
        axes.set_ylim(len(questions), -0.02)  # the first question on top
        axes.set_yticks(
            [row + 0.5 for row in rows.values()],
            [textwrap.fill(q["question"], 40) for q in questions],
            parse_math=False,
        )
        labels = [" · ".join(filter(None, (env["label"], env["released_on"]))) for env in environments]
        axes.set_xticks([lefts[env["id"]] + 0.5 for env in environments], labels, rotation=90, parse_math=False)
        axes.tick_params(length=0)
        axes.set_frame_on(False)
        level, taken = 0, -width  # taken: where the title before ends
        for title, start, end in tracks:
            # A title is as wide as its bold characters (0.6 em each). One that would run past the picture's end
            # ends with its track; one that would run into the title before it goes a level higher.
            long = len(title) * 0.6 * FONT_SIZE / 72 / CELL_WIDTH
            left = min(start + 0.08, width - 0.08 - long)
            level = 1 - level if left < taken + 0.5 else 0
            taken = left + long
            y = -0.1 - 0.45 * level  # a rule under the title spans the track's columns
            axes.plot([start + 0.08, end - 0.08], [y, y], color="#555555", linewidth=1, clip_on=False)
            axes.text(left, y - 0.05, title, ha="left", va="bottom", weight="bold", parse_math=False)
        handles: list[Artist] = [
            Patch(facecolor=colour, hatch=hatch, edgecolor="white", linewidth=0, label=name)
            for lead, (name, colour, hatch) in CATEGORIES.items()
            if lead in seen
        ]
        handles += [Line2D([], [], color="black", linewidth=3, label=CHANGE)] if marks else []
        # Under the row labels, beside the rotated column labels: the one corner nothing else uses.
        axes.legend(handles=handles, loc="upper right", bbox_to_anchor=(-0.01, -0.01), frameon=False)
        out = io.StringIO()
        figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "tfmatrix"})
    return out.getvalue()
