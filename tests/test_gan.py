"""The GAN probe's judgement on recorded real results (the full run of 2026-11-26).

The Keras FAQ's frozen discriminator, and two variants users write: what each step moved.
"""

from __future__ import annotations

import copy

import pytest

from conftest import judged, recorded_case
from tfmatrix import probes


@pytest.mark.parametrize(
    ("variant", "case_id", "expected"),
    [
        # Keras 2: the compile-time flags of each model hold for its own steps.
        ("tensorflow-1.15.5", "faq/false", {"discriminator_in_gan": "held", "discriminator_step": "", "generator": ""}),
        (
            "tensorflow-cpu-2.15.1",
            "toggle/true",
            {"discriminator_in_gan": "held", "discriminator_step": "", "generator": ""},
        ),
        # Compiled again once frozen, the discriminator never trains, on every release.
        ("tensorflow-cpu-2.2.3", "recompile/false", {"discriminator_step": "discriminator held in its own step"}),
        ("tensorflow-cpu-2.16.2", "recompile/false", {"discriminator_step": "discriminator held in its own step"}),
        # Keras 3 traces the step with the flags of the moment: the FAQ recipe never trains the discriminator.
        (
            "tensorflow-cpu-2.16.2",
            "faq/false",
            {"discriminator_in_gan": "held", "discriminator_step": "discriminator held in its own step"},
        ),
        ("tensorflow-cpu-2.16.2", "toggle/false", {"discriminator_in_gan": "held", "discriminator_step": ""}),
        (
            "tensorflow-cpu-2.17.1",
            "faq/false",
            {"discriminator_in_gan": "💥 AttributeError", "discriminator_step": ""},
        ),  # #20474
        ("tensorflow-cpu-2.18.1", "toggle/true", {"discriminator_in_gan": "held", "discriminator_step": ""}),
    ],
)
def test_what_each_step_moved(
    known: dict[str, probes.Probe], variant: str, case_id: str, expected: dict[str, str]
) -> None:
    found = judged(known, "gan", variant, case_id)
    assert {aspect: found[aspect] for aspect in expected} == expected


def test_a_failing_step_is_recorded_as_begun(known: dict[str, probes.Probe]) -> None:
    case = recorded_case(known, "gan", "tensorflow-cpu-2.17.1", "faq/false")
    assert case["error"]["message"] == "'NoneType' object has no attribute 'update_state'"
    assert [(s["round"], s["step"], s["weights"]) for s in case["steps"]] == [(1, "discriminator", [])]


def test_rounds_that_differ_are_said_per_round(known: dict[str, probes.Probe]) -> None:
    case = copy.deepcopy(recorded_case(known, "gan", "tensorflow-cpu-2.15.1", "faq/false"))
    second_gan_step = [s for s in case["steps"] if s["step"] == "gan"][1]
    for weight in second_gan_step["weights"]:
        weight["moved"] = weight["model"] == "discriminator" or weight["moved"]
    assert known["gan"].judge(case)["discriminator_in_gan"] == "round 1 held, round 2 trained"
