from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import RECORDED

from tfmatrix import aggregate, catalog, results

COMPILE_THEN_FREEZE = [
    f"{api}/{target}/compile_then_freeze/train_on_batch"
    for api in ("sequential", "functional")
    for target in ("model", "layer")
]


@pytest.fixture
def loaded(releases: list[catalog.Release]) -> list[results.Result]:
    return results.load_all(RECORDED, releases)


def by_version(loaded: list[results.Result], version: str) -> results.Result:
    return next(r for r in loaded if r["release"]["version"] == version)


def case(result: results.Result, case_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(c for c in result["cases"] if c["id"] == case_id))


def test_weights_outcome_on_recorded_cases(loaded: list[results.Result]) -> None:
    tf21, tf216 = by_version(loaded, "2.1.0"), by_version(loaded, "2.16.2")
    assert (
        aggregate.weights_outcome(case(tf21, "sequential/model/freeze_then_compile/train_on_batch")) == aggregate.HELD
    )
    assert (
        aggregate.weights_outcome(case(tf21, "functional/layer/freeze_then_compile/train_on_batch")) == aggregate.HELD
    )
    assert (
        aggregate.weights_outcome(case(tf21, "sequential/model/compile_then_freeze/train_on_batch"))
        == aggregate.IGNORED
    )
    assert (
        aggregate.weights_outcome(case(tf216, "sequential/model/compile_then_freeze/train_on_batch")) == aggregate.HELD
    )


def test_partial_stalled_and_error_outcomes(loaded: list[results.Result]) -> None:
    ignored = case(by_version(loaded, "2.1.0"), "sequential/layer/compile_then_freeze/train_on_batch")
    frozen = [w for w in ignored["weights"] if w["frozen"]]
    assert len(frozen) == 2
    frozen[0]["moved"] = False
    assert aggregate.weights_outcome(ignored) == aggregate.PARTIAL

    held = case(by_version(loaded, "2.1.0"), "sequential/layer/freeze_then_compile/train_on_batch")
    next(w for w in held["weights"] if not w["frozen"])["moved"] = False
    assert aggregate.weights_outcome(held) == aggregate.STALLED

    held["status"], held["error"] = "error", {"type": "ValueError", "message": "boom"}
    assert aggregate.weights_outcome(held) == aggregate.ERROR


def test_cases_frame_has_one_row_per_release_and_case(loaded: list[results.Result]) -> None:
    frame = aggregate.cases_frame(loaded)
    assert len(frame) == len(loaded) * 8
    assert not frame.duplicated(["release", "case"]).any()
    row = frame[(frame.release == "2.1.0") & (frame.case == COMPILE_THEN_FREEZE[0])].iloc[0]
    assert (row.printed, row.computed) == ("130 / 65 / 65", "65 / 0 / 65")
    assert row.moved == "111111"


def test_change_points_on_recorded_results(loaded: list[results.Result]) -> None:
    changes = aggregate.change_points(aggregate.cases_frame(loaded))
    found = {(c.release, c.previous, c.case, c.aspect, c.before, c.after) for c in changes}
    expected_printed = {
        ("2.2.3", "2.1.4", cid, "printed", before, after)
        for cid, (before, after) in zip(
            COMPILE_THEN_FREEZE,
            [("130 / 65 / 65", "65 / 0 / 65"), ("97 / 65 / 32", "65 / 33 / 32")] * 2,
            strict=True,
        )
    }
    expected_weights = {("2.16.2", "2.15.1", cid, "weights", "ignored", "held") for cid in COMPILE_THEN_FREEZE}
    assert found == expected_printed | expected_weights
    assert [c.release for c in changes] == sorted((c.release for c in changes), key=["2.2.3", "2.16.2"].index)


def test_no_change_points_between_identical_releases(loaded: list[results.Result]) -> None:
    assert aggregate.change_points(aggregate.cases_frame(loaded[:2])) == []  # 2.1.0 and 2.1.4 agree


def test_release_ranges_merge_consecutive_identical_columns(loaded: list[results.Result]) -> None:
    frame = aggregate.cases_frame(loaded)
    weights = aggregate.release_ranges(frame, "weights")
    assert list(weights.columns) == ["2.1.0 – 2.15.1", "2.16.2"]
    assert list(weights.index) == list(frame.drop_duplicates("case")["case"])
    assert weights.loc[COMPILE_THEN_FREEZE[0]].tolist() == ["ignored", "held"]
    printed = aggregate.release_ranges(frame, "printed")
    assert list(printed.columns) == ["2.1.0 – 2.1.4", "2.2.3 – 2.16.2"]


def test_release_ranges_do_not_merge_across_a_difference(loaded: list[results.Result]) -> None:
    # 2.1.0 and 2.16.2 differ; 2.1.4 between them agrees with 2.1.0: ranges follow order, not equality.
    reordered = [by_version(loaded, "2.1.0"), by_version(loaded, "2.16.2"), by_version(loaded, "2.1.4")]
    columns = list(aggregate.release_ranges(aggregate.cases_frame(reordered), "weights").columns)
    assert columns == ["2.1.0", "2.16.2", "2.1.4"]


def test_counts_label() -> None:
    assert aggregate.counts_label(None) == "-"
    assert aggregate.counts_label({"total": 65, "trainable": None, "non_trainable": 65}) == "65 / ? / 65"
