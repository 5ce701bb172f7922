from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conftest import PROBES, RECORDED, ROOT
from tfmatrix import catalog, explanations, picture, probes, results, summary

SVG = "{http://www.w3.org/2000/svg}"
REPORTS = ("freeze-matrix.md", "freeze-keras3-matrix.md")
DATES = {"tensorflow": {"1.15.5": "2021-01-06"}, "keras": {"3.4.1": "2024-06-26"}}


@pytest.fixture(scope="module")
def recorded_summary() -> dict[str, Any]:
    """The summary of every recorded result, both views, with the upload days of two releases."""
    known = probes.load_all(PROBES)
    loaded = results.load_all(RECORDED, catalog.load(ROOT / "catalog.toml", dt.date.today()), known)
    return summary.build(loaded, known, explanations.load(ROOT / "explanations.toml", known), DATES)


@pytest.fixture
def document(recorded_summary: dict[str, Any]) -> dict[str, Any]:
    """A copy of it, for one test to change (building it again takes seconds)."""
    return copy.deepcopy(recorded_summary)


def texts(svg: str) -> list[str]:
    """Every text the picture draws, in drawing order (a wrapped label is one text per line)."""
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")]


def shown_in(document: dict[str, Any], report: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The questions and environments the report shows, found as the report writer does."""
    questions = [q for q in document["questions"] if any(r.startswith(f"{report}#") for r in q["reports"].values())]
    kinds = {kind for q in questions for kind, r in q["reports"].items() if r.startswith(f"{report}#")}
    return questions, [env for env in document["environments"] if env["kind"] in kinds]


@pytest.mark.parametrize("report", REPORTS)
def test_the_picture_is_svg(document: dict[str, Any], report: str) -> None:
    root = ET.fromstring(picture.timeline(document, report))
    assert root.tag == f"{SVG}svg"
    _, environments = shown_in(document, report)
    columns = len(environments) * picture.CELL_WIDTH * 72  # points
    assert float(root.attrib["width"].removesuffix("pt")) > columns  # a column per environment, not a thumbnail


@pytest.mark.parametrize("report", REPORTS)
def test_every_question_is_a_row_and_no_other(document: dict[str, Any], report: str) -> None:
    drawn = " ".join(texts(picture.timeline(document, report)))
    questions, environments = shown_in(document, report)
    ids = {env["id"] for env in environments}
    answered = [q for q in document["questions"] if any(ids & set(by_env) for by_env in q["cases"].values())]
    assert questions == [q for q in answered if q["probe"] == "freeze"]  # the freeze questions this view has cases of
    for question in questions:
        assert " ".join(question["question"].split()) in drawn
    assert "callback unfroze" not in drawn  # the callback report's question


@pytest.mark.parametrize("report", REPORTS)
def test_every_environment_is_a_column_named_by_label_and_date(document: dict[str, Any], report: str) -> None:
    drawn = texts(picture.timeline(document, report))
    _, environments = shown_in(document, report)
    dated = {env["label"]: f"{env['label']} · {env['released_on']}" for env in environments if env["released_on"]}
    assert len({day.split(" · ")[1] for day in dated.values()}) == 1
    assert {dated.get(env["label"], env["label"]) for env in environments} <= set(drawn)
    assert {env["track_title"] for env in environments} <= set(drawn)
    others = {env["label"] for env in document["environments"]} - {env["label"] for env in environments}
    assert others
    assert not others & {text.split(" · ")[0] for text in drawn}


def test_no_emoji_is_drawn(document: dict[str, Any]) -> None:
    for report in REPORTS:
        assert all(ord(char) < 0x2000 for text in texts(picture.timeline(document, report)) for char in text)


def test_the_same_document_gives_the_same_bytes(document: dict[str, Any]) -> None:
    first = picture.timeline(document, "freeze-matrix.md")
    assert picture.timeline(copy.deepcopy(document), "freeze-matrix.md") == first


def test_the_same_bytes_in_a_fresh_process_whatever_its_matplotlibrc(document: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(document), encoding="utf-8")
    config = tmp_path / "mplconfig"  # a fresh font cache too
    config.mkdir()
    (config / "matplotlibrc").write_text(
        "font.size: 20\nfont.family: serif\nsvg.fonttype: path\nsvg.hashsalt: other\nlines.linewidth: 7\n",
        encoding="utf-8",
    )
    script = (
        "import json, sys; from pathlib import Path; from tfmatrix import picture; "
        "document = json.loads(Path(sys.argv[1]).read_text(encoding='utf-8')); "
        "Path(sys.argv[2]).write_bytes(picture.timeline(document, 'freeze-matrix.md').encode())"
    )
    env = {"MPLCONFIGDIR": str(config), "PYTHONHASHSEED": "12345", "LC_ALL": "C", "TZ": "Pacific/Kiritimati"}
    command = [sys.executable, "-c", script, str(tmp_path / "summary.json"), str(tmp_path / "picture.svg")]
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert (tmp_path / "picture.svg").read_bytes() == picture.timeline(document, "freeze-matrix.md").encode()


def test_a_changed_outcome_changes_the_picture(document: dict[str, Any]) -> None:
    before = picture.timeline(document, "freeze-matrix.md")
    changed = copy.deepcopy(document)
    seed = next(q for q in changed["questions"] if q["id"] == "freeze/seed")
    assert seed["outcomes"]["tensorflow-cpu-2.1.0"] == {"✅ works": 4, "❌ silently wrong": 4}
    seed["outcomes"]["tensorflow-cpu-2.1.0"] = {"✅ works": 5, "❌ silently wrong": 3}
    assert picture.timeline(changed, "freeze-matrix.md") != before
    seed["outcomes"]["tensorflow-cpu-2.1.0"] = {"✅ kept": 4, "❌ no effect": 4}  # only the categories are drawn
    assert picture.timeline(changed, "freeze-matrix.md") == before


def test_a_failed_attempt_is_drawn_hatched_and_explained(document: dict[str, Any]) -> None:
    assert "attempt failed" not in texts(picture.timeline(document, "freeze-matrix.md"))
    failed = copy.deepcopy(document)
    for question in failed["questions"]:
        question["outcomes"]["tensorflow-cpu-2.1.0"] = {"⛔ install-failed": 1}
    svg = picture.timeline(failed, "freeze-matrix.md")
    assert "attempt failed" in texts(svg)
    hatch = ET.fromstring(svg).find(f".//{SVG}pattern")
    assert hatch is not None
    assert f'style="fill: url(#{hatch.attrib["id"]})"' in svg
    assert {rect.attrib["fill"] for rect in hatch.iter(f"{SVG}rect")} == {"#333333"}


def test_change_points_are_marked(document: dict[str, Any]) -> None:
    svg = picture.timeline(document, "freeze-matrix.md")
    assert picture.CHANGE in texts(svg)
    unexplained = {**document, "change_points": []}
    assert picture.CHANGE not in texts(picture.timeline(unexplained, "freeze-matrix.md"))


def test_a_report_the_summary_does_not_show_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"nothing-matrix\.md"):
        picture.timeline(document, "nothing-matrix.md")


@pytest.mark.parametrize(
    ("outcome", "lead"),
    [
        ("✅ works", "✅"),
        ("❌ silently wrong", "❌"),
        ("💥 raises", "💥"),
        ("❔ no evidence", "❔"),
        ("⛔ install-failed", "⛔"),
        ("n/a", "n/a"),
    ],
)
def test_verdicts_are_told_apart_by_their_lead(outcome: str, lead: str) -> None:
    assert picture.category(outcome) == lead


SHOWN_AT = 900  # px: the width of a report on GitHub, where the picture is shown at most this wide


@pytest.mark.parametrize("path", sorted((ROOT / "reports").glob("*.svg")), ids=lambda path: path.name)
def test_every_label_is_at_least_10_px_where_the_picture_is_shown(path: Path) -> None:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    width_pt = float(root.attrib["width"].removesuffix("pt"))
    units = float(root.attrib["viewBox"].split()[2])
    px_per_unit = min(SHOWN_AT, width_pt * 4 / 3) / units
    sizes = [
        float(re.search(r"font-size: ([\d.]+)px", element.attrib["style"])[1])  # type: ignore[index]
        for element in root.iter(f"{SVG}text")
    ]
    assert sizes
    assert min(sizes) * px_per_unit >= 10
