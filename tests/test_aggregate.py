from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from conftest import RECORDED
from tfmatrix import aggregate, catalog, results

SEED_COMPILE_THEN_FREEZE = [
    f"{api}/{target}/compile_then_freeze/train_on_batch"
    for api in ("sequential", "functional")
    for target in ("model", "layer")
]


@pytest.fixture
def loaded(releases: list[catalog.Release]) -> list[results.Result]:
    return results.load_all(RECORDED, releases)


def by_label(loaded: list[results.Result], label: str) -> results.Result:
    return next(r for r in loaded if aggregate.release_label(r) == label)


def case(result: results.Result, case_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(c for c in result["cases"] if c["id"] == case_id))


def timing(order: str, train_api: str, run_eagerly: str = "false") -> str:
    return f"sequential/layer/{order}/{train_api}/dense/adam/{run_eagerly}"


def test_release_labels_name_the_tf_keras_variant(loaded: list[results.Result]) -> None:
    labels = [aggregate.release_label(r) for r in loaded]
    assert labels == ["1.15.5", "2.1.0", "2.1.4", "2.2.3", "2.15.1", "2.16.2", "2.16.2 tf-keras"]


@pytest.mark.parametrize(
    ("label", "case_id", "expected"),
    [
        ("2.1.0", "sequential/model/freeze_then_compile/train_on_batch", aggregate.HELD),
        ("2.1.0", "sequential/model/compile_then_freeze/train_on_batch", aggregate.IGNORED),
        ("2.16.2", "sequential/model/compile_then_freeze/train_on_batch", aggregate.HELD),
        ("2.16.2 tf-keras", "sequential/model/compile_then_freeze/train_on_batch", aggregate.IGNORED),
        ("2.15.1", timing("unfreeze_without_recompile", "fit"), aggregate.STALLED),
        ("2.16.2", timing("freeze_after_first_step", "train_on_batch"), aggregate.IGNORED),
        ("2.16.2", timing("freeze_after_first_step", "train_on_batch", "true"), aggregate.HELD),
        ("2.15.1", timing("compile_then_freeze", "custom_loop"), aggregate.HELD),
    ],
)
def test_weights_outcome_on_recorded_cases(
    loaded: list[results.Result], label: str, case_id: str, expected: str
) -> None:
    assert aggregate.weights_outcome(case(by_label(loaded, label), case_id)) == expected


def test_partial_stalled_error_and_not_applicable(loaded: list[results.Result]) -> None:
    ignored = case(by_label(loaded, "2.1.0"), "sequential/layer/compile_then_freeze/train_on_batch")
    frozen = [w for w in ignored["weights"] if w["frozen"]]
    assert len(frozen) == 2
    frozen[0]["moved"] = False
    assert aggregate.weights_outcome(ignored) == aggregate.PARTIAL

    held = case(by_label(loaded, "2.1.0"), "sequential/layer/freeze_then_compile/train_on_batch")
    next(w for w in held["weights"] if not w["frozen"])["moved"] = False
    assert aggregate.weights_outcome(held) == aggregate.STALLED

    held["status"], held["error"] = "error", {"type": "ValueError", "message": "boom"}
    assert aggregate.weights_outcome(held) == aggregate.ERROR
    held["status"] = "not_applicable"
    assert aggregate.weights_outcome(held) == aggregate.NOT_APPLICABLE


def test_batchnorm_statistics_are_judged_apart_from_trainable_weights(loaded: list[results.Result]) -> None:
    bn = "sequential/layer/compile_then_freeze/train_on_batch/batchnorm/adam/false"
    tf115, tf215, tf216 = (case(by_label(loaded, v), bn) for v in ("1.15.5", "2.15.1", "2.16.2"))
    assert aggregate.batchnorm_outcome(tf115) == "statistics updated, training mode"
    assert aggregate.batchnorm_outcome(tf215) == "statistics updated, inference mode"
    assert aggregate.batchnorm_outcome(tf216) == "statistics still, inference mode"
    assert aggregate.weights_outcome(tf216) == aggregate.HELD  # moving statistics are not trainable weights
    assert aggregate.batchnorm_outcome(case(by_label(loaded, "2.1.0"), SEED_COMPILE_THEN_FREEZE[0])) == ""


def test_cases_frame_has_one_row_per_variant_and_case(loaded: list[results.Result]) -> None:
    frame = aggregate.cases_frame(loaded)
    assert len(frame) == len(loaded) * 62
    assert not frame.duplicated(["release", "case"]).any()
    assert set(frame["track"]) == {"bundled", "tf-keras"}
    row = frame[(frame.release == "2.1.0") & (frame.case == SEED_COMPILE_THEN_FREEZE[0])].iloc[0]
    assert (row.printed, row.computed) == ("130 / 65 / 65", "65 / 0 / 65")
    assert row.moved == "111111"


def test_change_points_on_recorded_results(loaded: list[results.Result]) -> None:
    changes = aggregate.change_points(aggregate.cases_frame(loaded))
    assert Counter((c.release, c.previous, c.aspect) for c in changes) == {
        ("2.1.0", "1.15.5", "batchnorm"): 4,
        ("2.2.3", "2.1.4", "printed"): 33,
        ("2.2.3", "2.1.4", "weights"): 2,
        ("2.16.2", "2.15.1", "weights"): 22,
        ("2.16.2", "2.15.1", "printed"): 15,
        ("2.16.2", "2.15.1", "batchnorm"): 2,
    }
    seed = {
        (c.case, c.before, c.after) for c in changes if c.case in SEED_COMPILE_THEN_FREEZE and c.aspect == "weights"
    }
    assert seed == {(cid, "ignored", "held") for cid in SEED_COMPILE_THEN_FREEZE}
    assert [c.release for c in changes] == sorted((c.release for c in changes), key=["2.1.0", "2.2.3", "2.16.2"].index)


def test_tracks_are_compared_only_within_themselves(loaded: list[results.Result]) -> None:
    # 2.16.2 and 2.16.2 tf-keras differ in 22 weights cells, but they are different tracks, not a change.
    changes = aggregate.change_points(aggregate.cases_frame(loaded))
    assert not [c for c in changes if "tf-keras" in c.release or "tf-keras" in c.previous]


def test_no_change_points_between_identical_releases(loaded: list[results.Result]) -> None:
    pair = [by_label(loaded, "2.1.0"), by_label(loaded, "2.1.4")]
    assert aggregate.change_points(aggregate.cases_frame(pair)) == []


def test_not_applicable_is_not_a_change(loaded: list[results.Result]) -> None:
    before, after = copy.deepcopy(by_label(loaded, "2.1.0")), by_label(loaded, "2.1.4")
    for c in before["cases"]:
        if c["axes"].get("run_eagerly") == "true":
            c["status"], c["error"] = "not_applicable", {"type": "NotApplicable", "message": "no run_eagerly"}
    assert aggregate.change_points(aggregate.cases_frame([before, after])) == []


def test_release_ranges_merge_consecutive_identical_columns_per_track(loaded: list[results.Result]) -> None:
    frame = aggregate.cases_frame(loaded)
    weights = aggregate.release_ranges(frame, "weights")
    assert list(weights.columns) == ["1.15.5 – 2.1.4", "2.2.3 – 2.15.1", "2.16.2", "2.16.2 tf-keras"]
    assert list(weights.index) == list(frame.drop_duplicates("case")["case"])
    assert weights.loc[SEED_COMPILE_THEN_FREEZE[0]].tolist() == ["ignored", "ignored", "held", "ignored"]
    batchnorm = aggregate.release_ranges(frame, "batchnorm")
    assert list(batchnorm.columns) == ["1.15.5", "2.1.0 – 2.15.1", "2.16.2", "2.16.2 tf-keras"]


def test_release_ranges_do_not_merge_across_a_difference(loaded: list[results.Result]) -> None:
    # 2.1.4 agrees with 2.1.0 but comes after 2.16.2 here: ranges follow order, not equality.
    reordered = [by_label(loaded, v) for v in ("2.1.0", "2.16.2", "2.1.4")]
    columns = list(aggregate.release_ranges(aggregate.cases_frame(reordered), "weights").columns)
    assert columns == ["2.1.0", "2.16.2", "2.1.4"]


def test_counts_label() -> None:
    assert aggregate.counts_label(None) == "-"
    assert aggregate.counts_label({"total": 65, "trainable": None, "non_trainable": 65}) == "65 / ? / 65"


def test_a_flaky_outcome_is_marked_and_never_a_change_point(loaded: list[results.Result]) -> None:
    before, after = by_label(loaded, "2.1.4"), copy.deepcopy(by_label(loaded, "2.2.3"))
    seed_case = "sequential/model/compile_then_freeze/train_on_batch"
    changes = aggregate.change_points(aggregate.cases_frame([before, after]))
    assert (seed_case, "printed") in {(c.case, c.aspect) for c in changes}
    for c in after["cases"]:
        if c["id"] == seed_case:
            c["flaky"] = ["printed"]  # as the probe records it when repeats of the case disagree
    frame = aggregate.cases_frame([before, after])
    row = frame[(frame["case"] == seed_case) & (frame["release"] == "2.2.3")].iloc[0]
    assert (row["printed"], row["weights"]) == (aggregate.FLAKY, aggregate.weights_outcome(case(after, seed_case)))
    flaky_changes = aggregate.change_points(frame)
    assert (seed_case, "printed") not in {(c.case, c.aspect) for c in flaky_changes}
    assert len(flaky_changes) == len(changes) - 1


def test_a_failed_attempt_fills_its_cells_with_its_state_and_is_bridged(
    loaded: list[results.Result], failed: results.Result
) -> None:
    before, after = by_label(loaded, "2.1.4"), by_label(loaded, "2.2.3")
    direct = aggregate.change_points(aggregate.cases_frame([before, after]))
    frame = aggregate.cases_frame([before, failed, after])
    cells = frame[frame["release"] == "2.0.4"]
    assert len(cells) == len(before["cases"])
    assert set(cells["weights"]) == set(cells["printed"]) == set(cells["batchnorm"]) == {"import-failed"}
    bridged = aggregate.change_points(frame)
    assert bridged == direct  # 2.2.3 is still compared with 2.1.4, across the failed attempt
    assert {c.previous for c in bridged} == {"2.1.4"}
    assert aggregate.cases_frame([failed]).empty  # no case to show it in


def test_a_flaky_cell_is_bridged_too(loaded: list[results.Result]) -> None:
    first, middle, last = (copy.deepcopy(by_label(loaded, label)) for label in ("2.1.0", "2.1.4", "2.2.3"))
    for c in middle["cases"]:
        c["flaky"] = ["status"]
    assert aggregate.change_points(aggregate.cases_frame([first, middle, last])) == aggregate.change_points(
        aggregate.cases_frame([first, last])
    )
