"""The report step writes nothing when nothing is new, and renders again when anything it reads or wrote changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import RECORDED, ROOT
from tfmatrix import cli, rendered, status


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The recorded results of one probe, enough for a report and quick to render."""
    shutil.copytree(RECORDED / "freeze", tmp_path / "results" / "freeze")
    return tmp_path / "results"


def report(results_dir: Path, out_dir: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    command = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "report"]
    command += ["--explanations", str(ROOT / "explanations.toml"), "--results", str(results_dir)]
    assert cli.main([*command, "--out-dir", str(out_dir), "--render-cache", str(cache)]) == status.OK
    printed = capsys.readouterr()
    return printed.out, printed.err


def stamps(folder: Path) -> dict[Path, tuple[int, int]]:
    """Each file's inode and modification time: a file written again (atomically) gets a new inode."""
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.rglob("*") if path.is_file()}


def test_nothing_new_writes_nothing_and_a_change_on_either_side_renders_again(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, cache = tmp_path / "out", tmp_path / "rendered.json"
    assert "wrote " in report(recorded, out, cache, capsys)[0]
    before = stamps(out)
    again = report(recorded, out, cache, capsys)[0]
    assert f"the {len(before)} files of the last report are as it wrote them" in again
    assert stamps(out) == before

    freeze = out / "freeze-matrix.md"
    as_written = freeze.read_text(encoding="utf-8")
    freeze.write_text(as_written + "edited by hand\n", encoding="utf-8")  # an output no longer as written
    assert "wrote " in report(recorded, out, cache, capsys)[0]
    assert freeze.read_text(encoding="utf-8") == as_written

    next(recorded.glob("freeze/*.json")).unlink()  # an input changed
    assert "wrote " in report(recorded, out, cache, capsys)[0]
    assert "as it wrote them" in report(recorded, out, cache, capsys)[0]


def test_a_render_cache_that_cannot_be_saved_is_a_warning(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    printed, warned = report(recorded, tmp_path / "out", blocker / "rendered.json", capsys)
    assert "wrote " in printed
    assert warned.startswith("tfmatrix: warning: render cache not saved:")
    assert warned.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"inputs": "x"}', '{"inputs": "x", "outputs": {}}', '{"inputs": "x", "outputs": []}'],
)
def test_a_broken_record_means_render(tmp_path: Path, text: str) -> None:
    record = tmp_path / "rendered.json"
    record.write_text(text, encoding="utf-8")
    assert rendered.up_to_date(record, "x") is None
    assert rendered.up_to_date(tmp_path / "missing.json", "x") is None


def test_a_record_holds_while_its_inputs_and_outputs_do(tmp_path: Path) -> None:
    written = tmp_path / "report.md"
    written.write_text("report\n", encoding="utf-8")
    record = tmp_path / "rendered.json"
    rendered.save(record, "inputs", [written])
    assert json.loads(record.read_text(encoding="utf-8"))["outputs"].keys() == {str(written)}
    assert rendered.up_to_date(record, "inputs") == 1
    assert rendered.up_to_date(record, "other inputs") is None
    written.unlink()
    assert rendered.up_to_date(record, "inputs") is None


def test_the_inputs_digest_sees_every_file_below_a_folder_but_bytecode(tmp_path: Path) -> None:
    folder, single = tmp_path / "results", tmp_path / "explanations.toml"
    (folder / "freeze").mkdir(parents=True)
    (folder / "freeze" / "a.json").write_text("{}", encoding="utf-8")
    digests = [rendered.inputs_digest([folder, single], ["out"])]
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert rendered.inputs_digest([folder, single], ["out"]) == digests[0]  # bytecode is no input
    single.write_text("", encoding="utf-8")  # missing, then empty
    digests.append(rendered.inputs_digest([folder, single], ["out"]))
    (folder / "freeze" / "b.json").write_text("{}", encoding="utf-8")
    digests.append(rendered.inputs_digest([folder, single], ["out"]))
    (folder / "freeze" / "b.json").write_text("{ }", encoding="utf-8")
    digests.append(rendered.inputs_digest([folder, single], ["out"]))
    digests.append(rendered.inputs_digest([folder, single], ["elsewhere"]))
    assert len(set(digests)) == len(digests)
