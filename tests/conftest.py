from __future__ import annotations

import copy
import datetime as dt
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from hypothesis import settings

from tfmatrix import attempt, catalog, probes, results, runner
from tfmatrix.kinds import KINDS
from tfmatrix.variant import Variant

# No time limit on an example: a test fails on a defect, not on a loaded machine (speed is the benchmarks').
settings.register_profile("tfmatrix", deadline=None)
settings.load_profile("tfmatrix")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PROBES = ROOT / "probes"
RECORDED = DATA / "results"  # copies of real results from `nox -t matrix`, see tests/data/README.md
FAILED = DATA / "failed"  # real failed attempts, recorded from tests/test_failures.py's run
SCHEMA4 = DATA / "schema4"  # real results of schema 4, from before probes had a harness
MISBEHAVING = DATA / "probes" / "misbehaving.py"  # a stand-in probe that crashes, hangs or exits quietly

# The seed notebook's eight check_weight_update cells, in notebook order, as probe case ids.
SEED_CASE_IDS = [
    f"{api}/{target}/{order}/train_on_batch"
    for order in ("freeze_then_compile", "compile_then_freeze")
    for target in ("model", "layer")
    for api in ("sequential", "functional")
]


@dataclass(frozen=True)
class SeedCell:
    case_id: str
    printed: dict[str, int]
    moved: list[bool]


def seed_cells() -> list[SeedCell]:
    """What TF 2.1.0 printed in the seed notebook: the ground truth the matrix must reproduce."""
    text = (DATA / "seed-notebook.txt").read_text(encoding="utf-8")
    blocks = text.split('Model: "')[1:]
    cells = []
    for case_id, block in zip(SEED_CASE_IDS, blocks, strict=True):
        counts = {
            key: int(re.search(rf"^{label} params: (\d+)", block, re.MULTILINE).group(1))  # type: ignore[union-attr]
            for key, label in (("total", "Total"), ("trainable", "Trainable"), ("non_trainable", "Non-trainable"))
        }
        moved = [
            status == "updated"
            for status in re.findall(r"^weight \d \(.*\)\t(updated|not updated)$", block, re.MULTILINE)
        ]
        cells.append(SeedCell(case_id, counts, moved))
    return cells


def copy_checkout(target: Path, catalog_text: str | None = None, *, keep_results: bool = True) -> Path:
    """This checkout's files (committed or not, ignored ones left out) in ``target``.

    Optionally with another catalog, and without the committed results (which that catalog may not hold).
    """
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    if catalog_text is not None:
        (target / "catalog.toml").write_text(catalog_text, encoding="utf-8")
    if not keep_results:
        shutil.rmtree(target / "reports" / "results")
    return target


@pytest.fixture
def small_filesystem() -> Iterator[Path]:
    """A real 2 MB tmpfs, mounted for the test (skipped where this process may not mount one).

    Mounted outside pytest's temporary tree: a run killed mid-test leaves the mount behind, and one
    inside that tree makes every later pytest fail when it deletes old trees (rmdir: device busy).
    """
    mount = Path(tempfile.mkdtemp(prefix="tfmatrix-small-filesystem-"))
    command = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)]
    try:
        mounted = subprocess.run(command, capture_output=True, text=True, check=False)
        problem = (mounted.stderr.strip() or f"exit status {mounted.returncode}") if mounted.returncode else ""
    except OSError as error:  # no mount command at all
        problem = str(error)
    if problem:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {problem}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)
        mount.rmdir()


def nox_env() -> dict[str, str]:
    """The environment for a nox started from a test: not the nox session the tests run in."""
    return runner.nested_nox_env()


def every_python(env: dict[str, str]) -> dict[str, str]:
    """``env`` with every Python pyenv has reachable as ``python3.X``, as the noxfile makes it for nox."""
    if shutil.which("pyenv") is None or "PYENV_VERSION" in env:
        return env
    listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=True).stdout
    return {**env, "PYENV_VERSION": ":".join(listed.split())}


def run_nox(checkout: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``nox ARGS`` in ``checkout``, as a user runs it there; output captured, status returned."""
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=checkout,
        env=env or nox_env(),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def variants() -> list[Variant]:
    """Every variant of the catalog, the opt-in nightly included."""
    return catalog.load(ROOT / "catalog.toml", dt.date.today())


@pytest.fixture
def known() -> dict[str, probes.Probe]:
    return probes.load_all(PROBES)


def probes_with(target: Path, *extra: Path) -> Path:
    """A directory of probes: the real ones, and ``extra`` probe files beside them."""
    target.mkdir(parents=True)
    for path in [*PROBES.glob("*.py"), *extra]:
        shutil.copy(path, target)
    return target


@pytest.fixture(scope="session")
def misbehaving_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return probes_with(tmp_path_factory.mktemp("probes") / "probes", MISBEHAVING)


@pytest.fixture(scope="session")
def misbehaving_probes(misbehaving_dir: Path) -> dict[str, probes.Probe]:
    return probes.load_all(misbehaving_dir)


@pytest.fixture
def failed(misbehaving_probes: dict[str, probes.Probe]) -> results.Result:
    """A real failed attempt as the freeze probe's: TensorFlow 2.0.4 that could not import next to protobuf 4.

    It was recorded under the stand-in probe; an import failure happens before any probe runs, so
    it is the freeze probe's failure too. Only the probe's identity is changed.
    """
    result = results.load_one(FAILED / "misbehaving" / "tensorflow-2.0.4.json", misbehaving_probes)
    result["probe"] = {**result["probe"], "name": "freeze"}
    return result


def failure_keeping(failure: results.Result, good: results.Result, day: str = "2026-11-19") -> results.Result:
    """``failure`` (a real failed attempt) as if it had been an attempt at ``good``'s variant that kept ``good``,
    made on ``day``: what a transient failure writes over a result that had findings."""
    kept = {**copy.deepcopy(good), "probed_on": day}
    moved = {key: copy.deepcopy(good[key]) for key in ("variant", "kind", "probe", "catalog_entry", "release")}
    return {**copy.deepcopy(failure), **moved, "last_good": kept}


def load_recorded(
    variants: list[Variant], known: dict[str, probes.Probe], view: str = "", kinds: Collection[str] = ()
) -> list[results.Result]:
    """The recorded results of one view: the TensorFlow releases' by default, "keras3" for Keras on its own;
    only those of ``kinds``, where it names some."""
    return [
        r
        for r in results.load_all(RECORDED, variants, known)
        if view == KINDS[r["kind"]].VIEW and (not kinds or r["kind"] in kinds)
    ]


# The tests that read the TensorFlow releases' recorded outcomes one by one: the tf-graph kind's, in the same
# view, have golden reports and tests of their own.
TENSORFLOW_KINDS = ("tensorflow", "tf-nightly")


def recorded_case(known: dict[str, probes.Probe], probe: str, variant: str, case_id: str) -> dict[str, Any]:
    """One case of a recorded real result, as its probe recorded it."""
    result = results.load_one(RECORDED / probe / f"{variant}.json", known)
    return next(case for case in result["cases"] if case["id"] == case_id)


def judged(known: dict[str, probes.Probe], probe: str, variant: str, case_id: str) -> dict[str, str]:
    """What the probe's judge says of one recorded case."""
    return known[probe].judge(recorded_case(known, probe, variant, case_id))


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A scratch copy of the recorded results, safe to add bad files to."""
    return Path(shutil.copytree(RECORDED, tmp_path / "results"))


def judged_outcomes(result: results.Result, probe: probes.Probe) -> dict[str, tuple[str, dict[str, str]]]:
    """Each case's state and what the probe judges of it: what a fresh run must reproduce of a committed one.
    Not the raw values (how far a weight moved, a loss): another CPU's vector code rounds those in the last
    digits (seen with torch: 0.0009999902686104178 on one machine, 0.0009999900357797742 on another)."""
    return {case["id"]: (case["status"], probe.judge(case)) for case in result["cases"]}


def run_probe_session(
    variant_id: str, tmp_path: Path, *options: str, probes_dir: Path = PROBES
) -> tuple[dict[str, results.Result], str]:
    """Build a real venv through the nox session users run, run every probe in it.

    Returns the validated results by probe, and what the session printed.
    """
    out = tmp_path / "results"
    command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "--envdir", str(tmp_path / "nox")]
    command += ["-s", f"probe({variant_id})", "--", "--results-dir", str(out), "--probes-dir", str(probes_dir)]
    session = subprocess.run([*command, *options], env=nox_env(), capture_output=True, text=True, check=False)
    assert session.returncode == 0, session.stdout + session.stderr
    names = probes.names(probes_dir)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.json")) == [f"{n}/{variant_id}.json" for n in names]
    assert not (tmp_path / "nox" / f"probe-{variant_id.replace('.', '-')}").exists()  # venv removed after
    known = probes.load_all(probes_dir)
    found = {name: results.load_one(out / name / f"{variant_id}.json", known) for name in names}  # validated
    return found, session.stdout + session.stderr


# bash runs the script given as $1 and, instead of running each of its commands, prints it: with extdebug, a
# DEBUG trap that fails skips the command it precedes (bash(1), "extdebug").
LISTING = """shopt -s extdebug
allowed='eval "$1"'
trap '[ "$BASH_COMMAND" = "$allowed" ] || { printf "%s\\n" "$BASH_COMMAND"; false; }' DEBUG
eval "$1"
"""


def commands_run_by(script: str) -> list[str]:
    """Every command bash would run of ``script``, as bash parsed it, none of them run; AssertionError if
    bash cannot parse it (``bash -n``)."""
    checked = subprocess.run(["bash", "--norc", "-n"], input=script, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    listed = subprocess.run(
        ["bash", "--norc", "-c", LISTING, "bash", script], capture_output=True, text=True, check=False
    )
    return listed.stdout.splitlines()


def unfolded(markdown: str) -> str:
    """A report with each paragraph and list item on one line again, as before ``tfmatrix.wrap`` folded it: a
    line goes on the one before when that one is prose and it starts no block."""
    lines: list[str] = []
    prose = False
    for line in markdown.split("\n"):
        if prose and line.strip() and not re.match(r"(?:[-+*]|\d{1,9}[.)]|>) |[|#<]|```", line):
            lines[-1] += " " + line.strip()
            continue
        lines.append(line)
        prose = bool(line.strip()) and not re.match(r"[|#<]|```", line)
    return "\n".join(lines)


def attempted_here(variant: Variant, probes_dir: Path, *names: str) -> dict[str, results.Result]:
    """Each named probe's result of a real attempt at ``variant`` in this interpreter (the harness in a child
    process), for a variant that installs nothing."""
    sources = probes.sources(probes_dir)
    uv = shutil.which("uv")
    assert uv is not None
    found, _ = attempt.attempt(
        variant,
        uv=uv,
        python=Path(sys.executable),
        probes_dir=probes_dir,
        probes=[sources[name] for name in names],
        env={"PYTHONFAULTHANDLER": "1"},  # as the probe session runs it
        timeout=60,
        repeat=1,
        out=io.StringIO(),
    )
    return found


def table_rows(text: str) -> list[list[str]]:
    """The rows of the table in ``text``, header first; a table split to fit GitHub's width (each part
    repeating the columns that name a row) read back as one."""
    tables: list[list[list[str]]] = []
    for block in re.split(r"\n(?!\|)", text):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        cells = [re.split(r"(?<!\\)\|", row.strip()[1:-1]) for row in rows if not set(row) <= set("|-: ")]
        if cells:
            tables.append([[cell.strip() for cell in row] for row in cells])
    first, *rest = tables
    kept = min((repeated(first[0], t[0]) for t in rest), default=0)
    return [row + [cell for t in rest for cell in t[n][kept:]] for n, row in enumerate(first)]


def repeated(header: list[str], other: list[str]) -> int:
    """How many columns a part of a split table repeats: those its header shares with the first part's."""
    return next(i for i, (a, b) in enumerate(zip([*header, None], [*other, None], strict=False)) if a != b)


def github_anchors(markdown: str) -> list[str]:
    """The anchor of each heading of ``markdown`` as GitHub makes it: of the rendered text, lower-cased, letters,
    marks, digits, ``_``, ``-`` and spaces kept (Ruby's ``\\p{Word}``), each space a hyphen."""
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    texts = [html.unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h\d>(.*?)</h\d>", rendered, re.DOTALL)]
    word = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Pc"}
    return [
        "".join(c for c in t.lower() if c in " -" or unicodedata.category(c) in word).replace(" ", "-") for t in texts
    ]
