"""The finetune probe's judgement on recorded real results (the full run of 2026-11-26).

Two-phase fine-tuning, the base called with training=False: what phase 2 did, release by release.
The probe itself runs in real environments in tests/test_grid_end_to_end.py.
"""

from __future__ import annotations

import copy

import pytest

from conftest import judged, recorded_case
from tfmatrix import probes


@pytest.mark.parametrize(
    ("variant", "case_id", "aspect", "expected"),
    [
        # Keras 2 restores the compile-time flags: without compile() the switch does nothing.
        ("tensorflow-1.15.5", "unfreeze/all/none/fit", "switched", "no_effect"),
        ("tensorflow-cpu-2.2.3", "freeze/top/none/train_on_batch", "switched", "no_effect"),
        ("tensorflow-cpu-2.2.3", "unfreeze/all/same_optimizer/fit", "switched", "took_effect"),
        ("tensorflow-cpu-2.2.3", "unfreeze/all/same_optimizer/fit", "optimizer", ""),  # counted on from phase 1
        ("tensorflow-cpu-2.11.1", "unfreeze/all/same_optimizer/fit", "switched", "💥 KeyError"),
        ("tensorflow-cpu-2.15.1", "unfreeze/top/new_optimizer/train_on_batch", "switched", "took_effect"),
        # Keras 3: the traced step keeps its variables; the built optimizer refuses new ones.
        ("tensorflow-cpu-2.16.2", "unfreeze/top/none/fit", "switched", "no_effect"),
        ("tensorflow-cpu-2.16.2", "unfreeze/all/same_optimizer/train_on_batch", "switched", "💥 ValueError"),
        ("tensorflow-cpu-2.18.1", "unfreeze/all/same_optimizer/fit", "switched", "💥 NotImplementedError"),
        ("tensorflow-cpu-2.16.2-tf-keras", "unfreeze/all/same_optimizer/fit", "switched", "💥 StagingError"),
        # Keras 3 overrides training=False: a trainable BatchNormalization updates its statistics.
        ("tensorflow-cpu-2.15.1", "unfreeze/all/new_optimizer/fit", "batchnorm", ""),
        ("tensorflow-cpu-2.16.2", "unfreeze/all/new_optimizer/fit", "batchnorm", "BN statistics updated"),
        ("tensorflow-cpu-2.16.2", "freeze/all/same_optimizer/fit", "batchnorm", ""),  # frozen: inference mode
        ("tensorflow-cpu-2.16.2-tf-keras", "unfreeze/all/new_optimizer/fit", "batchnorm", ""),
    ],
)
def test_what_phase_2_did(
    known: dict[str, probes.Probe], variant: str, case_id: str, aspect: str, expected: str
) -> None:
    assert judged(known, "finetune", variant, case_id)[aspect] == expected


def test_the_optimizer_of_phase_2_is_judged_against_what_the_case_asked(known: dict[str, probes.Probe]) -> None:
    """No compile or the same object counts on from phase 1 (2 steps); a new optimizer starts at 1."""
    case = recorded_case(known, "finetune", "tensorflow-cpu-2.2.3", "unfreeze/all/new_optimizer/fit")
    assert (case["optimizer_after_phase1"]["iterations"], case["optimizer_after_phase2"]["iterations"]) == (1, 1)
    assert known["finetune"].judge(case)["optimizer"] == ""
    renamed = copy.deepcopy(case)
    renamed["axes"]["recompile"] = "same_optimizer"
    assert known["finetune"].judge(renamed)["optimizer"] == "optimizer restarted"


def test_only_switched_weights_lead_and_the_others_are_said_when_wrong(known: dict[str, probes.Probe]) -> None:
    case = copy.deepcopy(recorded_case(known, "finetune", "tensorflow-cpu-2.2.3", "unfreeze/top/new_optimizer/fit"))
    switched = [w for w in case["weights"] if w["switched"]]
    assert {w["layer"] for w in switched} == {"dense_1"}  # the base's top Dense only
    assert known["finetune"].judge(case)["others"] == ""
    next(w for w in case["weights"] if w["layer"] == "head")["moved"] = False
    next(w for w in case["weights"] if w["layer"] == "dense" and "kernel" in w["path"])["moved"] = True
    assert known["finetune"].judge(case)["others"] == "head stalled, frozen base moved"
    switched[0]["moved"] = False
    assert known["finetune"].judge(case)["switched"] == "partly"
