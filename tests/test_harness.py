"""The probes' harness: metadata without the framework, repeats and flaky aspects, and a second probe.

Comparing repeats needs no framework: the harness's run_case is made to replay recorded records
so that the comparison can be driven with outcomes that differ. The real probe with real repeats
runs in tests/test_grid_end_to_end.py. A second probe, framework-free, shows what adding a probe
takes: one file in probes/, and everything else (describe, run, record, validate, report) follows.
"""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, PROBES, RECORDED, ROOT, probes_with
from tfmatrix import catalog, probes, record, render, results
from tfmatrix.errors import InputError

SECOND_PROBE = DATA / "probes" / "promotion.py"
Harness = tuple[types.ModuleType, types.ModuleType]


@pytest.fixture
def harness() -> Harness:
    """The real harness and the freeze probe, imported as the report imports them."""
    with probes.isolated_imports(PROBES):
        module = importlib.import_module("_harness")
        return module, module.load("freeze")


def recorded_case(case_id: str) -> dict[str, Any]:
    path = RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json"
    result = results.load_one(path, probes.load_all(PROBES))
    return copy.deepcopy(next(c for c in result["cases"] if c["id"] == case_id))


def repeated(monkeypatch: pytest.MonkeyPatch, harness: Harness, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The harness's record of a case whose runs return these records, one per repeat."""
    module, freeze = harness
    queue = iter(runs)
    monkeypatch.setattr(module, "run_case", lambda _module, _spec: copy.deepcopy(next(queue)))
    record: dict[str, Any] = module.run_repeated(freeze, {}, len(runs))
    return record


def test_repeats_that_agree_are_not_flaky(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    first = recorded_case("sequential/model/compile_then_freeze/train_on_batch")
    again = copy.deepcopy(first)
    for weight in again["weights"]:
        weight["max_abs_change"] *= 2  # how far a weight moved may differ; whether it moved may not
    again["warnings"] = []
    assert repeated(monkeypatch, harness, [first, again, again])["flaky"] == []


def test_each_differing_aspect_is_named(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    first = recorded_case("sequential/model/compile_then_freeze/train_on_batch")
    moved = copy.deepcopy(first)
    moved["weights"][0]["moved"] = not moved["weights"][0]["moved"]
    printed = copy.deepcopy(first)
    printed["summary_printed"]["total"] += 1
    record = repeated(monkeypatch, harness, [first, moved, printed])
    assert record["flaky"] == ["printed", "weights"]
    assert record["weights"] == first["weights"]  # the record is the first run's


def test_a_case_that_fails_in_one_repeat_is_flaky_in_status(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    first = recorded_case("sequential/layer/freeze_then_compile/fit/dense/adam/false")
    failed = copy.deepcopy(first)
    failed["status"], failed["error"] = "error", {"type": "RuntimeError", "message": "boom"}
    flaky = repeated(monkeypatch, harness, [first, failed])["flaky"]
    assert flaky == ["status", "verdict", "weights", "why"]  # an error is judged too


def harness_command(
    probes_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(probes_dir / "_harness.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def test_describe_needs_no_framework(tmp_path: Path) -> None:
    """A tensorflow that cannot be imported: --describe still prints every probe's metadata."""
    broken = tmp_path / "site"
    (broken / "tensorflow").mkdir(parents=True)
    (broken / "tensorflow" / "__init__.py").write_text("raise ImportError('no framework here')\n", encoding="utf-8")
    described = harness_command(PROBES, "--describe", env={"PYTHONPATH": str(broken)})
    assert described.returncode == 0, described.stderr
    every = probes.load_all(PROBES)
    described_probes = json.loads(described.stdout)
    assert [d["name"] for d in described_probes] == list(every)
    for metadata in described_probes:
        expected = every[metadata["name"]]
        assert metadata == {field: getattr(expected, field) for field in metadata}
        assert list(metadata["axes"]) == list(expected.axes)  # in case-id order, not sorted


def test_a_probe_must_be_named_as_its_file(tmp_path: Path) -> None:
    directory = probes_with(tmp_path / "probes")
    (directory / "thaw.py").write_text(SECOND_PROBE.read_text(encoding="utf-8"), encoding="utf-8")
    described = harness_command(directory, "--describe", "thaw")
    assert described.returncode == 2
    assert "probe thaw: NAME: is 'promotion', expected its file name 'thaw'" in described.stderr
    with pytest.raises(InputError) as caught:
        probes.load_all(directory)
    assert str(caught.value) == f"{directory / 'thaw.py'}: NAME: is 'promotion', expected its file name 'thaw'"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda s: s.replace("def judge(case):", "def judged(case):"), "judge", "missing"),
        (lambda s: s.replace('FIELDS = {"dtype": None}', 'FIELDS = {"status": None}'), "FIELDS", "the harness records"),
        (lambda s: s.replace('"matrix": True', '"matrix": False'), "ASPECTS", "at least one aspect with matrix"),
        (lambda s: s.replace("def intended(case):", "def meant(case):"), "intended", "missing"),
        (lambda s: s.replace('"wrong": "the sum is promoted"', '"bad": 1'), "INTENT.scalars.parts.kept", "wrong"),
        (
            lambda s: s.replace('"scalars": {\n        "means"', '"other": {\n        "means"'),
            "INTENT.scalars",
            "means",
        ),
        (
            lambda s: s.replace('"case": None', '"case": {"scalar": "float64"}'),
            "INTENT.scalars.fixes[0].case.scalar",
            "AXES",
        ),
        (lambda s: s.replace('ASPECTS = {"dtype"', 'ASPECTS = {"verdict"'), "ASPECTS", "the harness judges itself"),
        (lambda s: s.replace('"title": "numpy scalar", ', ""), "AXES.scalar", "expected {title, values"),
        (lambda s: s.replace('"grid": "Each scalar × operand."', '"cells": 4'), "GROUPS.scalars", "question, grid"),
        (lambda s: s + "\nraise RuntimeError('half written')\n", "", "cannot be imported: RuntimeError: half written"),
    ],
)
def test_a_bad_probe_file_is_one_line_naming_it(tmp_path: Path, change: Any, field: str, problem: str) -> None:
    directory = probes_with(tmp_path / "probes")
    (directory / "promotion.py").write_text(change(SECOND_PROBE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        probes.load_all(directory)
    where = f"{directory / 'promotion.py'}: {field}: " if field else f"{directory / 'promotion.py'}: "
    assert str(caught.value).startswith(where)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_directory_without_the_harness_is_no_directory_of_probes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is not a directory of probes: it has no _harness\.py"):
        probes.load_all(tmp_path)


def test_adding_a_probe_is_adding_one_file(tmp_path: Path) -> None:
    """The second probe is described, run by the harness, recorded, validated and reported like freeze."""
    directory = probes_with(tmp_path / "probes", SECOND_PROBE)
    assert probes.names(directory) == sorted([*probes.names(PROBES), "promotion"])
    described = harness_command(directory, "--describe", "promotion")
    assert json.loads(described.stdout)[0]["groups"] == {
        "scalars": {"question": "Which dtype does scalar + Python number have?", "grid": "Each scalar × operand."}
    }
    out = tmp_path / "out"
    out.mkdir()
    ran = harness_command(directory, "--out", str(out), "--repeat", "2", "promotion")
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.count("tfmatrix-imported ") == 1
    assert sorted(p.name for p in out.iterdir()) == ["_timing.json", "promotion.json"]
    variant = next(v for v in catalog.load(ROOT / "catalog.toml") if v.id == "tensorflow-cpu-2.21.0")
    source = probes.sources(directory)["promotion"]
    result = record.build_result(out / "promotion.json", variant, {}, source)
    path = record.result_path(tmp_path / "results", "promotion", variant.id)
    record.write_json_atomic(path, result)
    known = probes.load_all(directory)
    loaded = results.load_one(path, known)  # the generic case schema, completed from its metadata
    assert [c["id"] for c in loaded["cases"]] == ["float32/float", "float32/int", "int8/float", "int8/int"]
    assert all(c["flaky"] == [] for c in loaded["cases"])
    text = render.render([loaded], known["promotion"])
    assert text.startswith("# Does a float32 scalar stay float32?")
    assert "## Which dtype does scalar + Python number have?" in text
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line[:2] == "| "]
    assert ["numpy scalar", "Python operand", "2.21.0"] in rows  # its axes' titles, then the variant
    dtype = {(r[0], r[1]): r[2] for r in rows if len(r) == 3}[("float32", "float")]
    recorded = {c["id"]: c["dtype"] for c in loaded["cases"]}["float32/float"]
    verdict = "✅ works" if recorded == "float32" else "❌ silently wrong: the sum is promoted"  # its INTENT
    assert dtype == f"{verdict} ({recorded})"


def test_grid_gives_every_combination_in_case_id_order(harness: Harness) -> None:
    module, _ = harness
    axes = {"a": {"title": "a", "values": ["x", "y"]}, "b": {"title": "b", "values": ["1", "2", "3"]}}
    found = module.grid(axes)
    assert [module.case_id(types.SimpleNamespace(AXES=axes), c) for c in found] == [
        "x/1",
        "x/2",
        "x/3",
        "y/1",
        "y/2",
        "y/3",
    ]
    assert found[0] == {"a": "x", "b": "1"}
