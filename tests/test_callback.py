"""The callback probe's judgement on recorded real results (the run of 2026-12-08, which first recorded the
first epoch).

Unfreezing from a callback between two epochs of one fit(): what each way did, release by release.
The probe itself runs in real environments in tests/test_grid_end_to_end.py.
"""

from __future__ import annotations

import copy

import pytest

from conftest import load_recorded
from tfmatrix import probes, results
from tfmatrix.variant import Variant


@pytest.fixture
def loaded(variants: list[Variant], known: dict[str, probes.Probe]) -> dict[str, results.Result]:
    return {r["variant"]: r for r in load_recorded(variants, known) if r["probe"]["name"] == "callback"}


def judged(loaded: dict[str, results.Result], known: dict[str, probes.Probe], variant: str, case_id: str) -> str:
    case = next(c for c in loaded[variant]["cases"] if c["id"] == case_id)
    return known["callback"].judge(case)["base"]


@pytest.mark.parametrize(
    ("variant", "case_id", "expected"),
    [
        ("tensorflow-cpu-2.1.4", "trainable/false", "still"),  # the traced train function keeps its variables
        ("tensorflow-cpu-2.16.2", "trainable/false", "still"),
        ("tensorflow-cpu-2.1.4", "trainable/true", "still"),
        ("tensorflow-cpu-2.2.3", "trainable/true", "moved"),  # run_eagerly: from 2.2, each step asks anew
        ("tensorflow-cpu-2.15.1", "trainable/true", "💥 KeyError"),  # the optimizer of 2.11 refuses a new variable
        ("tensorflow-cpu-2.16.2-tf-keras", "trainable/true", "💥 KeyError"),
        ("tensorflow-cpu-2.16.2", "trainable/true", "💥 ValueError"),  # Keras 3: "Unknown variable"
        ("tensorflow-cpu-2.2.3", "compile/true", "moved"),
        ("tensorflow-cpu-2.2.3", "compile/false", "💥 FailedPreconditionError"),
        ("tensorflow-cpu-2.15.1", "compile/false", "💥 TypeError"),  # from 2.4: 'NoneType' object is not callable
        ("tensorflow-cpu-2.2.3", "make_train_function/false", "n/a"),  # no force= before Keras 2.6
    ],
)
def test_what_each_way_of_unfreezing_did(
    loaded: dict[str, results.Result], known: dict[str, probes.Probe], variant: str, case_id: str, expected: str
) -> None:
    assert judged(loaded, known, variant, case_id) == expected


def test_only_the_base_is_judged_and_partly_is_said(
    loaded: dict[str, results.Result], known: dict[str, probes.Probe]
) -> None:
    case = copy.deepcopy(next(c for c in loaded["tensorflow-cpu-2.2.3"]["cases"] if c["id"] == "trainable/true"))
    assert known["callback"].judge(case) == {"verdict": "works", "why": "", "base": "moved"}
    next(w for w in case["weights"] if w["frozen"])["moved"] = False
    wrong = {"verdict": "silently wrong", "why": "the unfrozen base does not train"}
    assert known["callback"].judge(case) == {**wrong, "base": "partly moved"}


def test_weights_never_recorded_are_no_evidence_never_works(
    loaded: dict[str, results.Result], known: dict[str, probes.Probe]
) -> None:
    """As on Keras 3.0-3.4 before the probe built its model first: the head's weights were not recorded."""
    case = copy.deepcopy(next(c for c in loaded["tensorflow-cpu-2.2.3"]["cases"] if c["id"] == "trainable/true"))
    case["weights"] = [w for w in case["weights"] if w["frozen"]]
    judged = known["callback"].judge(case)
    assert (judged["verdict"], judged["why"]) == ("no evidence", "not observed: the head trains in epoch 2")
    next(w for w in case["weights"] if w["frozen"])["moved"] = False  # a part that did not happen still tells
    assert known["callback"].judge(case)["verdict"] == "silently wrong"


def test_an_error_is_recorded_with_its_message(loaded: dict[str, results.Result]) -> None:
    case = next(c for c in loaded["tensorflow-cpu-2.15.1"]["cases"] if c["id"] == "compile/false")
    assert case["error"] == {"type": "TypeError", "message": "'NoneType' object is not callable"}
    assert case["epochs_run"] == 1  # the first epoch ended, the callback recompiled, the second step failed


def test_a_base_that_trained_before_it_was_unfrozen_is_silently_wrong(
    loaded: dict[str, results.Result], variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """Keras 2.0.9 never froze a nested Sequential: its base trained in epoch 1 too, so epoch 2 proves nothing."""
    keras2 = {r["variant"]: r for r in load_recorded(variants, known, "keras2") if r["probe"]["name"] == "callback"}
    case = next(c for c in keras2["keras-2.0.9-tensorflow-1.13.1"]["cases"] if c["id"] == "trainable/false")
    assert all(w["moved"] for w in case["first_epoch_weights"] if w["frozen"])
    judged = known["callback"].judge(case)
    assert (judged["verdict"], judged["base"]) == ("silently wrong", "moved")
    assert judged["why"] == "the base trained in epoch 1, before it was unfrozen"
    held = next(c for c in loaded["tensorflow-cpu-2.2.3"]["cases"] if c["id"] == "trainable/true")
    assert not any(w["moved"] for w in held["first_epoch_weights"] if w["frozen"])
    assert known["callback"].judge(held)["verdict"] == "works"


def test_a_result_from_before_the_first_epoch_was_recorded_has_no_evidence_of_it(
    loaded: dict[str, results.Result], known: dict[str, probes.Probe]
) -> None:
    case = copy.deepcopy(next(c for c in loaded["tensorflow-cpu-2.2.3"]["cases"] if c["id"] == "trainable/true"))
    del case["first_epoch_weights"]  # as the probe wrote it before 2026-12-08: the schema lets it lack the field
    judged = known["callback"].judge(case)
    assert (judged["verdict"], judged["why"]) == ("no evidence", "not observed: the frozen base stays still in epoch 1")
