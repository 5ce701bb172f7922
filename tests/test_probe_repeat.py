"""The probe's --repeat logic on its own: which aspects of a case differ between runs.

The probe imports TensorFlow at the top, but comparing repeats needs none of it: a bare module
stands in for ``tensorflow`` so that the comparison can be driven with outcomes that differ.
The real probe with real repeats runs in tests/test_grid_end_to_end.py.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import types
from typing import Any

import pytest

from conftest import RECORDED, ROOT
from tfmatrix import results


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    sys.modules["tensorflow"].__version__ = "0.0.0"  # type: ignore[attr-defined]
    for name in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.setenv(name, "")
    spec = importlib.util.spec_from_file_location("freeze_probe", ROOT / "probes" / "freeze_probe.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_case(case_id: str) -> dict[str, Any]:
    result = results.load_one(RECORDED / "tensorflow-cpu-2.1.0.json")
    return copy.deepcopy(next(c for c in result["cases"] if c["id"] == case_id))


def replaying(monkeypatch: pytest.MonkeyPatch, probe: types.ModuleType, runs: list[dict[str, Any]]) -> None:
    """Make the probe's run_case return these records, one per call."""
    queue = iter(runs)
    monkeypatch.setattr(probe, "run_case", lambda _spec: copy.deepcopy(next(queue)))


def test_repeats_that_agree_are_not_flaky(monkeypatch: pytest.MonkeyPatch, probe: types.ModuleType) -> None:
    first = recorded_case("sequential/model/compile_then_freeze/train_on_batch")
    again = copy.deepcopy(first)
    for weight in again["weights"]:
        weight["max_abs_change"] *= 2  # how far a weight moved may differ; whether it moved may not
    again["warnings"] = []
    replaying(monkeypatch, probe, [first, again, again])
    assert probe.run_repeated({}, 3)["flaky"] == []


def test_each_differing_aspect_is_named(monkeypatch: pytest.MonkeyPatch, probe: types.ModuleType) -> None:
    first = recorded_case("sequential/model/compile_then_freeze/train_on_batch")
    moved = copy.deepcopy(first)
    moved["weights"][0]["moved"] = not moved["weights"][0]["moved"]
    printed = copy.deepcopy(first)
    printed["summary_printed"]["total"] += 1
    replaying(monkeypatch, probe, [first, moved, printed])
    repeated = probe.run_repeated({}, 3)
    assert repeated["flaky"] == ["printed", "weights"]
    assert repeated["weights"] == first["weights"]  # the record is the first run's


def test_a_case_that_fails_in_one_repeat_is_flaky_in_status(
    monkeypatch: pytest.MonkeyPatch, probe: types.ModuleType
) -> None:
    first = recorded_case("sequential/layer/freeze_then_compile/fit/dense/adam/false")
    failed = copy.deepcopy(first)
    failed["status"], failed["error"] = "error", {"type": "RuntimeError", "message": "boom"}
    replaying(monkeypatch, probe, [first, failed])
    assert probe.run_repeated({}, 2)["flaky"] == ["status"]
