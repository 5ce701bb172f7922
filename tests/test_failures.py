"""Failures become results: real releases that cannot install or import, and probes that crash or hang.

The run goes through ``nox -s matrix`` in a copy of this checkout with a catalog made for it:
- tensorflow 2.0.4 resolved as of 2023: protobuf 4 arrives, and TensorFlow 2.0 cannot import with it;
- TensorFlow 1.15.5, 2.1.0 and 2.1.4 really installed, the freeze probe run, and then a stand-in
  probe in the same process hangs (1.15.5, with a time limit of its own), dies of SIGSEGV (2.1.0) or
  exits without output (2.1.4): the freeze probe's findings, written before, are kept.

Only the freeze probe runs before the stand-in (``--probes``), and 1.15.5's time limit is 100 s: with
every real probe before it, or with 45 s, the limit ran out before the stand-in began on a loaded
machine (CI, 2026-11-27: the first import of TF 1.15 in a fresh checkout compiles its bytecode, and
beside another variant doing the same it took more than 45 s).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import DATA, RECORDED, ROOT, copy_checkout, judged_outcomes, nox_env, probes_with, run_nox, table_rows
from tfmatrix import catalog, probes, results

EARLIER = "tensorflow-cpu-2.15.1"  # a finished result from before the run, which must stay as it was
PROMOTION = DATA / "probes" / "promotion.py"  # a probe that imports no framework
CATALOG = """
[[release]]
version = "1.15.5"
distribution = "tensorflow"
python = "3.7"
resolved_as_of = 2021-01-13
timeout_seconds = 100

[[release]]
version = "2.0.4"
distribution = "tensorflow"
python = "3.7"
resolved_as_of = 2023-06-01

[[release]]
version = "2.1.0"
distribution = "tensorflow-cpu"
python = "3.7"
resolved_as_of = 2020-01-15

[[release]]
version = "2.1.4"
distribution = "tensorflow-cpu"
python = "3.7"
resolved_as_of = 2021-06-22

[[release]]
version = "2.15.1"
distribution = "tensorflow-cpu"
python = "3.11"
resolved_as_of = 2024-03-15
"""
EXPECTED = {  # variant: (the stand-in probe's status, failed step, how it ended, a line of the error)
    "tensorflow-2.0.4": ("import-failed", "import", "exit status 1", "Descriptors cannot"),
    "tensorflow-1.15.5": ("timeout", "probe", "timed out after 100 s", "hanging"),
    "tensorflow-cpu-2.1.0": ("crashed", "probe", "killed by SIGSEGV", "Fatal Python error: Segmentation fault"),
    "tensorflow-cpu-2.1.4": ("crashed", "probe", "exit status 0", "without writing its result"),
}


@pytest.mark.slow
def test_every_failure_becomes_a_result_and_the_others_still_run(
    tmp_path: Path, misbehaving_dir: Path, misbehaving_probes: dict[str, probes.Probe]
) -> None:
    checkout = copy_checkout(tmp_path, CATALOG, keep_results=False)
    results_dir = checkout / "reports" / "results"
    earlier = results_dir / "freeze" / f"{EARLIER}.json"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes((RECORDED / "freeze" / f"{EARLIER}.json").read_bytes())
    plan = {"1.15.5": "hang", "2.1.0": "crash", "2.1.4": "quiet"}
    options = ["--jobs", "2", "--probes-dir", str(misbehaving_dir), "--probes", "freeze", "misbehaving"]
    options += ["--only", *EXPECTED]
    run = run_nox(checkout, "-s", "matrix", "--", *options, env=nox_env() | {"TFMATRIX_MISBEHAVE": json.dumps(plan)})
    assert run.returncode == 3, run.stdout + run.stderr
    assert "exit status 3: some variants failed" in run.stderr
    assert "Traceback" not in run.stderr
    for variant, (state, phase, ended, line) in EXPECTED.items():
        path = results_dir / "misbehaving" / f"{variant}.json"
        result = results.load_one(path, misbehaving_probes)  # a valid result, whatever happened
        assert (result["status"], result["failure"]["phase"], result["failure"]["exit"]) == (state, phase, ended)
        assert line in result["failure"]["message"]
        assert result["cases"] == []
        freeze = results.load_one(results_dir / "freeze" / f"{variant}.json", misbehaving_probes)
        if state in ("timeout", "crashed"):  # after the import: the freeze probe had run, and its findings stay
            assert freeze["status"] == "ok"
            committed = results.load_one(
                ROOT / "reports" / "results" / "freeze" / f"{variant}.json", misbehaving_probes
            )
            freeze_probe = misbehaving_probes["freeze"]
            assert judged_outcomes(freeze, freeze_probe) == judged_outcomes(committed, freeze_probe)
            assert all(isinstance(case["warnings"], list) for case in freeze["cases"])
        else:  # before any probe ran: the failure is every probe's
            assert (freeze["status"], freeze["failure"]) == (result["status"], result["failure"])
    assert earlier.read_bytes() == (RECORDED / "freeze" / f"{EARLIER}.json").read_bytes()
    report = (checkout / "reports" / "misbehaving-matrix.md").read_text(encoding="utf-8")
    assert "## Failed attempts" in report
    section = report.split("## Failed attempts")[1].split("\n## ")[0]
    header, *rows = table_rows(section)
    column = header.index("error")
    errors = {cells[0]: cells[column] for cells in rows}
    assert errors == {
        "1.15.5": "hanging",
        "2.0.4": "TypeError: Descriptors cannot not be created directly.",
        "2.1.0": "Fatal Python error: Segmentation fault",
        "2.1.4": "tfmatrix: the probe exited with status 0 without writing its result",
    }
    freeze = (checkout / "reports" / "freeze-matrix.md").read_text(encoding="utf-8")
    assert "## Change points" in freeze  # the findings still yield change points
    every = results.load_all(results_dir, catalog.load(checkout / "catalog.toml"), misbehaving_probes)
    assert [r["status"] for r in every if r["probe"]["name"] == "freeze"].count("ok") == 4


@pytest.mark.slow
def test_a_full_disk_is_infrastructure_named_on_the_console_and_what_was_there_stays(
    tmp_path: Path, small_filesystem: Path
) -> None:
    """A real full filesystem as the results folder: the attempt runs, its result cannot be written."""
    checkout = copy_checkout(tmp_path / "checkout", CATALOG, keep_results=False)
    probes_dir = probes_with(tmp_path / "probes", PROMOTION)  # a small result beside the real ones
    results_dir = small_filesystem / "results"
    options = ["--only", "tensorflow-cpu-2.1.0", "--probes-dir", str(probes_dir), "--results-dir", str(results_dir)]
    probed = run_nox(checkout, "-s", "matrix", "--", *options)
    assert probed.returncode == 0, probed.stdout + probed.stderr
    before = {path: path.read_bytes() for path in results_dir.rglob("*.json")}
    assert len(before) == len(probes.names(probes_dir))
    (small_filesystem / "callback-matrix.md").unlink()  # a report gone: the report step must write it again
    with (small_filesystem / "filler").open("wb", buffering=0) as filler, contextlib.suppress(OSError):
        while True:  # until the filesystem says it is full
            filler.write(b"\0" * 4096)
    run = run_nox(checkout, "-s", "matrix", "--", *options, "--force-all")
    assert run.returncode == 3, run.stdout + run.stderr
    first = results_dir / "callback" / "tensorflow-cpu-2.1.0.json"  # the first probe's
    said = f"{first}: cannot be written: No space left on device (and {len(before) - 1} more results)"
    assert said in run.stderr, run.stdout + run.stderr
    assert f"{small_filesystem / 'callback-matrix.md'}: cannot be written (No space left on device)" in run.stderr
    assert "Traceback" not in run.stderr
    after = {path: path.read_bytes() for path in results_dir.rglob("*") if path.is_file()}
    assert after == before  # each whole, and no partial file left


@pytest.mark.slow
def test_an_install_that_fails_keeps_the_last_good_findings(tmp_path: Path) -> None:
    """TensorFlow 2.1.0 resolved as of a day before its upload: uv finds no such version, for real.

    The matrix's pre-flight refuses such a day, so the probe session is run by hand, as a user would.
    The freeze probe's findings from an earlier run stay, and the report shows them, marked.
    """
    entry = 'version = "2.1.0"\ndistribution = "tensorflow-cpu"\npython = "3.7"\nresolved_as_of = 2020-01-01\n'
    checkout = copy_checkout(tmp_path, "[[release]]\n" + entry)
    results_dir = checkout / "reports" / "results"
    path = results_dir / "freeze" / "tensorflow-cpu-2.1.0.json"
    good = json.loads(path.read_text(encoding="utf-8")) | {"probed_on": "2026-11-19"}
    path.write_text(json.dumps(good), encoding="utf-8")
    for other in results_dir.glob("*/*.json"):  # only the catalog's variant
        if other.stem != "tensorflow-cpu-2.1.0":
            other.unlink()
    run = run_nox(checkout, "-s", "probe(tensorflow-cpu-2.1.0)", "--", "--probes", "freeze")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{path}: install-failed (the last good findings are kept)" in run.stderr
    kept = results.load_one(path, probes.load_all(checkout / "probes"))
    assert (kept["status"], kept["failure"]["phase"]) == ("install-failed", "install")
    assert "there is no version of tensorflow-cpu==2.1.0" in kept["failure"]["message"]
    assert (kept["probed_on"], kept["last_good"]) == (dt.date.today().isoformat(), good)
    report = run_nox(checkout, "-s", "report")
    assert report.returncode == 0, report.stdout + report.stderr
    freeze = (checkout / "reports" / "freeze-matrix.md").read_text(encoding="utf-8")
    assert "| 2.1.0<br>2020-01-08 (last good run: 2026-11-19)" in freeze  # its findings, in a column of their own
    assert "last good run: 2026-11-19" in freeze.split("## Failed attempts")[1].split("\n## ")[0]
