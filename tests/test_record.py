from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import PROBES, RECORDED, ROOT
from tfmatrix import catalog, probes, record, results
from tfmatrix.errors import InputError
from tfmatrix.kinds import nightly, tensorflow
from tfmatrix.process import Step
from tfmatrix.variant import Variant

VARIANT = next(v for v in catalog.load(ROOT / "catalog.toml") if v.id == "tensorflow-cpu-2.1.0")
KNOWN = probes.load_all(PROBES)
FREEZE = probes.sources(PROBES)["freeze"]


def entry_of_2_1_0(resolved_as_of: dt.date) -> Variant:
    entry = {"version": "2.1.0", "distribution": "tensorflow-cpu", "python": "3.7", "resolved_as_of": resolved_as_of}
    return tensorflow.load(Path("catalog.toml"), [entry], 900, dt.date(2026, 1, 1))[0]


def probe_output_from_recorded(tmp_path: Path) -> Path:
    """Reconstruct what the probe wrote for a recorded TF 2.1.0 run."""
    recorded = json.loads((RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
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
    result = record.build_result(probe_output_from_recorded(tmp_path), VARIANT, packages, FREEZE)
    out = record.result_path(tmp_path / "results", "freeze", VARIANT.id)
    record.write_json_atomic(out, result)
    assert out.relative_to(tmp_path).as_posix() == "results/freeze/tensorflow-cpu-2.1.0.json"
    assert out.stat().st_mode & 0o777 == 0o644
    loaded = results.load_one(out, KNOWN)
    assert (loaded["variant"], loaded["kind"]) == ("tensorflow-cpu-2.1.0", "tensorflow")
    assert loaded["release"] == {
        "distribution": "tensorflow-cpu",
        "version": "2.1.0",
        "python": "3.7",
        "track": "bundled",
    }
    assert loaded["environment"]["tf_keras_resolved_as_of"] is None
    assert loaded["environment"]["resolved_as_of"] == "2020-01-15"
    assert loaded["environment"]["packages"] == packages
    assert loaded["probe"] == {"name": "freeze", "sha256": FREEZE.sha256, "harness_sha256": FREEZE.harness_sha256}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"probe": "freeze", "environm', "probe output is not readable JSON"),
        ("[]", "expected a JSON object"),
        ('{"probe": "freeze", "environment": {}, "repeat": 1}', "cases: missing from probe output"),
        ('{"probe": "thaw", "environment": {}, "repeat": 1, "cases": []}', "probe: expected 'freeze', got 'thaw'"),
        ('{"probe": "freeze", "environment": [], "repeat": 1, "cases": [{}]}', "environment: expected an object"),
        ('{"probe": "freeze", "environment": {}, "repeat": 0, "cases": [{}]}', "repeat: expected a positive integer"),
        ('{"probe": "freeze", "environment": {}, "repeat": 1, "cases": []}', "cases: expected a non-empty list"),
        ('{"probe": "freeze", "environment": {}, "repeat": 1, "cases": [1]}', "cases: expected a non-empty list"),
    ],
)
def test_bad_probe_output(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "probe.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        record.build_result(path, VARIANT, {}, FREEZE)


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
    result = record.build_failure(VARIANT, {"numpy": "1.18.1"}, FREEZE, 1, state, step.failure(phase))
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    record.write_json_atomic(out, result)
    loaded = results.load_one(out, KNOWN)  # the schema accepts it
    assert (loaded["status"], loaded["failure"]) == (state, {"phase": phase, "exit": exit, "message": step.excerpt()})
    assert (loaded["cases"], loaded["probe"]["name"]) == ([], "freeze")
    assert not current(out, VARIANT, FREEZE)  # tried again on the next run


def current(path: Path, *args: Any, **options: Any) -> bool:
    return record.is_current(record.current_schema(path), *args, **options)


def test_a_failure_that_persists_is_tried_again_after_as_long_as_it_has_persisted(tmp_path: Path) -> None:
    """The weekly run's back-off: a week after a first failure, then after as long as the failures in a row
    have lasted, at most every eight weeks. A run without back-off (a local one) always tries again."""
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    timeout = Step(None, "", 60).failure("probe")
    tries = []
    day = dt.date(2026, 1, 5)  # a Monday
    for _ in range(60):  # the Mondays of a bit over a year
        if not current(out, VARIANT, FREEZE, backoff_on=day):
            assert not current(out, VARIANT, FREEZE)  # without back-off: due at once
            failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", timeout)
            record.write_json_atomic(out, record.keeping_last_good({**failure, "probed_on": day.isoformat()}, out))
            tries.append((day - dt.date(2026, 1, 5)).days // 7)
        day += dt.timedelta(days=7)
    assert tries == [0, 1, 2, 4, 8, 16, 24, 32, 40, 48, 56]  # weeks after the first failure
    assert json.loads(out.read_text(encoding="utf-8"))["failure"]["failing_since"] == "2026-01-05"
    assert results.load_one(out, KNOWN)["status"] == "timeout"  # the schema accepts the day


def test_a_failure_is_tried_again_at_once_when_its_probe_changed(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    record.write_json_atomic(out, failure)
    assert current(out, VARIANT, FREEZE, backoff_on=dt.date.today())
    assert not current(out, VARIANT, replace(FREEZE, sha256="f" * 64), backoff_on=dt.date.today())


def test_an_ok_result_ends_the_failures_in_a_row(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    record.write_json_atomic(out, {**failure, "probed_on": "2026-01-05"})
    assert record.keeping_last_good(failure, out)["failure"]["failing_since"] == "2026-01-05"
    record.write_json_atomic(out, record.build_result(probe_output_from_recorded(tmp_path), VARIANT, {}, FREEZE))
    assert "failing_since" not in record.keeping_last_good(failure, out)["failure"]


@pytest.mark.parametrize(
    ("probed_on", "failing_since"),
    [("2026-02-30", "2026-01-05"), ("9999-12-30", "9999-12-01"), (None, "2026-01-05"), ("2026-01-05", 7)],
)
def test_odd_days_in_a_failure_mean_try_again_never_a_crash(probed_on: Any, failing_since: Any) -> None:
    """A result file is untrusted: no day it holds may stop the listing with a traceback."""
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    document = {**failure, "probed_on": probed_on, "failure": {**failure["failure"], "failing_since": failing_since}}
    assert record.next_try(document) is None
    assert not record.is_current(document, VARIANT, FREEZE, backoff_on=dt.date(2026, 3, 2))


def test_failures_in_a_row_start_afresh_when_the_catalog_entry_changed(tmp_path: Path) -> None:
    """A fixed catalog entry is tried at once; its failure is a new one, not ten weeks of the old."""
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    record.write_json_atomic(out, {**failure, "probed_on": "2026-01-05"})
    fixed = entry_of_2_1_0(dt.date(2020, 2, 1))
    again = record.build_failure(fixed, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    assert "failing_since" not in record.keeping_last_good(again, out)["failure"]


def test_a_failing_since_that_is_no_day_is_refused(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    record.write_json_atomic(out, {**failure, "failure": {**failure["failure"], "failing_since": "2026-02-30"}})
    with pytest.raises(InputError, match=r"failure\.failing_since: expected a real day"):
        results.load_one(out, KNOWN)


def test_failed_write_leaves_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(TypeError):
        record.write_json_atomic(out, {"not serialisable": object()})
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_is_current_only_for_the_same_entry_probe_harness_and_runner(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    assert not current(out, VARIANT, FREEZE)  # no file
    record.write_json_atomic(out, record.build_result(probe_output_from_recorded(tmp_path), VARIANT, {}, FREEZE))
    assert current(out, VARIANT, FREEZE)
    assert current(out, entry_of_2_1_0(dt.date(2020, 1, 15)), FREEZE)  # the same entry, read again
    assert not current(out, VARIANT, FREEZE, repeat=3)  # made with fewer repeats than asked for
    assert not current(out, VARIANT, replace(FREEZE, sha256="f" * 64))  # the probe changed
    assert not current(out, VARIANT, replace(FREEZE, harness_sha256="f" * 64))  # the harness changed
    assert not current(out, entry_of_2_1_0(dt.date(2020, 2, 1)), FREEZE)  # the catalog entry changed
    out.write_text(out.read_text(encoding="utf-8")[:100], encoding="utf-8")
    assert not current(out, VARIANT, FREEZE)  # truncated


def test_a_nightly_result_carries_the_version_the_index_served(tmp_path: Path) -> None:
    (built,) = nightly.load(
        Path("catalog.toml"), {"distribution": "tf-nightly", "python": "3.13"}, 900, dt.date.today()
    )
    packages = {"tf-nightly": "2.23.0.dev20261026"}
    result = record.build_result(probe_output_from_recorded(tmp_path), built, packages, FREEZE)
    assert result["release"] == {
        "distribution": "tf-nightly",
        "version": "2.23.0.dev20261026",
        "python": "3.13",
        "track": "nightly",
    }
    assert result["catalog_entry"]["version"] == "nightly"


def test_a_failure_keeps_the_last_good_findings_it_replaces(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    good = record.build_result(probe_output_from_recorded(tmp_path), VARIANT, {"numpy": "1.18.1"}, FREEZE)
    record.write_json_atomic(out, good)
    install = Step(1, "error: Failed to fetch: `https://pypi.example/simple/tensorflow-cpu/`\n", 900)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "install-failed", install.failure("install"))
    assert failure["probed_on"] == dt.date.today().isoformat()
    first = record.keeping_last_good(failure, out)
    assert (first["status"], first["last_good"]) == ("install-failed", json.loads(out.read_text(encoding="utf-8")))
    record.write_json_atomic(out, first)
    assert results.load_one(out, KNOWN) == first  # valid, with the findings inside
    again = record.keeping_last_good(failure, out)  # a second failure carries the same findings on
    assert again["last_good"] == first["last_good"]
    record.write_json_atomic(out, again)
    assert record.keeping_last_good(good, out) == good  # a success replaces them
    assert not current(out, VARIANT, FREEZE)  # and the failed variant is tried again


def test_a_failure_keeps_no_findings_of_another_probe_or_harness(tmp_path: Path) -> None:
    out = record.result_path(tmp_path, "freeze", VARIANT.id)
    good = record.build_result(probe_output_from_recorded(tmp_path), VARIANT, {}, FREEZE)
    failure = record.build_failure(VARIANT, {}, FREEZE, 1, "timeout", Step(None, "", 60).failure("probe"))
    for changed in ({"sha256": "0" * 64}, {"harness_sha256": "0" * 64}):
        record.write_json_atomic(out, {**good, "probe": {**good["probe"], **changed}})
        assert record.keeping_last_good(failure, out)["last_good"] is None
    for text in ("{", "[]", '{"schema_version": 5, "status": "ok"}'):
        out.write_text(text, encoding="utf-8")
        assert record.keeping_last_good(failure, out)["last_good"] is None
    out.unlink()
    assert record.keeping_last_good(failure, out)["last_good"] is None
