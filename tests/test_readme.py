"""The README is a front page: its grid and probe table are generated from the committed matrix, and
every link in it and in docs/ leads somewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import PROBES, ROOT, github_anchors
from tfmatrix import escape, probes, readme

SUMMARY = json.loads((ROOT / "reports" / "matrix.json").read_text(encoding="utf-8"))
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_generated_sections_are_what_the_committed_matrix_gives() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.rewritten(text, readme.sections(SUMMARY, probes.load_all(PROBES))) == text, (
        "README.md is not what `nox -s report` makes of reports/matrix.json: run it"
    )
    assert "<!-- tfmatrix:grid -->\n| Recipe |" in text


def test_each_row_of_the_grid_is_a_case_of_the_matrix() -> None:
    questions = {q["id"]: q for q in SUMMARY["questions"]}
    for question, case, _ in readme.RECIPES:
        assert case in questions[question]["cases"], (question, case)


def test_a_cell_is_the_cases_verdict_on_that_setup() -> None:
    env = next(e for e in SUMMARY["environments"] if e["id"] == "tensorflow-cpu-2.1.0")
    by_env = next(q for q in SUMMARY["questions"] if q["id"] == "finetune/unfreeze")["cases"]["unfreeze/all/none/fit"]
    fine_tuning = readme.cell(env, by_env)
    verdict = by_env["tensorflow-cpu-2.1.0"]["verdict"]
    assert fine_tuning == f"[{verdict[0]}](reports/page/index.html?tf=2.1.0)"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", link):
            continue
        target, _, anchor = link.split("?")[0].partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {link}"
        if anchor and path.suffix == ".md":
            assert anchor in github_anchors(path.read_text(encoding="utf-8")), f"{page.name}: {link}"


def test_a_matrix_with_some_recipes_or_setups_only_gives_the_grid_it_can() -> None:
    """A checkout probing a few releases or probes (the tests', a fork's) still gets its README written."""
    keras_only = {**SUMMARY, "environments": [e for e in SUMMARY["environments"] if e["kind"] == "keras"]}
    assert "TF " not in readme.grid(keras_only).splitlines()[0]
    freeze_only = {**SUMMARY, "questions": [q for q in SUMMARY["questions"] if q["probe"] == "freeze"]}
    rows = readme.grid(freeze_only).splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [
        f"| {escape.markdown_prose(label)}" for question, _, label in readme.RECIPES if question.startswith("freeze/")
    ]
    nothing = {**SUMMARY, "environments": [], "questions": []}
    assert readme.grid(nothing).startswith("*No probed environment has these recipes yet")
