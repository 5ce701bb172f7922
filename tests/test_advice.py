"""Verdicts and advice held to the data: a ✅ only where the recipe did what its user means, a fix labelled
verified only where a probed case doing it works, and a "what to do" for every cell that does not work."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, PROBES, ROOT, table_rows, unfolded
from tfmatrix import advice, aggregate, probes, render, results
from tfmatrix.kinds import KINDS, report_name
from tfmatrix.variant import Variant

GOLDEN = DATA / "golden"
VERDICTS = DATA / "verdicts"  # results of the probes as they judge verdicts now, from a real run (README there)


def every_fix(matrix: dict[str, Any]) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    return [(q, env, fix) for q in matrix["questions"] for env, fixes in q["fixes"].items() for fix in fixes]


@pytest.mark.parametrize("matrix_path", [GOLDEN / "matrix.json", ROOT / "reports" / "matrix.json"])
def test_a_fix_labelled_verified_is_a_case_that_works_there(matrix_path: Path) -> None:
    matrix = json.loads(matrix_path.read_text(encoding="utf-8"))
    by_probe: dict[str, dict[str, dict[str, Any]]] = {}
    for question in matrix["questions"]:
        by_probe.setdefault(question["probe"], {}).update(question["cases"])
    checked = 0
    for question, env, fix in every_fix(matrix):
        if fix["status"] == "verified":
            assert fix["cases"], fix
            for case in fix["cases"]:
                assert by_probe[question["probe"]][case][env]["verdict"] == "✅ works", (question["id"], env, fix)
                checked += 1
        else:
            assert fix["status"] in ("unverified", "no fix"), fix  # one environment: all of it, or none
            assert not fix["cases"], fix
    assert checked > 100


@pytest.mark.parametrize("matrix_path", [GOLDEN / "matrix.json", ROOT / "reports" / "matrix.json"])
def test_every_environment_where_a_case_does_not_work_has_a_fix(matrix_path: Path) -> None:
    matrix = json.loads(matrix_path.read_text(encoding="utf-8"))
    for question in matrix["questions"]:
        for env, counts in question["outcomes"].items():
            failing = {v for v in counts if v.startswith(("❌", "💥", "❔"))}
            assert bool(failing) == bool(question["fixes"].get(env)), (question["id"], env, counts)


@pytest.mark.parametrize("matrix_path", [GOLDEN / "matrix.json", ROOT / "reports" / "matrix.json"])
def test_each_fix_names_the_cases_it_is_for_and_every_case_that_does_not_work_has_one(matrix_path: Path) -> None:
    """A fix verified on other cases is not a fix for the reader's: every fix says which failing cases it is
    for, and those are exactly the cases that do not work there, each under one fix."""
    matrix = json.loads(matrix_path.read_text(encoding="utf-8"))
    checked = 0
    for question in matrix["questions"]:
        for env, fixes in question["fixes"].items():
            failing = [
                c for c, by_env in question["cases"].items() if env in by_env and by_env[env]["verdict"][0] in "❌💥❔"
            ]
            named = [case for fix in fixes for case in fix["for"]]
            assert all(fix["for"] for fix in fixes), (question["id"], env)
            assert sorted(named) == sorted(failing), (question["id"], env)
            checked += len(named)
    assert checked > 500


def glance_rows(report: str) -> list[dict[str, str]]:
    glance = report.split("## At a glance", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    header, *rows = table_rows(glance)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("directory", [GOLDEN, ROOT / "reports"])
def test_every_cell_at_a_glance_that_does_not_work_has_what_to_do(directory: Path) -> None:
    reports = sorted(directory.glob("*-matrix.md"))
    assert {path.name for path in reports} == {report_name(n, kind) for n in probes.names(PROBES) for kind in KINDS}
    for path in reports:
        rows = glance_rows(path.read_text(encoding="utf-8"))
        for row in rows:
            cells = [cell for name, cell in row.items() if name not in ("question", "what to do")]
            failing = [cell for cell in cells if any(mark in cell for mark in ("❌", "💥", "❔"))]
            assert not failing or row["what to do"] != "—", (path.name, row["question"])
            numbers = row["what to do"]
            if numbers != "—":
                assert all(n.strip().startswith("[") for n in numbers.split(",")), numbers


def test_the_faq_gan_on_keras_3_reads_silently_wrong_with_its_verified_fix() -> None:
    report = unfolded((GOLDEN / "gan-keras3-matrix.md").read_text(encoding="utf-8"))
    [row] = glance_rows(report)
    releases = [name for name in row if name not in ("question", "what to do")]
    working = [name for name in releases if not name.startswith("3.6.0")]  # 3.6 raises in every case
    assert all(row[name] == "✅ works 2 · ❌ silently wrong 4" for name in working), row
    said = report.split("### What to do", 1)[1].split("\n## ", 1)[0]
    assert "Set `discriminator.trainable = True` before its own step" in said
    assert "Verified: `toggle/false`, `toggle/true` work on 3.4.1 tensorflow" in said


def verdict_results(variants: list[Variant], known: dict[str, probes.Probe], probe: str) -> list[results.Result]:
    return results.load_paths(sorted((VERDICTS / probe).glob("*.json")), variants, known)


def test_a_case_whose_discriminator_never_learns_is_never_works(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """Keras 3.8 on jax, the FAQ's recipe: no discriminator weight moves in any discriminator step."""
    gan = known["gan"]
    [result] = verdict_results(variants, known, "gan")
    faq = next(c for c in result["cases"] if c["id"] == "faq/false")
    own_steps = [
        w for s in faq["steps"] if s["step"] == "discriminator" for w in s["weights"] if w["model"] == "discriminator"
    ]
    assert own_steps
    assert not any(w["moved"] for w in own_steps)
    judged = gan.judge(faq)
    assert (judged["verdict"], judged["why"]) == ("silently wrong", "the discriminator does not learn in its own step")
    assert judged["discriminator_in_gan"] == "held"  # the aspect the cells led with before: it alone said ✅
    frame = aggregate.cases_frame([result], gan)
    cell = render.cells(frame[frame["case"] == "faq/false"], gan).iloc[0]
    assert cell.startswith("❌ silently wrong: the discriminator does not learn in its own step")
    learned = copy.deepcopy(faq)  # had the discriminator learned in its own step, the recipe would work
    for step in learned["steps"]:
        for weight in step["weights"]:
            if step["step"] == "discriminator" and weight["model"] == "discriminator":
                weight["moved"] = True
    assert gan.judge(learned)["verdict"] == "works"
    fixes = advice.Fixes(frame, gan).for_run("recipe", [0])
    assert [(f.do.split(" before")[0], f.status, f.shown_by) for f in fixes] == [
        (
            "Set `discriminator.trainable = True`",
            "verified",
            ("toggle/false", "toggle/true", "toggle/false/fit", "toggle/true/fit"),
        )
    ]


def test_a_weight_with_a_zero_gradient_is_no_evidence(variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    """Keras 3.0.5 on jax: the Dense bias feeding a BatchNormalization in training mode moves by float noise
    alone; whether it moved (it may not, on another CPU) changes no verdict and no aspect."""
    finetune = known["finetune"]
    [result] = verdict_results(variants, known, "finetune")
    for case in (c for c in result["cases"] if c["status"] == "ok"):
        noise = [w for w in case["weights"] if w["path"].endswith("/dense/bias")]
        assert len(noise) == 1, case["id"]
        judged = finetune.judge(case)
        flipped = copy.deepcopy(case)
        next(w for w in flipped["weights"] if w["path"].endswith("/dense/bias"))["moved"] ^= True
        assert finetune.judge(flipped) == judged, case["id"]


def test_weights_a_judgement_needs_are_recorded_on_keras_3_0(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """Keras 3.0-3.4 build a Sequential whose first layer is a model only in fit(): the probe builds it first,
    so the head's weights are recorded (they were not before) and no case is judged on nothing."""
    callback = known["callback"]
    [result] = verdict_results(variants, known, "callback")
    for case in (c for c in result["cases"] if c["status"] == "ok"):
        assert len(case["weights"]) == 6, case["id"]  # the base's two Dense layers and the head
        assert callback.judge(case)["verdict"] != "no evidence"
