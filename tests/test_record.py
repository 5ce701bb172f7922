from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import RECORDED, ROOT
from tfmatrix import record, results
from tfmatrix.attempt import Step
from tfmatrix.catalog import BUNDLED, NIGHTLY, Release, Variant
from tfmatrix.errors import InputError

VARIANT = Variant(Release("2.1.0", "tensorflow-cpu", "3.7", dt.date(2020, 1, 15)), BUNDLED)


def probe_output_from_recorded(tmp_path: Path) -> Path:
    """Reconstruct what the probe wrote for a recorded TF 2.1.0 run."""
    recorded = json.loads((RECORDED / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    added_by_record = ("packages", "resolved_as_of", "tf_keras_resolved_as_of")
    environment = {k: v for k, v in recorded["environment"].items() if k not in added_by_record}
    path = tmp_path / "probe.json"
    document = {"probe": "freeze", "environment": environment, "repeat": 1, "cases": recorded["cases"]}
    path.write_text(json.dumps(document))
    return path


def test_parse_freeze() -> None:
    text = "absl-py==0.9.0\nTensorflow-CPU==2.1.0\n-e file:///x\n\nwrapt==1.11.2\n"
    assert record.parse_freeze(text) == {"absl-py": "0.9.0", "tensorflow-cpu": "2.1.0", "wrapt": "1.11.2"}


def test_built_result_validates_and_round_trips(tmp_path: Path) -> None:
    packages = {"tensorflow-cpu": "2.1.0", "numpy": "1.18.1"}
    digest = record.probe_digest(ROOT / "probes" / "freeze_probe.py")
    result = record.build_result(probe_output_from_recorded(tmp_path), VARIANT, packages, digest)
    out = record.result_path(tmp_path / "results", VARIANT)
    record.write_json_atomic(out, result)
    assert out.name == "tensorflow-cpu-2.1.0.json"
    assert out.stat().st_mode & 0o777 == 0o644
    loaded = results.load_one(out)
    assert loaded["release"] == {
        "distribution": "tensorflow-cpu",
        "version": "2.1.0",
        "python": "3.7",
        "flavour": "bundled",
    }
    assert loaded["environment"]["tf_keras_resolved_as_of"] is None
    assert loaded["environment"]["resolved_as_of"] == "2020-01-15"
    assert loaded["environment"]["packages"] == packages
    assert loaded["probe"] == {"name": "freeze", "sha256": digest}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"probe": "freeze", "environm', "probe output is not readable JSON"),
        ("[]", "expected a JSON object"),
        ('{"probe": "freeze", "environment": {}, "repeat": 1}', "cases: missing from probe output"),
    ],
)
def test_bad_probe_output(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "probe.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        record.build_result(path, VARIANT, {}, "0" * 64)


@pytest.mark.parametrize(
    ("state", "phase", "step", "exit"),
    [
        ("install-failed", "install", Step(1, "error: No solution found\n  cause: no version\n", 900), "exit status 1"),
        ("import-failed", "import", Step(1, "Traceback\nTypeError: Descriptors\n", 900), "exit status 1"),
        ("crashed", "probe", Step(-11, "Fatal Python error: Segmentation fault\n", 900), "killed by SIGSEGV"),
        ("timeout", "probe", Step(None, "hanging\n", 45), "timed out after 45 s"),
    ],
)
def test_a_failed_attempt_is_a_valid_result_that_says_why(
    tmp_path: Path, state: str, phase: str, step: Step, exit: str
) -> None:
    probe = ROOT / "probes" / "freeze_probe.py"
    result = record.build_failure(VARIANT, {"numpy": "1.18.1"}, probe, 1, state, phase, step)
    out = record.result_path(tmp_path, VARIANT)
    record.write_json_atomic(out, result)
    loaded = results.load_one(out)  # the schema accepts it
    assert (loaded["status"], loaded["failure"]) == (state, {"phase": phase, "exit": exit, "message": step.excerpt()})
    assert (loaded["cases"], loaded["probe"]["name"]) == ([], "freeze")
    assert not record.is_current(out, VARIANT, record.probe_digest(probe))  # tried again on the next run


def test_failed_write_leaves_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(TypeError):
        record.write_json_atomic(out, {"not serialisable": object()})
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_is_current_only_for_the_same_entry_probe_and_runner(tmp_path: Path) -> None:
    digest = record.probe_digest(ROOT / "probes" / "freeze_probe.py")
    out = record.result_path(tmp_path, VARIANT)
    assert not record.is_current(out, VARIANT, digest)  # no file
    record.write_json_atomic(out, record.build_result(probe_output_from_recorded(tmp_path), VARIANT, {}, digest))
    assert record.is_current(out, VARIANT, digest)
    assert not record.is_current(out, VARIANT, digest, repeat=3)  # made with fewer repeats than asked for
    assert not record.is_current(out, VARIANT, "f" * 64)
    later = Variant(Release("2.1.0", "tensorflow-cpu", "3.7", dt.date(2020, 2, 1)), BUNDLED)
    assert not record.is_current(out, later, digest)
    out.write_text(out.read_text(encoding="utf-8")[:100], encoding="utf-8")
    assert not record.is_current(out, VARIANT, digest)  # truncated


def test_a_nightly_result_carries_the_version_the_index_served(tmp_path: Path) -> None:
    nightly = Variant(Release("nightly", "tf-nightly", "3.13", dt.date(2026, 11, 25)), NIGHTLY)
    packages = {"tf-nightly": "2.23.0.dev20261026"}
    result = record.build_result(probe_output_from_recorded(tmp_path), nightly, packages, "0" * 64)
    assert result["release"] == {
        "distribution": "tf-nightly",
        "version": "2.23.0.dev20261026",
        "python": "3.13",
        "flavour": "nightly",
    }
    assert result["catalog_entry"]["version"] == "nightly"
