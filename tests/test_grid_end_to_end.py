"""The whole grid on one real Keras 2 release (TF 2.1.0) and one real Keras 3 release (TF 2.21.0).

The expected outcomes are what those releases did in the recorded full run; the point is that a
fresh environment, built the way users build it, still answers the same; TF 2.1.0 runs every case
twice (`--repeat 2`), and every case must agree with its repeat.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run_probe_session
from tfmatrix import aggregate, results

AXIS_VALUES = {
    "api": {"sequential", "functional", "subclassed"},
    "target": {"model", "layer", "nested"},
    "order": {
        "freeze_then_compile",
        "compile_then_freeze",
        "freeze_after_first_step",
        "compile_freeze_recompile",
        "unfreeze_without_recompile",
    },
    "train_api": {"train_on_batch", "fit", "custom_loop"},
    "layer": {"dense", "batchnorm"},
    "optimizer": {"adam", "sgd_momentum"},
    "run_eagerly": {"false", "true"},
}


def outcome(result: results.Result, case_id: str) -> str:
    return aggregate.weights_outcome(next(c for c in result["cases"] if c["id"] == case_id))


def assert_same_as_committed(result: results.Result, variant: str) -> None:
    """Fixed seeds everywhere: a fresh environment reproduces the committed run case for case."""
    committed = results.load_one(ROOT / "reports" / "results" / f"{variant}.json")
    assert result["cases"] == committed["cases"]
    assert result["environment"] == committed["environment"]


def assert_whole_grid(result: results.Result) -> None:
    cases = result["cases"]
    assert [c["status"] for c in cases] == ["ok"] * len(cases), [c["error"] for c in cases if c["error"]]
    for axis, values in AXIS_VALUES.items():
        assert {c["axes"][axis] for c in cases if axis in c["axes"]} == values, axis
    assert {c["group"] for c in cases} == {"seed", "timing", "nested", "subclassed", "batchnorm", "momentum"}


def timing(order: str, train_api: str, run_eagerly: str = "false") -> str:
    return f"sequential/layer/{order}/{train_api}/dense/adam/{run_eagerly}"


@pytest.mark.slow
def test_keras_2_release_end_to_end(tmp_path: Path) -> None:
    result = run_probe_session("tensorflow-cpu-2.1.0", tmp_path, "--repeat", "2")
    assert result["repeat"] == 2
    assert [c["id"] for c in result["cases"] if c["flaky"]] == []  # every case agrees with its repeat
    assert_same_as_committed(result, "tensorflow-cpu-2.1.0")
    assert result["environment"]["keras_flavour"] == "keras2"
    assert_whole_grid(result)
    assert outcome(result, timing("compile_then_freeze", "train_on_batch")) == aggregate.IGNORED
    assert outcome(result, timing("compile_then_freeze", "fit", "true")) == aggregate.IGNORED
    assert outcome(result, timing("compile_then_freeze", "custom_loop")) == aggregate.HELD
    assert outcome(result, timing("compile_freeze_recompile", "fit")) == aggregate.HELD
    assert outcome(result, timing("unfreeze_without_recompile", "train_on_batch")) == aggregate.STALLED


@pytest.mark.slow
def test_keras_3_release_end_to_end(tmp_path: Path) -> None:
    result = run_probe_session("tensorflow-cpu-2.21.0", tmp_path)
    assert_same_as_committed(result, "tensorflow-cpu-2.21.0")
    assert result["environment"]["keras_flavour"] == "keras3"
    assert result["environment"]["python"].startswith("3.13.")
    assert_whole_grid(result)
    assert outcome(result, timing("compile_then_freeze", "train_on_batch")) == aggregate.HELD
    assert outcome(result, timing("freeze_after_first_step", "train_on_batch")) == aggregate.IGNORED
    assert outcome(result, timing("freeze_after_first_step", "train_on_batch", "true")) == aggregate.HELD
    assert outcome(result, timing("unfreeze_without_recompile", "fit")) == aggregate.HELD
