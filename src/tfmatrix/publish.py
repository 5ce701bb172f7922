"""Results -> every file the report step writes: one markdown report per probe and view, each with its
timeline picture, ``matrix.json`` with its schema, the feed of changes, and the page (``page/``).

Everything is made in memory first; the caller writes each file atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tfmatrix import feed, lookup, page, picture, render, summary
from tfmatrix import readme as frontpage
from tfmatrix.errors import InputError
from tfmatrix.explanations import Explanation
from tfmatrix.probes import Probe
from tfmatrix.results import Result, schema_text
from tfmatrix.vocabulary import pinpoint_key

MATRIX = "matrix.json"
MATRIX_SCHEMA = lookup.SCHEMA
FEED = "changes.atom"
MATRIX_FILES = (MATRIX, MATRIX_SCHEMA)


def previous_summary(path: Path) -> summary.Summary | None:
    """The summary the last report step wrote, to tell what changed since; None where there is none."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, "", f"cannot be read: {exc}: delete it, the report step writes it again") from None
    if not isinstance(document, dict):
        raise InputError(path, "", "cannot be read: expected a JSON object: delete it, the report step writes it again")
    if document.get("schema_version") != summary.SCHEMA_VERSION:
        return None  # of another schema: the feed starts from what is known now, and adds no false flips
    return lookup.checked(path, document)  # checked as any reader checks it: a broken one is an InputError


def files(
    out_dir: Path,
    results: list[Result],
    probes: Mapping[str, Probe],
    known: Sequence[Explanation],
    dates: summary.ReleaseDates,
    day: str,
    verdicts: Mapping[str, dict[str, Any]] | None = None,
    readme: Path | None = None,
) -> tuple[dict[Path, str], list[str]]:
    """Every file of ``out_dir`` the report step writes, and its text, the reports first; and what was wrong
    with a file it mended (a broken feed).

    ``verdicts`` are what ``nox -s pinpoint`` found: the change points name their first release. ``readme``
    (where it exists) gets its generated sections anew.
    """
    document = summary.build(results, probes, known, dates, verdicts)
    pinpointed = {
        pinpoint_key(change["id"], seen["environment"]): seen["pinpointed"]
        for change in document["change_points"]
        for seen in change["first_seen"]
        if seen["pinpointed"]
    }
    drawn = {q_report.split("#")[0] for q in document["questions"] for q_report in q["reports"].values()}
    made: dict[Path, str] = {}
    for probe in probes.values():
        for name, mine in render.views(results, probe).items():
            svg = name.removesuffix(".md") + ".svg" if name in drawn else ""  # no findings: nothing to draw
            made[out_dir / name] = render.render(mine, probe, known, dates, picture=svg, pinpointed=pinpointed)
            if svg:
                made[out_dir / svg] = picture.timeline(document, name)
    # The feed before matrix.json: were it lost, the next run still finds the same changes to add.
    previous = previous_summary(out_dir / MATRIX)
    entries, problems = feed.update(out_dir / FEED, previous, document, day)
    made[out_dir / FEED] = feed.render(entries)
    made[out_dir / MATRIX] = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    made.update({out_dir / page.FOLDER / name: text for name, text in page.files(document, dates).items()})
    if readme is not None and readme.is_file():
        made[readme] = frontpage.rewritten(readme.read_text(encoding="utf-8"), frontpage.sections(document, probes))
    made[out_dir / MATRIX_SCHEMA] = schema_text(MATRIX_SCHEMA)
    return made, problems
