"""Sessions of the TensorFlow/Keras freeze matrix. ``nox -l`` is the table of contents.

nox -t matrix        every release in catalog.toml, then the report
nox -s tests         the test suite
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from tfmatrix import catalog, discover, record, runner

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]

CATALOG = ROOT / "catalog.toml"
PROBE = ROOT / "probes" / "freeze_probe.py"
RESULTS = ROOT / "reports" / "results"
REPORT = ROOT / "reports" / "freeze-matrix.md"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
VARIANTS = catalog.variants(catalog.load(CATALOG))
NIGHTLY = catalog.load_nightly(CATALOG, dt.date.today())  # opt-in: `nox -s matrix -- --nightly`
EVERY_VARIANT = VARIANTS + ([NIGHTLY] if NIGHTLY else [])
PROBE_ENV = {"PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "-1"}


def expose_pyenv_interpreters() -> None:
    """Let ``python3.7`` ... resolve where pyenv's shims expose only the selected Python.

    pyenv runs nox with PYENV_VERSION set to the one selected version; every other
    installed version is appended so that each release finds the Python it needs.
    """
    if shutil.which("pyenv") is None:
        return
    listing = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        return
    chosen = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    os.environ["PYENV_VERSION"] = ":".join(chosen + [v for v in listing.stdout.split() if v not in chosen])


expose_pyenv_interpreters()


def options(session: nox.Session) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where result JSON files go")
    parser.add_argument("--keep-venv", action="store_true", help="keep the release's venv after probing")
    return parser.parse_args(session.posargs)


def report_results(session: nox.Session) -> Path:
    """--results-dir from the posargs; `nox -t matrix -- ...` hands the matrix's other options here too."""
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the result JSON files are")
    results_dir: Path = parser.parse_known_args(session.posargs)[0].results_dir
    return results_dir


@nox.session(venv_backend="none", tags=["matrix"])
def matrix(session: nox.Session) -> None:
    """Probe every catalog variant, N at a time, skipping results that are current; logs in .nox/logs/."""
    parser = argparse.ArgumentParser(prog="nox -s matrix --")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where result JSON files go")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="variants probed at once")
    parser.add_argument("--force", nargs="*", default=[], metavar="ID", help="re-run these variants (session ids)")
    parser.add_argument("--force-all", action="store_true", help="re-run every variant")
    parser.add_argument("--keep-venvs", action="store_true", help="keep each variant's venv after probing")
    parser.add_argument("--only", nargs="*", metavar="ID", help="probe only these variants")
    parser.add_argument("--nightly", action="store_true", help="also probe the newest nightly build (opt-in)")
    opts = parser.parse_args(session.posargs)
    try:
        chosen = runner.select(EVERY_VARIANT, only=opts.only, force=opts.force)
    except ValueError as exc:
        session.error(str(exc))
    if not (opts.only or opts.nightly):
        chosen = [variant for variant in chosen if variant.flavour != catalog.NIGHTLY]
    outcomes = runner.run(
        chosen,
        nox_command=[sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py")],
        probe=PROBE,
        results_dir=opts.results_dir.resolve(),
        logs_dir=ROOT / ".nox" / "logs",
        jobs=opts.jobs,
        force=opts.force,
        force_all=opts.force_all,
        keep_venvs=opts.keep_venvs,
        out=sys.stdout,
    )
    # A missing interpreter skips its variant locally (the log says why); in CI it is a failure.
    fatal = (runner.FAILED, runner.SKIPPED) if os.environ.get("CI") else (runner.FAILED,)
    failed = [o.variant for o in outcomes if o.state in fatal]
    if failed:
        session.error(f"{len(failed)} variants did not produce a result: {', '.join(failed)}")


@nox.session
@nox.parametrize(
    ("python", "variant"),
    [(variant.release.python, variant) for variant in EVERY_VARIANT],
    ids=[variant.id for variant in EVERY_VARIANT],
)
def probe(session: nox.Session, variant: catalog.Variant) -> None:
    """Install one TensorFlow release (with tf-keras where named) as of its resolution date; probe it, always."""
    opts = options(session)
    release = variant.release
    out = record.result_path(opts.results_dir.resolve(), variant)
    if variant.flavour == catalog.NIGHTLY:
        session.install("--pre", release.requirement)  # the newest build, as of today
    else:
        session.install("--exclude-newer", release.resolved_as_of.isoformat(), release.requirement)
    if variant.tf_keras is not None:
        # tf-keras requires the full `tensorflow` package; the release already provides TensorFlow.
        when, version = variant.tf_keras.resolved_as_of.isoformat(), variant.tf_keras.version
        session.install("--no-deps", "--exclude-newer", when, f"tf-keras=={version}")
    frozen = session.run("uv", "pip", "freeze", silent=True, external=True)
    assert isinstance(frozen, str)
    with tempfile.TemporaryDirectory(prefix="tfmatrix-") as scratch:
        probe_output = Path(scratch) / "probe.json"
        started = time.perf_counter()
        session.run("python", str(PROBE), str(probe_output), env={**PROBE_ENV, **variant.environment})
        session.log(f"probe took {time.perf_counter() - started:.1f} s, TensorFlow import included")
        result = record.build_result(probe_output, variant, record.parse_freeze(frozen), record.probe_digest(PROBE))
    record.write_json_atomic(out, result)
    session.log(f"wrote {out}")
    if not opts.keep_venv:  # a TensorFlow venv is 1-2 GB; its result is what we keep
        shutil.rmtree(session.virtualenv.location, ignore_errors=True)


@nox.session(python="3.11", tags=["matrix"])
def report(session: nox.Session) -> None:
    """Aggregate every result in reports/results into the markdown matrix reports/freeze-matrix.md."""
    session.install(".")
    session.run(
        "tfmatrix",
        "--catalog",
        str(CATALOG),
        "report",
        "--explanations",
        str(ROOT / "explanations.toml"),
        "--results",
        str(report_results(session).resolve()),
        "--out",
        str(REPORT),
    )


@nox.session(name="discover", venv_backend="none")
def discover_releases(session: nox.Session) -> None:
    """Ask the configured package index for TensorFlow releases the catalog lacks and add them."""
    parser = argparse.ArgumentParser(prog="nox -s discover --")
    parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    opts = parser.parse_args(session.posargs)
    text = CATALOG.read_text(encoding="utf-8")
    updated, changes = discover.update(text, discover.ask_index(), dt.date.today())
    for change in changes:
        session.log(change)
    if not changes:
        session.log("catalog.toml is up to date with the index")
    elif not opts.dry_run:
        with tempfile.TemporaryDirectory(prefix="tfmatrix-") as scratch:
            candidate = Path(scratch) / "catalog.toml"
            candidate.write_text(updated, encoding="utf-8")
            catalog.load(candidate)  # only a valid catalog replaces the old one
        record.write_text_atomic(CATALOG, updated)


@nox.session(python="3.11")
def diff(session: nox.Session) -> None:
    """What changed between two result sets; default: reports/results against the committed ones."""
    parser = argparse.ArgumentParser(prog="nox -s diff --")
    parser.add_argument("--old", type=Path, help="earlier results (default: reports/results as committed at HEAD)")
    parser.add_argument("--new", type=Path, default=RESULTS, help="later results (default: reports/results)")
    opts = parser.parse_args(session.posargs)
    session.install(".")
    with tempfile.TemporaryDirectory(prefix="tfmatrix-diff-") as scratch:
        old = opts.old
        if old is None:
            archive = subprocess.run(["git", "archive", "HEAD", "reports/results"], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            old = Path(scratch) / "reports" / "results"
        session.run("tfmatrix", "--catalog", str(CATALOG), "diff", str(old.resolve()), str(opts.new.resolve()))


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Time cold, warm and no-change matrix runs against plain nox + pip; writes benchmarks/results/."""
    session.run(sys.executable, str(ROOT / "benchmarks" / "bench.py"), *session.posargs, external=True)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the test suite, with real TF 2.1.0 and 2.21.0 environments and a simulated workflow fan-out."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "test"), "nox", "uv")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Static checks: ruff, mypy, and the GitHub workflows (check-jsonschema, zizmor offline)."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "lint"), "nox")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    session.run("zizmor", "--offline", *workflows)
