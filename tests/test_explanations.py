from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import RECORDED, ROOT
from tfmatrix import aggregate, catalog, explanations, render, results
from tfmatrix.errors import InputError

EXPLANATIONS = ROOT / "explanations.toml"


def committed_changes(releases: list[catalog.Release]) -> tuple[list[aggregate.ChangePoint], dict[str, dict[str, str]]]:
    nightly = catalog.load_nightly(ROOT / "catalog.toml", dt.date.today())
    frame = aggregate.cases_frame(results.load_all(ROOT / "reports" / "results", releases, nightly))
    axes = {str(row["case"]): {a: str(row[a]) for a in aggregate.AXES} for _, row in frame.iterrows()}
    return aggregate.change_points(frame), axes


def test_every_explanation_matches_a_committed_change_point(releases: list[catalog.Release]) -> None:
    changes, axes = committed_changes(releases)
    for entry in explanations.load(EXPLANATIONS):
        assert any(entry.explains(c.release, c.aspect, axes[c.case]) for c in changes), entry.summary


def test_every_committed_change_point_is_explained(releases: list[catalog.Release]) -> None:
    changes, axes = committed_changes(releases)
    known = explanations.load(EXPLANATIONS)
    for change in changes:
        assert any(e.explains(change.release, change.aspect, axes[change.case]) for e in known), change


def test_report_groups_change_points_under_their_explanation(releases: list[catalog.Release]) -> None:
    text = render.render(results.load_all(RECORDED, releases), explanations.load(EXPLANATIONS))
    section = text.split("## Change points")[1].split("\n## ")[0]
    # The recorded subset skips 2.0.4, so its BatchNorm change shows at 2.1.0, where no entry explains it.
    unexplained = section.split("### Not yet explained")[1]
    assert unexplained.count("\n- In **2.1.0** (after 1.15.5)") == unexplained.count("\n- In ") == 4
    after_2_16 = section.split("### 2.16.2: ")[1].split("\n### ")[0]
    assert after_2_16.count("→ **✅ held**") == 22
    assert "**What to do:**" in after_2_16
    assert "RespectCompiledTrainableState" in after_2_16


def test_unexplained_change_points_are_listed_as_such(releases: list[catalog.Release]) -> None:
    text = render.render(results.load_all(RECORDED, releases), [])
    section = text.split("### Not yet explained")[1].split("\n## ")[0]
    assert section.count("\n- In ") == 78


def test_explanation_matches_release_aspect_and_axes() -> None:
    entry = explanations.Explanation("2.2.3", "printed", {"order": "compile_then_freeze"}, "s", "a", ("e",))
    axes = {"api": "sequential", "target": "model", "order": "compile_then_freeze", "train_api": "train_on_batch"}
    assert entry.explains("2.2.3", "printed", axes)
    assert not entry.explains("2.2.3", "weights", axes)
    assert not entry.explains("2.3.4", "printed", axes)
    assert not entry.explains("2.2.3", "printed", {**axes, "order": "freeze_then_compile"})


GOOD = """[[explanation]]
release = "2.2.3"
aspect = "printed"
cases = { order = "compile_then_freeze" }
summary = "s"
advice = "a"
evidence = ["e"]
"""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace('aspect = "printed"', 'aspect = "colour"'), "explanation[0].aspect"),
        (GOOD.replace('advice = "a"\n', ""), "explanation[0].advice"),
        (GOOD.replace('evidence = ["e"]', "evidence = []"), "explanation[0].evidence"),
        (GOOD.replace('summary = "s"', 'summary = ""'), "explanation[0].summary"),
        (GOOD + "url = 'x'\n", "explanation[0].url"),
        (GOOD.replace("cases = { order", "cases = { n = 1, order"), "explanation[0].cases"),
    ],
)
def test_bad_explanations_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "explanations.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="^" + re.escape(f"{path}: {field}: ")):
        explanations.load(path)
