"""The seed notebook's TF 2.1.0 output is ground truth: the matrix must reproduce it exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import PROBES, ROOT, SEED_CASE_IDS, SeedCell, run_probe_session, seed_cells
from tfmatrix import probes, results

SEED_SESSION = "probe(tensorflow-cpu-2.1.0)"


def test_seed_notebook_parses_into_eight_cells() -> None:
    cells = seed_cells()
    assert [c.case_id for c in cells] == SEED_CASE_IDS
    assert all(len(c.moved) == 6 for c in cells)
    # The headline of the project: compile, then freeze, and the summary counts 130 for 65 parameters.
    assert cells[4].printed == {"total": 130, "trainable": 65, "non_trainable": 65}


def assert_matches_seed(result: dict[str, Any]) -> None:
    assert result["environment"]["tensorflow"] == "2.1.0"
    assert result["environment"]["keras"] == "2.2.4-tf"
    cases = {case["id"]: case for case in result["cases"]}
    for cell in seed_cells():
        case = cases[cell.case_id]
        assert case["status"] == "ok", case["error"]
        assert [w["moved"] for w in case["weights"]] == cell.moved, cell.case_id
        assert case["summary_printed"] == cell.printed, cell.case_id


def test_committed_tf_2_1_0_result_reproduces_the_seed() -> None:
    path = ROOT / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json"
    assert_matches_seed(results.load_one(path, probes.load_all(PROBES)))


def test_seed_cell_fixture_is_not_vacuous() -> None:
    cells: list[SeedCell] = seed_cells()
    assert {tuple(c.moved) for c in cells} == {(False,) * 6, (True,) * 6, (True, True, False, False, True, True)}


@pytest.mark.slow
def test_real_tf_2_1_0_environment_end_to_end(tmp_path: Path) -> None:
    """Build a fresh uv venv for TF 2.1.0 on Python 3.7 through the nox session users run."""
    result = run_probe_session("tensorflow-cpu-2.1.0", tmp_path)[0]["freeze"]
    assert_matches_seed(result)
    assert result["environment"]["python"].startswith("3.7.")
    assert result["environment"]["resolved_as_of"] == "2020-01-15"
    assert result["environment"]["packages"]["tensorflow-cpu"] == "2.1.0"
