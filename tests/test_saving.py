"""The saving probe's judgement on recorded real results (the full run of 2026-11-26).

A frozen layer through save and load, in every format each release can write.
"""

from __future__ import annotations

import pytest

from conftest import judged, recorded_case
from tfmatrix import probes


@pytest.mark.parametrize(
    ("variant", "case_id", "expected"),
    [
        ("tensorflow-1.15.5", "h5/compile_then_freeze", {"flags": "kept", "step": "", "compiled": ""}),  # keras#9589
        ("tensorflow-cpu-2.1.4", "savedmodel/freeze_then_compile", {"flags": "kept", "step": ""}),
        ("tensorflow-cpu-2.4.4", "savedmodel/freeze_then_compile", {"flags": "lost", "step": "frozen layer trained"}),
        ("tensorflow-cpu-2.5.3", "savedmodel/compile_then_freeze", {"flags": "kept", "step": ""}),
        ("tensorflow-cpu-2.15.1", "keras/compile_then_freeze", {"flags": "kept", "step": "", "compiled": ""}),
        ("tensorflow-cpu-2.16.2", "h5/freeze_then_compile", {"flags": "💥 TypeError at load"}),
        ("tensorflow-cpu-2.19.1", "h5/freeze_then_compile", {"flags": "💥 ValueError at load"}),
        # The Keras 3.16 nightly reads the file, compiled, and its optimizer then refuses the first step.
        ("tf-nightly", "h5/freeze_then_compile", {"flags": "💥 ValueError at step"}),
        ("tensorflow-cpu-2.16.2", "keras/compile_then_freeze", {"flags": "kept", "step": ""}),
        # A format the release cannot write is not applicable, with the reason.
        ("tensorflow-cpu-2.1.4", "keras/freeze_then_compile", {"flags": "n/a"}),
        ("tensorflow-cpu-2.16.2", "savedmodel/freeze_then_compile", {"flags": "n/a"}),
    ],
)
def test_what_came_back(known: dict[str, probes.Probe], variant: str, case_id: str, expected: dict[str, str]) -> None:
    found = judged(known, "saving", variant, case_id)
    assert {aspect: found[aspect] for aspect in expected} == expected


def test_the_flags_at_each_moment_are_recorded(known: dict[str, probes.Probe]) -> None:
    case = recorded_case(known, "saving", "tensorflow-cpu-2.4.4", "savedmodel/compile_then_freeze")
    assert case["flags_at_compile"] == {"first": True, "middle": True, "last": True}
    assert case["flags_at_save"] == {"first": True, "middle": False, "last": True}
    assert case["flags_loaded"] == {"first": True, "middle": True, "last": True}
    reason = recorded_case(known, "saving", "tensorflow-cpu-2.1.4", "keras/freeze_then_compile")["error"]["message"]
    assert reason == "model.save('model.keras') wrote an HDF5 file, not a .keras archive"
