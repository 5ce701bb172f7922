from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from conftest import TENSORFLOW_KINDS, failure_keeping, load_recorded
from tfmatrix import aggregate, probes, results
from tfmatrix.variant import Variant

SEED_COMPILE_THEN_FREEZE = [
    f"{api}/{target}/compile_then_freeze/train_on_batch"
    for api in ("sequential", "functional")
    for target in ("model", "layer")
]


@pytest.fixture
def loaded(variants: list[Variant], known: dict[str, probes.Probe]) -> list[results.Result]:
    return [r for r in load_recorded(variants, known, kinds=TENSORFLOW_KINDS) if r["probe"]["name"] == "freeze"]


@pytest.fixture
def freeze(known: dict[str, probes.Probe]) -> probes.Probe:
    return known["freeze"]


def frame_of(results_: list[results.Result], freeze: probes.Probe) -> pd.DataFrame:
    return aggregate.cases_frame(results_, freeze)


def changes_of(results_: list[results.Result], freeze: probes.Probe) -> list[aggregate.ChangePoint]:
    return aggregate.change_points(frame_of(results_, freeze), freeze)


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
        ("2.1.0", "sequential/model/freeze_then_compile/train_on_batch", "held"),
        ("2.1.0", "sequential/model/compile_then_freeze/train_on_batch", "ignored"),
        ("2.16.2", "sequential/model/compile_then_freeze/train_on_batch", "held"),
        ("2.16.2 tf-keras", "sequential/model/compile_then_freeze/train_on_batch", "ignored"),
        ("2.15.1", timing("unfreeze_without_recompile", "fit"), "stalled"),
        ("2.16.2", timing("freeze_after_first_step", "train_on_batch"), "ignored"),
        ("2.16.2", timing("freeze_after_first_step", "train_on_batch", "true"), "held"),
        ("2.15.1", timing("compile_then_freeze", "custom_loop"), "held"),
    ],
)
def test_the_freeze_judge_on_recorded_cases(
    loaded: list[results.Result], freeze: probes.Probe, label: str, case_id: str, expected: str
) -> None:
    assert freeze.judge(case(by_label(loaded, label), case_id))["weights"] == expected


def test_partial_stalled_error_and_not_applicable(loaded: list[results.Result], freeze: probes.Probe) -> None:
    ignored = case(by_label(loaded, "2.1.0"), "sequential/layer/compile_then_freeze/train_on_batch")
    frozen = [w for w in ignored["weights"] if w["frozen"]]
    assert len(frozen) == 2
    frozen[0]["moved"] = False
    assert freeze.judge(ignored)["weights"] == "partial"

    held = case(by_label(loaded, "2.1.0"), "sequential/layer/freeze_then_compile/train_on_batch")
    next(w for w in held["weights"] if not w["frozen"])["moved"] = False
    assert freeze.judge(held)["weights"] == "stalled"

    held["status"], held["error"] = "error", {"type": "ValueError", "message": "boom"}
    assert freeze.judge(held)["weights"] == "error"
    held["status"] = "not_applicable"
    assert freeze.judge(held)["weights"] == "n/a"


def test_batchnorm_statistics_are_judged_apart_from_trainable_weights(
    loaded: list[results.Result], freeze: probes.Probe
) -> None:
    bn = "sequential/layer/compile_then_freeze/train_on_batch/batchnorm/adam/false"
    tf115, tf215, tf216 = (freeze.judge(case(by_label(loaded, v), bn)) for v in ("1.15.5", "2.15.1", "2.16.2"))
    assert tf115["batchnorm"] == "statistics updated, training mode"
    assert tf215["batchnorm"] == "statistics updated, inference mode"
    assert tf216["batchnorm"] == "statistics still, inference mode"
    assert tf216["weights"] == "held"  # moving statistics are not trainable weights
    assert freeze.judge(case(by_label(loaded, "2.1.0"), SEED_COMPILE_THEN_FREEZE[0]))["batchnorm"] == ""


def test_cases_frame_has_one_row_per_variant_and_case(loaded: list[results.Result], freeze: probes.Probe) -> None:
    frame = frame_of(loaded, freeze)
    assert len(frame) == sum(len(r["cases"]) for r in loaded)
    assert not frame.duplicated(["release", "case"]).any()
    assert set(frame["track"]) == {"bundled", "tf-keras"}
    row = frame[(frame.release == "2.1.0") & (frame.case == SEED_COMPILE_THEN_FREEZE[0])].iloc[0]
    assert (row.printed, row.printed_vs_weights) == ("130 / 65 / 65", "⚠️ 130 / 65 / 65 (weights: 65 / 0 / 65)")
    assert list(frame.columns[: len(aggregate.VARIANT_COLUMNS)]) == list(aggregate.VARIANT_COLUMNS)


def test_a_frame_holds_only_its_probes_results(loaded: list[results.Result], freeze: probes.Probe) -> None:
    other = copy.deepcopy(loaded[0])
    other["probe"]["name"] = "finetune"
    assert frame_of([other], freeze).empty


def test_change_points_on_recorded_results(loaded: list[results.Result], freeze: probes.Probe) -> None:
    changes = changes_of(loaded, freeze)
    assert Counter((c.release, c.previous, c.aspect) for c in changes) == {
        ("2.1.0", "1.15.5", "batchnorm"): 4,
        ("2.2.3", "2.1.4", "printed"): 33,
        ("2.2.3", "2.1.4", "weights"): 2,
        ("2.16.2", "2.15.1", "weights"): 22,
        ("2.16.2", "2.15.1", "printed"): 15,
        ("2.16.2", "2.15.1", "batchnorm"): 2,
        # The verdict changes where the weights do, and where a frozen BatchNormalization's statistics stop moving.
        ("2.2.3", "2.1.4", "verdict"): 2,
        ("2.16.2", "2.15.1", "verdict"): 24,
    }
    seed = {
        (c.case, c.before, c.after) for c in changes if c.case in SEED_COMPILE_THEN_FREEZE and c.aspect == "weights"
    }
    assert seed == {(cid, "ignored", "held") for cid in SEED_COMPILE_THEN_FREEZE}
    assert [c.release for c in changes] == sorted((c.release for c in changes), key=["2.1.0", "2.2.3", "2.16.2"].index)


def test_tracks_are_compared_only_within_themselves(loaded: list[results.Result], freeze: probes.Probe) -> None:
    # 2.16.2 and 2.16.2 tf-keras differ in 22 weights cells, but they are different tracks, not a change.
    changes = changes_of(loaded, freeze)
    assert not [c for c in changes if "tf-keras" in c.release or "tf-keras" in c.previous]


def test_no_change_points_between_identical_releases(loaded: list[results.Result], freeze: probes.Probe) -> None:
    pair = [by_label(loaded, "2.1.0"), by_label(loaded, "2.1.4")]
    assert changes_of(pair, freeze) == []


def test_not_applicable_is_not_a_change(loaded: list[results.Result], freeze: probes.Probe) -> None:
    before, after = copy.deepcopy(by_label(loaded, "2.1.0")), by_label(loaded, "2.1.4")
    for c in before["cases"]:
        if c["axes"].get("run_eagerly") == "true":
            c["status"], c["error"] = "not_applicable", {"type": "NotApplicable", "message": "no run_eagerly"}
    assert changes_of([before, after], freeze) == []


def test_release_ranges_merge_consecutive_identical_columns_per_track(
    loaded: list[results.Result], freeze: probes.Probe
) -> None:
    frame = frame_of(loaded, freeze)
    weights = aggregate.release_ranges(frame, "weights")
    assert list(weights.columns) == ["1.15.5 – 2.1.4", "2.2.3 – 2.15.1", "2.16.2", "2.16.2 tf-keras"]
    assert list(weights.index) == list(frame.drop_duplicates("case")["case"])
    assert weights.loc[SEED_COMPILE_THEN_FREEZE[0]].tolist() == ["ignored", "ignored", "held", "ignored"]
    batchnorm = aggregate.release_ranges(frame, "batchnorm")
    assert list(batchnorm.columns) == ["1.15.5", "2.1.0 – 2.15.1", "2.16.2", "2.16.2 tf-keras"]


def test_release_ranges_do_not_merge_across_a_difference(loaded: list[results.Result], freeze: probes.Probe) -> None:
    # 2.1.4 agrees with 2.1.0 but comes after 2.16.2 here: ranges follow order, not equality.
    reordered = [by_label(loaded, v) for v in ("2.1.0", "2.16.2", "2.1.4")]
    columns = list(aggregate.release_ranges(frame_of(reordered, freeze), "weights").columns)
    assert columns == ["2.1.0", "2.16.2", "2.1.4"]


def test_summary_counts_are_judged_as_one_comparable_label(loaded: list[results.Result], freeze: probes.Probe) -> None:
    seed = case(by_label(loaded, "2.2.3"), SEED_COMPILE_THEN_FREEZE[0])
    assert freeze.judge(seed)["printed_vs_weights"] == freeze.judge(seed)["printed"] == "65 / 0 / 65"
    seed["summary_printed"]["trainable"] = None  # a summary line the parser did not find
    assert freeze.judge(seed)["printed"] == "65 / ? / 65"
    seed["summary_printed"] = None  # the case raised before the summary
    assert freeze.judge(seed)["printed"] == "-"


def test_a_flaky_outcome_is_marked_and_never_a_change_point(loaded: list[results.Result], freeze: probes.Probe) -> None:
    before, after = by_label(loaded, "2.1.4"), copy.deepcopy(by_label(loaded, "2.2.3"))
    seed_case = "sequential/model/compile_then_freeze/train_on_batch"
    changes = changes_of([before, after], freeze)
    assert (seed_case, "printed") in {(c.case, c.aspect) for c in changes}
    for c in after["cases"]:
        if c["id"] == seed_case:
            c["flaky"] = ["printed"]  # as the probe records it when repeats of the case disagree
    frame = frame_of([before, after], freeze)
    row = frame[(frame["case"] == seed_case) & (frame["release"] == "2.2.3")].iloc[0]
    assert (row["printed"], row["weights"]) == (aggregate.FLAKY, freeze.judge(case(after, seed_case))["weights"])
    flaky_changes = aggregate.change_points(frame, freeze)
    assert (seed_case, "printed") not in {(c.case, c.aspect) for c in flaky_changes}
    assert len(flaky_changes) == len(changes) - 1


def test_a_failed_attempt_fills_its_cells_with_its_state_and_is_bridged(
    loaded: list[results.Result], failed: results.Result, freeze: probes.Probe
) -> None:
    before, after = by_label(loaded, "2.1.4"), by_label(loaded, "2.2.3")
    direct = changes_of([before, after], freeze)
    frame = frame_of([before, failed, after], freeze)
    cells = frame[frame["release"] == "2.0.4"]
    assert len(cells) == len(before["cases"])
    assert set(cells["weights"]) == set(cells["printed"]) == set(cells["batchnorm"]) == {"import-failed"}
    bridged = aggregate.change_points(frame, freeze)
    assert bridged == direct  # 2.2.3 is still compared with 2.1.4, across the failed attempt
    assert {c.previous for c in bridged} == {"2.1.4"}
    assert frame_of([failed], freeze).empty  # no case to show it in


def test_a_flaky_cell_is_bridged_too(loaded: list[results.Result], freeze: probes.Probe) -> None:
    first, middle, last = (copy.deepcopy(by_label(loaded, label)) for label in ("2.1.0", "2.1.4", "2.2.3"))
    for c in middle["cases"]:
        c["flaky"] = ["status"]
    assert changes_of([first, middle, last], freeze) == changes_of([first, last], freeze)


def test_a_case_that_raised_speaks_only_through_its_lead_aspect(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """gan on 2.17.1 raised in every case: the lead aspect changes into and out of the exception,
    and the discriminator's own step (empty for a raised case) is compared across it, 2.16.2 with 2.18.1."""
    gan = known["gan"]
    recorded = [r for r in load_recorded(variants, known) if r["probe"]["name"] == "gan"]
    changes = aggregate.change_points(aggregate.cases_frame(recorded, gan), gan)
    assert Counter((c.release, c.aspect) for c in changes) == {
        ("2.16.2", "discriminator_step"): 2,  # the FAQ recipe, with and without run_eagerly
        ("2.17.1", "discriminator_in_gan"): 6,
        ("2.18.1", "discriminator_in_gan"): 6,
        ("2.16.2", "verdict"): 2,  # the FAQ recipe stops working: the discriminator no longer learns
        ("2.17.1", "verdict"): 6,  # and the verdict with the exception, into it and out of it
        ("2.18.1", "verdict"): 6,
    }
    into = {(c.aspect, c.before, c.after) for c in changes if c.release == "2.17.1"}
    assert into == {
        ("discriminator_in_gan", "held", "💥 AttributeError"),
        ("verdict", "works", "raises"),  # the toggling recipe
        ("verdict", "silently wrong", "raises"),  # the FAQ's, whose discriminator had stopped learning in 2.16
    }


def test_a_failure_that_kept_the_last_good_findings_stands_for_them(
    loaded: list[results.Result], failed: results.Result, freeze: probes.Probe
) -> None:
    first, middle, last = (by_label(loaded, label) for label in ("2.1.0", "2.1.4", "2.2.3"))
    stale = failure_keeping(failed, middle)
    assert stale["status"] == "import-failed"
    as_ok, as_kept = frame_of([first, middle, last], freeze), frame_of([first, stale, last], freeze)
    assert set(as_kept["last_good_run"]) == {"", "2026-11-19"}
    assert set(as_kept[as_kept["release"] == "2.1.4"]["last_good_run"]) == {"2026-11-19"}
    assert as_kept.drop(columns="last_good_run").equals(as_ok.drop(columns="last_good_run"))
    assert changes_of([first, stale, last], freeze) == changes_of([first, middle, last], freeze)
    ranges = aggregate.release_ranges(as_kept[as_kept["group"] == "seed"], "weights")
    merged = aggregate.release_ranges(as_ok[as_ok["group"] == "seed"], "weights")
    assert "2.1.0 – 2.2.3" in merged.columns  # alike in the seed cases: one column
    assert list(ranges.columns) == ["2.1.0", "2.1.4 (last good run: 2026-11-19)", "2.2.3"]  # but it stands alone


def test_the_warnings_that_name_trainable_and_the_releases_given_them(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """The GAN FAQ's warning, recorded on every standalone Keras 2 release: one run of releases on its track."""
    gan = [r for r in load_recorded(variants, known, "keras2") if r["probe"]["name"] == "gan"]
    warned = aggregate.watched_warnings(gan, "trainable")
    discrepancy = next(text for text in warned if "Discrepancy between trainable weights" in text)
    assert discrepancy.startswith("UserWarning: ")
    assert warned[discrepancy] == ["2.0.9 keras2 – 2.2.0 keras2"]
    quiet = copy.deepcopy(next(r for r in gan if r["release"]["version"] == "2.1.6"))
    for case in quiet["cases"]:
        case["warnings"] = []
    with_a_gap = [quiet if r["release"]["version"] == "2.1.6" else r for r in gan]
    assert aggregate.watched_warnings(with_a_gap, "trainable")[discrepancy] == ["2.0.9 keras2", "2.2.0 keras2"]
