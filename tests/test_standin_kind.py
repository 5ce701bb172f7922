"""A kind is a complete plug-in: a stand-in kind (one module, tests/data/standin/standin.py, and one catalog
table) is probed, reported, bisected and looked up, with nothing else told about it.

Its variants install nothing: they run the stand-in probe in this interpreter, for real, in the harness.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import DATA, attempted_here, probes_with, unfolded
from tfmatrix import catalog, cli, kinds, page, pinpoint, probes, publish, record, results, status
from tfmatrix.variant import Variant

STANDIN = DATA / "standin"
CATALOG = """
[[standin]]
version = "1.0"
resolved_as_of = 2024-01-10

[[standin]]
version = "2.0"
resolved_as_of = 2024-06-10

[[standin]]
version = "3.0"
resolved_as_of = 2025-01-10
"""
DATES = {"standin": {"1.0": "2024-01-03", "1.5": "2024-03-03", "2.0": "2024-06-03", "3.0": "2025-01-03"}}


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in kind, in the registry as a module of tfmatrix.kinds would be, after the others."""
    spec = importlib.util.spec_from_file_location("standin", STANDIN / "standin.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(kinds.KINDS, module.NAME, module)
    for track in module.TRACKS:
        monkeypatch.setitem(kinds.TRACKS, track.name, track)
    for name, option in module.OPTIONS.items():
        monkeypatch.setitem(kinds.OPTIONS, name, option)
    return module


def probed(variant: Variant, probes_dir: Path) -> dict[str, Any]:
    """The stand-in probe's result in ``variant``, run for real in the harness."""
    return attempted_here(variant, probes_dir, "toggle")["toggle"]


@pytest.mark.usefixtures("standin")
def test_a_kind_is_one_module_and_one_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    variants = catalog.load(tmp_path / "catalog.toml", dt.date(2026, 12, 7))
    assert [v.id for v in variants] == ["standin-1.0", "standin-2.0", "standin-3.0"]
    probes_dir = probes_with(tmp_path / "probes", STANDIN / "toggle.py")
    results_dir = tmp_path / "reports" / "results"
    for variant in variants:  # probed
        record.write_json_atomic(record.result_path(results_dir, "toggle", variant.id), probed(variant, probes_dir))
    toggle = {"toggle": probes.load_all(probes_dir)["toggle"]}
    loaded = results.load_all(results_dir, variants, toggle)
    assert [r["status"] for r in loaded] == ["ok"] * 3

    out = tmp_path / "reports"  # reported, in a view of its own
    made, problems = publish.files(out, loaded, toggle, [], DATES, "2026-12-07")
    assert problems == []
    for path, text in made.items():
        record.write_text_atomic(path, text)
    report = made[out / "toggle-standin-matrix.md"]
    assert "| release | distribution | released | Python | Keras | stand-in |" in report.replace("  ", "")
    document = json.loads(made[out / publish.MATRIX])
    [change] = document["change_points"]
    assert [seen["environment"] for seen in change["first_seen"]] == ["standin-2.0"]
    assert "**First seen** in **2.0 standin** (2024-06-03), after **1.0 standin** (2024-01-03): not yet pinpointed" in (
        unfolded(report)
    )
    assert [s["track"] for s in page.data(document, DATES)["setups"]] == ["standin"]

    [target] = pinpoint.targets(document, variants)  # bisected: the release between, made by the kind and probed
    assert (target.older.id, target.newer.id) == ("standin-1.0", "standin-2.0")
    assert pinpoint.between(target, DATES["standin"]) == ["1.5"]
    between = kinds.KINDS["standin"].between(target.newer, "1.5", dt.date(2024, 3, 10), {})
    assert between.environment == (("STANDIN_VERSION", "1.5"),)
    assert pinpoint.judge(probed(between, probes_dir), toggle["toggle"], target) == pinpoint.OLD

    asked = ["lookup", "--matrix", str(out / publish.MATRIX), "--standin", "1.0"]  # looked up, by its own option
    assert cli.main(asked) == status.OK
    said = capsys.readouterr().out
    assert said.startswith("Stand-in 1.0: probed as 1.0 standin (released 2024-01-03).")
    assert "❌ silently wrong" in said
    assert cli.main([*asked[:3], "--standin", "2.0", "--backend", "jax"]) == status.BAD_INPUT
    assert "--backend goes with --keras" in capsys.readouterr().err
