"""The optimizer-state probe's judgement on recorded real results (the full run of 2026-11-26).

Does anything but the gradient move a frozen weight? Judged exactly, with a zero-gradient witness
that shows the probe sees a decay step where the optimizer decays.
"""

from __future__ import annotations

import copy

import pytest

from conftest import judged, recorded_case
from tfmatrix import probes


@pytest.mark.parametrize(
    ("variant", "case_id", "expected"),
    [
        ("tensorflow-cpu-2.2.3", "adam/fit", {"frozen": "held", "witness": ""}),
        ("tensorflow-cpu-2.2.3", "adamw/fit", {"frozen": "n/a"}),
        ("tensorflow-cpu-2.9.3", "adamw/fit", {"frozen": "held", "witness": "decay step ~1e3× the expected"}),
        ("tensorflow-cpu-2.10.1", "adamw/train_on_batch", {"frozen": "held", "witness": ""}),
        ("tensorflow-cpu-2.13.1", "adam_ema/train_on_batch", {"frozen": "💥 ValueError"}),
        ("tensorflow-cpu-2.14.1", "adam_ema/fit", {"frozen": "held", "witness": ""}),
        ("tensorflow-cpu-2.16.2", "sgd_weight_decay/fit", {"frozen": "held", "size": "", "witness": ""}),
        ("tensorflow-cpu-2.16.2", "adam_ema/fit", {"frozen": "💥 ValueError"}),
        ("tensorflow-cpu-2.16.2", "adam_ema/train_on_batch", {"frozen": "held"}),
    ],
)
def test_what_moved_the_frozen_layer(
    known: dict[str, probes.Probe], variant: str, case_id: str, expected: dict[str, str]
) -> None:
    found = judged(known, "optimizer_state", variant, case_id)
    assert {aspect: found[aspect] for aspect in expected} == expected


def test_the_witness_sees_one_decay_step(known: dict[str, probes.Probe]) -> None:
    """AdamW decays the zero-gradient witness by learning rate x decay x weight, far below allclose."""
    witness = recorded_case(known, "optimizer_state", "tensorflow-cpu-2.16.2", "adamw/fit")["witness"]
    assert witness["max_abs_change"] == pytest.approx(witness["decay_step"], rel=1e-2)
    assert 0 < witness["decay_step"] < 1e-3


def test_any_change_of_a_frozen_weight_counts_and_its_size_is_said(known: dict[str, probes.Probe]) -> None:
    case = copy.deepcopy(recorded_case(known, "optimizer_state", "tensorflow-cpu-2.16.2", "adamw/fit"))
    trainable = max(w["max_abs_change"] for w in case["weights"] if not w["frozen"] and w["layer"] != "witness")
    frozen = next(w for w in case["weights"] if w["frozen"])
    frozen.update(moved=True, max_abs_change=trainable / 1000)
    assert known["optimizer_state"].judge(case)["frozen"] == "moved"
    assert known["optimizer_state"].judge(case)["size"] == "~1e-3× trainable"
