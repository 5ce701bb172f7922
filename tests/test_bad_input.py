"""Bad input to the main command: one line naming the file and field, exit status 2, nothing touched.

Each case runs ``nox -s matrix`` for real in a copy of this checkout.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_checkout, run_nox

ENTRY = 'version = "2.1.0"\ndistribution = "tensorflow-cpu"\npython = "3.7"\nresolved_as_of = 2020-01-15\n'


def snapshot(checkout: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(checkout)): p.read_bytes() for p in sorted((checkout / "reports").rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("catalog", "options", "message"),
    [
        (
            "[[release]]\n" + ENTRY.replace("2020-01-15", "2020-13-45"),
            (),
            "catalog.toml: line 5: resolved_as_of: is not valid TOML",
        ),
        (
            "[[release]]\n" + ENTRY.replace("2020-01-15", "2999-01-15"),
            (),
            "catalog.toml: release[0].resolved_as_of: 2999-01-15 is in the future",
        ),
        (
            "[[release]]\n" + ENTRY.replace('"3.7"', '"3.99"'),
            (),
            "catalog.toml: release[0].python: Python 3.99 is not installed",
        ),
        pytest.param(  # asks the configured package index, as the installs would
            "[[release]]\n" + ENTRY.replace('"2.1.0"', '"2.1.99"'),
            (),
            "catalog.toml: release[0].version: tensorflow-cpu==2.1.99 has no wheel for Python 3.7",
            marks=pytest.mark.slow,
        ),
        pytest.param(  # resolved before the release was uploaded: the install would find no such version
            "[[release]]\n" + ENTRY.replace("2020-01-15", "2020-01-01"),
            (),
            "catalog.toml: release[0].resolved_as_of: tensorflow-cpu==2.1.0 was not on the package index on 2020-01-01",
            marks=pytest.mark.slow,
        ),
        ("[[release]]\n" + ENTRY, ("--only", "tensorflow-cpu-9.9.9"), "unknown variant 'tensorflow-cpu-9.9.9'"),
        ("[[release]]\n" + ENTRY, ("--repeat", "0"), "argument --repeat: expected a positive int, got '0'"),
        ("[[release]]\n" + ENTRY, ("--timeout", "soon"), "argument --timeout: expected a positive float"),
        ("[[release]]\n" + ENTRY, ("--timeout", "nan"), "argument --timeout: expected a positive float, got 'nan'"),
        ("[[release]]\n" + ENTRY, ("--only",), "argument --only: expected at least one argument"),
        ("[[release]]\n" + ENTRY, ("--results-dir", "new-folder"), "new-folder holds no results: name variants"),
        ("[[release]]\n" + ENTRY, ("--probes", "freez"), "probes: has no probe 'freez' (it has callback, "),
    ],
)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(
    tmp_path: Path, catalog: str, options: tuple[str, ...], message: str
) -> None:
    checkout = copy_checkout(tmp_path, catalog, keep_results=False)  # the committed ones are of other variants
    before = snapshot(checkout)
    run = run_nox(checkout, "-s", "matrix", "--", *options)
    assert run.returncode == 2, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(errors) == 1
    assert message in errors[0]
    assert "Traceback" not in run.stderr
    assert snapshot(checkout) == before
    assert not (checkout / ".nox" / "logs").exists()  # nothing was started


@pytest.mark.slow  # the report session builds its venv from the package index
def test_a_broken_result_file_is_bad_input_for_the_report(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path)
    broken = checkout / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json"
    broken.write_text(broken.read_text(encoding="utf-8")[:500], encoding="utf-8")
    report = (checkout / "reports" / "freeze-matrix.md").read_bytes()
    run = run_nox(checkout, "-s", "report")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{broken}: is not valid JSON" in run.stderr
    assert (checkout / "reports" / "freeze-matrix.md").read_bytes() == report


@pytest.mark.parametrize(
    ("entry", "status", "said"),
    [
        (ENTRY.replace('"3.7"', '"3.99"'), 1, "Python interpreter 3.99 not found"),
        pytest.param(  # resolved before the release was uploaded: the index has no such version that day
            ENTRY.replace("2020-01-15", "2020-01-01"), 1, "tensorflow-cpu-2.1.0: install-failed", marks=pytest.mark.slow
        ),
    ],
)
def test_a_probe_session_run_by_hand_fails_visibly(tmp_path: Path, entry: str, status: int, said: str) -> None:
    """`nox -s "probe(ID)"` has no report to say it failed: its exit status must."""
    checkout = copy_checkout(tmp_path, "[[release]]\n" + entry, keep_results=False)
    run = run_nox(checkout, "-s", "probe(tensorflow-cpu-2.1.0)")
    assert run.returncode == status, run.stdout + run.stderr
    assert said in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("stray", "message"),
    [
        ("freeze/tensorflow-cpu-9.9.9.json", "variant: tensorflow-cpu-9.9.9 is not in the catalog"),
        ("removed/tensorflow-cpu-2.1.0.json", "probe.name: no probe 'removed' in the probes directory"),
    ],
)
def test_a_result_the_report_would_refuse_stops_the_run_before_probing(
    tmp_path: Path, stray: str, message: str
) -> None:
    """A catalog entry or a probe removed while its results stay: said at once, not after probing the rest."""
    checkout = copy_checkout(tmp_path)
    path = checkout / "reports" / "results" / stray
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    run = run_nox(checkout, "-s", "matrix", "--", "--force", "tensorflow-cpu-2.1.0")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{path}: {message}" in run.stderr
    assert not (checkout / ".nox" / "logs").exists()  # nothing was started


@pytest.mark.parametrize("kind", ["a link that leads nowhere", "a link to itself", "a directory"])
def test_a_result_path_that_is_no_file_stops_the_run_before_probing(tmp_path: Path, kind: str) -> None:
    checkout = copy_checkout(tmp_path)
    path = checkout / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json"
    path.unlink()
    if kind == "a directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "nowhere.json" if "nowhere" in kind else path)
    run = run_nox(checkout, "-s", "matrix", "--", "--force", "tensorflow-cpu-2.1.0")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{path}: is not a result file (a directory, or a link that leads nowhere): delete it" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (checkout / ".nox" / "logs").exists()  # nothing was started


def test_a_read_only_results_folder_stops_the_run_before_probing(tmp_path: Path, small_filesystem: Path) -> None:
    """A real read-only filesystem: root writes through permission bits, not through this."""
    checkout = copy_checkout(tmp_path / "checkout")
    results = small_filesystem / "results" / "freeze"
    results.mkdir(parents=True)
    shutil.copy(checkout / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json", results)
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    run = run_nox(
        checkout, "-s", "matrix", "--", "--results-dir", str(results.parent), "--only", "tensorflow-cpu-2.1.0"
    )
    assert run.returncode == 2, run.stdout + run.stderr
    said = f"{results.parent}: no result can be written there (Read-only file system): nothing was probed"
    assert said in run.stderr
    assert "Traceback" not in run.stderr
    assert not (checkout / ".nox" / "logs").exists()


@pytest.mark.slow  # the diff session builds its venv from the package index
def test_diff_outside_a_git_checkout_asks_for_the_earlier_results(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path)  # files only: no .git
    run = run_nox(checkout, "-s", "diff")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{checkout} is no git checkout with committed results to compare with: name them with --old DIR" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr
