from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, load_recorded, unfolded
from tfmatrix import aggregate, explanations, probes, render, results
from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

EXPLANATIONS = ROOT / "explanations.toml"
Changes = list[tuple[str, aggregate.ChangePoint, dict[str, str]]]


def committed_changes(variants: list[Variant], known: dict[str, probes.Probe]) -> Changes:
    """(probe, change point, the case's axes) for every change point of the committed results."""
    loaded = results.load_all(ROOT / "reports" / "results", variants, known)
    found = []
    for name, probe in known.items():
        frame = aggregate.cases_frame(loaded, probe)
        axes = {str(row["case"]): {a: str(row[a]) for a in probe.axes} for _, row in frame.iterrows()}
        found += [(name, c, axes[c.case]) for c in aggregate.change_points(frame, probe)]
    return found


def test_every_explanation_matches_a_committed_change_point(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    changes = committed_changes(variants, known)
    for entry in explanations.load(EXPLANATIONS, known):
        for release in entry.releases:  # each release it names
            assert any(
                p == entry.probe and c.release == release and entry.explains(c.release, c.aspect, a)
                for p, c, a in changes
            ), (release, entry.summary)


def test_every_committed_change_point_is_explained(variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    """A verdict that changed along with an aspect is explained as that aspect's change is."""
    entries = explanations.load(EXPLANATIONS, known)
    changes = committed_changes(variants, known)
    for name, probe in known.items():
        mine = [(c, axes) for p, c, axes in changes if p == name]
        axes = {c.case: a for c, a in mine}
        found = aggregate.explanations_of([c for c, _ in mine], axes, [e for e in entries if e.probe == name], probe)
        unexplained = [change for change, explanation in found.items() if explanation is None]
        assert unexplained == [], unexplained[:3]


def test_report_groups_change_points_under_their_explanation(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    text = unfolded(
        render.render(load_recorded(variants, known), known["freeze"], explanations.load(EXPLANATIONS, known))
    )
    section = text.split("## Change points")[1].split("\n## ")[0]
    # The recorded subset skips 2.0.4, so its BatchNorm change shows at 2.1.0, where no entry explains it.
    unexplained = section.split("### Not yet explained")[1]
    assert unexplained.count("\n- In **2.1.0** (after 1.15.5)") == 4
    # Recorded before the probe built its models first: on 2.16.2 a nested model's head was never recorded, so
    # those verdicts turn to no evidence, with no aspect changing along: flagged, never explained away.
    unseen = [line for line in unexplained.splitlines() if line.endswith("verdict: ✅ works → **❔ no evidence**")]
    assert len(unseen) == unexplained.count("\n- In ") - 4 == 2
    after_2_16 = section.split("### 2.16.2: ")[1].split("\n### ")[0]
    weights = [line for line in after_2_16.splitlines() if line.startswith("- In ") and " weights: " in line]
    assert weights
    assert all(line.endswith(("→ **✅ held**", "→ **❌ trained**")) for line in weights)
    assert "**What to do:**" in after_2_16
    assert "RespectCompiledTrainableState" in after_2_16


def test_unexplained_change_points_are_listed_as_such(variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    explained = render.render(load_recorded(variants, known), known["freeze"], explanations.load(EXPLANATIONS, known))
    text = render.render(load_recorded(variants, known), known["freeze"], [])
    section = text.split("### Not yet explained")[1].split("\n## ")[0]
    listed = explained.split("## Change points")[1].split("\n## ")[0]
    assert section.count("\n- In ") == listed.count("\n- In ") > 0  # the same change points, none explained
    assert "**What to do:**" not in text


def test_explanation_matches_release_aspect_and_axes() -> None:
    entry = explanations.Explanation("freeze", "2.2.3", "printed", {"order": "compile_then_freeze"}, "s", "a", ("e",))
    axes = {"api": "sequential", "target": "model", "order": "compile_then_freeze", "train_api": "train_on_batch"}
    assert entry.explains("2.2.3", "printed", axes)
    assert not entry.explains("2.2.3", "weights", axes)
    assert not entry.explains("2.3.4", "printed", axes)
    assert not entry.explains("2.2.3", "printed", {**axes, "order": "freeze_then_compile"})


GOOD = """[[explanation]]
probe = "freeze"
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
        (GOOD.replace("cases = { order", "cases = { colour"), "explanation[0].cases.colour"),
        (GOOD.replace('probe = "freeze"', 'probe = "thaw"'), "explanation[0].probe"),
        (GOOD.replace('probe = "freeze"\n', ""), "explanation[0].probe"),
    ],
)
def test_bad_explanations_name_the_field(tmp_path: Path, text: str, field: str, known: dict[str, probes.Probe]) -> None:
    path = tmp_path / "explanations.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="^" + re.escape(f"{path}: {field}: ")):
        explanations.load(path, known)
