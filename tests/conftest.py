from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tfmatrix import catalog, results, runner

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
RECORDED = DATA / "results"  # copies of real results from `nox -t matrix`, see tests/data/README.md
FAILED = DATA / "failed"  # real failed attempts, recorded from tests/test_failures.py's run

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
        for result in (target / "reports" / "results").glob("*.json"):
            result.unlink()
    return target


def nox_env() -> dict[str, str]:
    """The environment for a nox started from a test: not the nox session the tests run in."""
    return runner.nested_nox_env()


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
def releases() -> list[catalog.Release]:
    return catalog.load(ROOT / "catalog.toml")


@pytest.fixture
def nightly() -> catalog.Variant | None:
    return catalog.load_nightly(ROOT / "catalog.toml", dt.date.today())


@pytest.fixture
def failed() -> results.Result:
    """A real failed attempt: TensorFlow 2.0.4 that could not import next to protobuf 4."""
    return results.load_one(FAILED / "tensorflow-2.0.4.json")


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A scratch copy of the recorded results, safe to add bad files to."""
    return Path(shutil.copytree(RECORDED, tmp_path / "results"))


def run_probe_session(variant_id: str, tmp_path: Path, *options: str) -> results.Result:
    """Build a real venv through the nox session users run, probe it, and load the validated result."""
    out = tmp_path / "results"
    command = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "--envdir", str(tmp_path / "nox")]
    command += ["-s", f"probe({variant_id})", "--", "--results-dir", str(out), *options]
    subprocess.run(command, check=True, env=nox_env())
    written = sorted(out.iterdir())
    assert [p.name for p in written] == [f"{variant_id}.json"]
    assert not (tmp_path / "nox" / f"probe-{variant_id.replace('.', '-')}").exists()  # venv removed after
    return results.load_one(written[0])  # validates against the schema
