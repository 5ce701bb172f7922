"""The parallel runner, driven by a stand-in for nox that replays a real session's log and result."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from conftest import DATA, FAILED, PROBES, RECORDED
from tfmatrix import probes, record, runner
from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

REPLAY = Path(__file__).resolve().parent / "replay_session.py"
LOG = DATA / "logs" / "tensorflow-cpu-2.1.0.log"
REPORT = DATA / "logs" / "tensorflow-cpu-2.1.0.report.json"
RESULT = RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json"
SECOND_PROBE = DATA / "probes" / "promotion.py"


@pytest.fixture
def by_id(variants: list[Variant]) -> dict[str, Variant]:
    return {v.id: v for v in variants}


def replay(status: int = 0, log: Path = LOG, result: Path = RESULT) -> list[str]:
    return [sys.executable, str(REPLAY), str(log), str(result), str(REPORT), str(status)]


def run(
    variants: list[Variant],
    tmp_path: Path,
    status: int = 0,
    session: list[str] | None = None,
    probes_dir: Path = PROBES,
    **options: object,
) -> tuple[list[runner.Outcome], str]:
    out = io.StringIO()
    outcomes = runner.run(
        variants,
        nox_command=session or replay(status),
        probes_dir=probes_dir,
        results_dir=tmp_path / "results",
        logs_dir=tmp_path / "logs",
        jobs=2,
        out=out,
        **options,  # type: ignore[arg-type]
    )
    return outcomes, out.getvalue()


def make_current(tmp_path: Path, variant: Variant, probe: str = "freeze", probes_dir: Path = PROBES) -> Path:
    """A result that is current for this checkout: the recorded one, keyed to today's probe and harness."""
    document = json.loads(RESULT.read_text(encoding="utf-8"))
    document["probe"] = probes.sources(probes_dir)[probe].identity()
    path = record.result_path(tmp_path / "results", probe, variant.id)
    record.write_json_atomic(path, document)
    return path


def make_all_current(tmp_path: Path, variant: Variant) -> Path:
    """Every probe's result current for ``variant``; the freeze probe's path."""
    for name in probes.names(PROBES):
        make_current(tmp_path, variant, name)
    return record.result_path(tmp_path / "results", "freeze", variant.id)


def replayed_probes(tmp_path: Path, variant: str) -> list[str]:
    """The probes the runner asked the session to run, as the stand-in session logged them."""
    log = (tmp_path / "logs" / f"{variant}.log").read_text(encoding="utf-8")
    return log.split("replayed probes: ")[1].split()


def test_runs_a_missing_result_with_one_line_per_state(by_id: dict[str, Variant], tmp_path: Path) -> None:
    outcomes, printed = run([by_id["tensorflow-cpu-2.1.0"]], tmp_path)
    assert [(o.variant, o.state) for o in outcomes] == [("tensorflow-cpu-2.1.0", runner.DONE)]
    states = [line.split()[2] for line in printed.splitlines()[:-1]]
    assert states == ["queued", "venv", "installing", "probing", "done"]
    assert printed.splitlines()[-1].startswith("1 done in ")
    assert (tmp_path / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").read_bytes() == RESULT.read_bytes()
    assert (
        (tmp_path / "logs" / "tensorflow-cpu-2.1.0.log")
        .read_text(encoding="utf-8")
        .startswith(LOG.read_text(encoding="utf-8"))
    )
    timing = json.loads(REPORT.read_text(encoding="utf-8"))["timing"]
    assert outcomes[0].phases.keys() == {"venv", "installing", "probing", "import", "probe freeze"}
    assert (outcomes[0].phases["import"], outcomes[0].phases["probe freeze"]) == (
        timing["import_s"],
        timing["cases_s"]["freeze"],
    )


def test_the_state_comes_from_the_sessions_report_not_its_log(by_id: dict[str, Variant], tmp_path: Path) -> None:
    """A session that exits 0 without its report went wrong, whatever its log says."""
    session = [sys.executable, "-c", "import sys; print('nox > wrote x.json: ok'); sys.exit(0)"]
    outcomes, _ = run([by_id["tensorflow-cpu-2.1.0"]], tmp_path, session=session)
    assert [o.state for o in outcomes] == [runner.FAILED]


def test_current_results_are_not_run_again(by_id: dict[str, Variant], tmp_path: Path) -> None:
    chosen = [by_id["tensorflow-cpu-2.1.0"], by_id["tensorflow-1.15.5"]]
    current = make_all_current(tmp_path, chosen[0])
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
        lambda d: d["probe"].update(harness_sha256="0" * 64),  # the harness changed
        lambda d: d["catalog_entry"].update(resolved_as_of="2020-02-01"),  # the catalog entry changed
        lambda d: d["runner"].update(tfmatrix="0.0.0"),  # the runner changed
    ],
)
def test_a_changed_key_runs_again(by_id: dict[str, Variant], tmp_path: Path, stale: object) -> None:
    variant = by_id["tensorflow-cpu-2.1.0"]
    path = make_all_current(tmp_path, variant)
    document = json.loads(path.read_text(encoding="utf-8"))
    stale(document)  # type: ignore[operator]
    record.write_json_atomic(path, document)
    outcomes, _ = run([variant], tmp_path)
    assert [o.state for o in outcomes] == [runner.DONE]
    assert replayed_probes(tmp_path, variant.id) == ["freeze"]  # the others are current


def test_force_runs_a_current_result_again(by_id: dict[str, Variant], tmp_path: Path) -> None:
    variant = by_id["tensorflow-cpu-2.1.0"]
    make_all_current(tmp_path, variant)
    assert [o.state for o in run([variant], tmp_path, force=[variant.id])[0]] == [runner.DONE]
    assert replayed_probes(tmp_path, variant.id) == probes.names(PROBES)
    make_all_current(tmp_path, variant)
    assert [o.state for o in run([variant], tmp_path, force_all=True)[0]] == [runner.DONE]


def test_a_failing_session_is_reported_and_logged(by_id: dict[str, Variant], tmp_path: Path) -> None:
    outcomes, printed = run([by_id["tensorflow-cpu-2.1.0"]], tmp_path, status=1)
    assert [o.state for o in outcomes] == [runner.FAILED]
    assert outcomes[0].problem == f"the session ended without saying how; its log says why: {outcomes[0].log}"
    assert printed.splitlines()[-2].split()[2] == "failed"
    assert printed.splitlines()[-1].startswith("1 failed in ")
    assert (tmp_path / "logs" / "tensorflow-cpu-2.1.0.log").exists()
    assert not (tmp_path / "results").exists()


def test_a_failed_attempt_is_its_own_state(by_id: dict[str, Variant], tmp_path: Path) -> None:
    crashed = replay(
        log=DATA / "logs" / "tensorflow-cpu-2.1.0-crashed.log",
        result=FAILED / "misbehaving" / "tensorflow-cpu-2.1.0.json",
    )
    outcomes, printed = run([by_id["tensorflow-cpu-2.1.0"]], tmp_path, session=crashed)
    assert [o.state for o in outcomes] == ["crashed"]
    assert printed.splitlines()[-2].split()[2] == "crashed"
    assert printed.splitlines()[-1].startswith("1 crashed in ")


def test_a_refusing_check_stops_the_run_before_anything_starts(by_id: dict[str, Variant], tmp_path: Path) -> None:
    def refuse(todo: list[Variant]) -> None:
        problem = f"Python is not installed for {todo[0].id}"
        raise InputError(Path("catalog.toml"), "release[2].python", problem)

    with pytest.raises(InputError, match=r"tensorflow-cpu-2\.1\.0"):
        run([by_id["tensorflow-cpu-2.1.0"]], tmp_path, check=refuse)
    assert not (tmp_path / "logs").exists()
    assert not (tmp_path / "results").exists()


def test_timings_file_lists_every_variant(by_id: dict[str, Variant], tmp_path: Path) -> None:
    chosen = [by_id["tensorflow-cpu-2.1.0"], by_id["tensorflow-1.15.5"]]
    make_all_current(tmp_path, chosen[0])
    run(chosen, tmp_path)
    timings = json.loads((tmp_path / "logs" / "timings.json").read_text(encoding="utf-8"))
    assert timings["jobs"] == 2
    assert [(v["variant"], v["state"]) for v in timings["variants"]] == [
        ("tensorflow-cpu-2.1.0", "cached"),
        ("tensorflow-1.15.5", "done"),
    ]


def test_select_checks_every_id(by_id: dict[str, Variant]) -> None:
    every = list(by_id.values())
    assert runner.select(every, only=None, force=["tensorflow-1.15.5"]) == every
    chosen = runner.select(every, only=["tensorflow-cpu-2.1.0", "tensorflow-cpu-2.1.0"], force=[])
    assert chosen == [by_id["tensorflow-cpu-2.1.0"]]  # named twice, probed once
    with pytest.raises(ValueError, match=r"unknown variant 'tensorflow-9\.9\.9'"):
        runner.select(every, only=None, force=["tensorflow-9.9.9"])
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        runner.select(every, only=["nope"], force=[])


@pytest.fixture
def two_probes(tmp_path: Path) -> Path:
    """The real probes plus a second one: adding a probe is adding its file."""
    directory = Path(shutil.copytree(PROBES, tmp_path / "probes"))
    shutil.copy(SECOND_PROBE, directory)
    return directory


def test_only_the_probes_whose_results_are_stale_run(
    by_id: dict[str, Variant], tmp_path: Path, two_probes: Path
) -> None:
    variant = by_id["tensorflow-cpu-2.1.0"]
    every = probes.names(two_probes)
    assert "freeze" in every
    assert "promotion" in every
    current = make_current(tmp_path, variant, "freeze", two_probes)
    for name in every:
        if name not in ("freeze", "promotion"):
            make_current(tmp_path, variant, name, two_probes)
    before = current.stat().st_mtime_ns
    outcomes, _ = run([variant], tmp_path, probes_dir=two_probes)
    assert [o.state for o in outcomes] == [runner.DONE]
    assert replayed_probes(tmp_path, variant.id) == ["promotion"]  # one session, only the stale probe
    assert current.stat().st_mtime_ns == before
    (two_probes / "freeze.py").write_text((two_probes / "freeze.py").read_text() + "\n# changed\n", encoding="utf-8")
    make_current(tmp_path, variant, "promotion", two_probes)
    run([variant], tmp_path, probes_dir=two_probes)
    assert replayed_probes(tmp_path, variant.id) == ["freeze"]  # changing one probe re-runs that probe only
    (two_probes / "_keras.py").write_text((two_probes / "_keras.py").read_text() + "\n# changed\n", encoding="utf-8")
    run([variant], tmp_path, probes_dir=two_probes)
    assert replayed_probes(tmp_path, variant.id) == every  # the shared code: every probe


def test_only_the_probes_asked_for_run_and_an_unknown_one_is_refused(
    by_id: dict[str, Variant], tmp_path: Path, two_probes: Path
) -> None:
    variant = by_id["tensorflow-cpu-2.1.0"]  # no result yet: every probe is stale
    run([variant], tmp_path, probes_dir=two_probes, only_probes=["promotion", "freeze"])
    assert replayed_probes(tmp_path, variant.id) == ["freeze", "promotion"]  # in the order they always run
    make_current(tmp_path, variant, "freeze", two_probes)
    run([variant], tmp_path, probes_dir=two_probes, only_probes=["freeze", "promotion"])
    assert replayed_probes(tmp_path, variant.id) == ["promotion"]  # of those asked for, the stale one
    for name in probes.names(two_probes):
        make_current(tmp_path, variant, name, two_probes)
    run([variant], tmp_path, probes_dir=two_probes, force_all=True, only_probes=["freeze"])
    assert replayed_probes(tmp_path, variant.id) == ["freeze"]  # forced: the ones asked for, current or not
    with pytest.raises(InputError, match=f"^{two_probes}: has no probe 'freez' \\(it has "):
        run([variant], tmp_path, probes_dir=two_probes, only_probes=["freez"])


def test_results_that_could_not_be_written_are_a_state_of_their_own(tmp_path: Path) -> None:
    """The session says which result it could not write (a full disk): the run must say it, as no result can."""
    report = tmp_path / "tensorflow-cpu-2.1.0.report.json"
    lost = f"{tmp_path}/results/freeze/tensorflow-cpu-2.1.0.json: cannot be written: No space left on device"
    timing = json.loads(REPORT.read_text(encoding="utf-8"))["timing"]
    document = {"variant": "tensorflow-cpu-2.1.0", "statuses": {"freeze": "ok"}, "timing": timing, "unwritten": [lost]}
    report.write_text(json.dumps(document), encoding="utf-8")
    state, seconds, problem = runner.ended(report)
    assert (state, problem) == (runner.NOT_WRITTEN, lost)
    assert seconds["import"] == float(timing["import_s"])
    report.write_text(json.dumps({**document, "unwritten": []}), encoding="utf-8")
    assert runner.ended(report)[::2] == (runner.DONE, "")
