"""The parallel runner, driven by a stand-in for nox that replays a real session's log and result."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from conftest import DATA, FAILED, RECORDED, ROOT
from tfmatrix import catalog, record, runner
from tfmatrix.errors import InputError

REPLAY = Path(__file__).resolve().parent / "replay_session.py"
LOG = DATA / "logs" / "tensorflow-cpu-2.1.0.log"
RESULT = RECORDED / "tensorflow-cpu-2.1.0.json"


@pytest.fixture
def variants(releases: list[catalog.Release]) -> dict[str, catalog.Variant]:
    return {v.id: v for v in catalog.variants(releases)}


def replay(status: int = 0, log: Path = LOG, result: Path = RESULT) -> list[str]:
    return [sys.executable, str(REPLAY), str(log), str(result), str(status)]


def run(
    variants: list[catalog.Variant],
    tmp_path: Path,
    status: int = 0,
    session: list[str] | None = None,
    **options: object,
) -> tuple[list[runner.Outcome], str]:
    out = io.StringIO()
    outcomes = runner.run(
        variants,
        nox_command=session or replay(status),
        probe=ROOT / "probes" / "freeze_probe.py",
        results_dir=tmp_path / "results",
        logs_dir=tmp_path / "logs",
        jobs=2,
        out=out,
        **options,  # type: ignore[arg-type]
    )
    return outcomes, out.getvalue()


def make_current(tmp_path: Path, variant: catalog.Variant) -> Path:
    """A result that is current for this checkout: the recorded one, keyed to today's probe."""
    document = json.loads(RESULT.read_text(encoding="utf-8"))
    document["probe"]["sha256"] = record.probe_digest(ROOT / "probes" / "freeze_probe.py")
    path = record.result_path(tmp_path / "results", variant)
    record.write_json_atomic(path, document)
    return path


def test_runs_a_missing_result_with_one_line_per_state(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    outcomes, printed = run([variants["tensorflow-cpu-2.1.0"]], tmp_path)
    assert [(o.variant, o.state) for o in outcomes] == [("tensorflow-cpu-2.1.0", runner.DONE)]
    states = [line.split()[2] for line in printed.splitlines()[:-1]]
    assert states == ["queued", "venv", "installing", "probing", "done"]
    assert printed.splitlines()[-1].startswith("1 done in ")
    assert (tmp_path / "results" / "tensorflow-cpu-2.1.0.json").read_bytes() == RESULT.read_bytes()
    assert (tmp_path / "logs" / "tensorflow-cpu-2.1.0.log").read_text(encoding="utf-8") == LOG.read_text(
        encoding="utf-8"
    )
    assert outcomes[0].phases.keys() == {"venv", "installing", "probing", "import", "cases"}
    assert (outcomes[0].phases["import"], outcomes[0].phases["cases"]) == (3.56, 7.48)


def test_current_results_are_not_run_again(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    chosen = [variants["tensorflow-cpu-2.1.0"], variants["tensorflow-1.15.5"]]
    current = make_current(tmp_path, chosen[0])
    before = current.stat().st_mtime_ns
    outcomes, printed = run(chosen, tmp_path)
    assert [o.state for o in outcomes] == [runner.CACHED, runner.DONE]
    assert current.stat().st_mtime_ns == before
    assert "[1/2] tensorflow-cpu-2.1.0  cached" in printed
    assert not (tmp_path / "logs" / "tensorflow-cpu-2.1.0.log").exists()


@pytest.mark.parametrize(
    "stale",
    [
        lambda d: d["probe"].update(sha256="0" * 64),  # the probe changed
        lambda d: d["catalog_entry"].update(resolved_as_of="2020-02-01"),  # the catalog entry changed
        lambda d: d["runner"].update(tfmatrix="0.0.0"),  # the runner changed
    ],
)
def test_a_changed_key_runs_again(variants: dict[str, catalog.Variant], tmp_path: Path, stale: object) -> None:
    variant = variants["tensorflow-cpu-2.1.0"]
    path = make_current(tmp_path, variant)
    document = json.loads(path.read_text(encoding="utf-8"))
    stale(document)  # type: ignore[operator]
    record.write_json_atomic(path, document)
    outcomes, _ = run([variant], tmp_path)
    assert [o.state for o in outcomes] == [runner.DONE]


def test_force_runs_a_current_result_again(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    variant = variants["tensorflow-cpu-2.1.0"]
    make_current(tmp_path, variant)
    assert [o.state for o in run([variant], tmp_path, force=[variant.id])[0]] == [runner.DONE]
    make_current(tmp_path, variant)
    assert [o.state for o in run([variant], tmp_path, force_all=True)[0]] == [runner.DONE]


def test_a_failing_session_is_reported_and_logged(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    outcomes, printed = run([variants["tensorflow-cpu-2.1.0"]], tmp_path, status=1)
    assert [o.state for o in outcomes] == [runner.FAILED]
    assert printed.splitlines()[-2].split()[2] == "failed"
    assert printed.splitlines()[-1].startswith("1 failed in ")
    assert (tmp_path / "logs" / "tensorflow-cpu-2.1.0.log").exists()
    assert not (tmp_path / "results").exists()


def test_a_failed_attempt_is_its_own_state(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    crashed = replay(
        log=DATA / "logs" / "tensorflow-cpu-2.1.0-crashed.log", result=FAILED / "tensorflow-cpu-2.1.0.json"
    )
    outcomes, printed = run([variants["tensorflow-cpu-2.1.0"]], tmp_path, session=crashed)
    assert [o.state for o in outcomes] == ["crashed"]
    assert printed.splitlines()[-2].split()[2] == "crashed"
    assert printed.splitlines()[-1].startswith("1 crashed in ")


def test_a_refusing_check_stops_the_run_before_anything_starts(
    variants: dict[str, catalog.Variant], tmp_path: Path
) -> None:
    def refuse(todo: list[catalog.Variant]) -> None:
        problem = f"Python is not installed for {todo[0].id}"
        raise InputError(Path("catalog.toml"), "release[2].python", problem)

    with pytest.raises(InputError, match=r"tensorflow-cpu-2\.1\.0"):
        run([variants["tensorflow-cpu-2.1.0"]], tmp_path, check=refuse)
    assert not (tmp_path / "logs").exists()
    assert not (tmp_path / "results").exists()


def test_timings_file_lists_every_variant(variants: dict[str, catalog.Variant], tmp_path: Path) -> None:
    chosen = [variants["tensorflow-cpu-2.1.0"], variants["tensorflow-1.15.5"]]
    make_current(tmp_path, chosen[0])
    run(chosen, tmp_path)
    timings = json.loads((tmp_path / "logs" / "timings.json").read_text(encoding="utf-8"))
    assert timings["jobs"] == 2
    assert [(v["variant"], v["state"]) for v in timings["variants"]] == [
        ("tensorflow-cpu-2.1.0", "cached"),
        ("tensorflow-1.15.5", "done"),
    ]


def test_select_checks_every_id(variants: dict[str, catalog.Variant]) -> None:
    every = list(variants.values())
    assert runner.select(every, only=None, force=["tensorflow-1.15.5"]) == every
    assert runner.select(every, only=["tensorflow-cpu-2.1.0"], force=[]) == [variants["tensorflow-cpu-2.1.0"]]
    with pytest.raises(ValueError, match=r"unknown variant 'tensorflow-9\.9\.9'"):
        runner.select(every, only=None, force=["tensorflow-9.9.9"])
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        runner.select(every, only=["nope"], force=[])
