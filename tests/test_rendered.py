"""The report step writes nothing when nothing is new, and renders again when anything it reads or wrote changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA, RECORDED, ROOT
from tfmatrix import cli, rendered, status

WROTE = "tfmatrix: wrote "  # what the report step says when it renders
KEPT = "files of the last report are as it wrote them"  # and when it finds nothing new


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The recorded results of one probe, enough for a report and quick to render."""
    shutil.copytree(RECORDED / "freeze", tmp_path / "results" / "freeze")
    return tmp_path / "results"


def report(
    results_dir: Path,
    out_dir: Path,
    cache: Path,
    capsys: pytest.CaptureFixture[str],
    catalog: Path = ROOT / "catalog.toml",
    explanations: Path = ROOT / "explanations.toml",
    readme: Path | None = None,
) -> tuple[str, str]:
    command = ["--catalog", str(catalog), "--probes", str(ROOT / "probes"), "report"]
    command += ["--explanations", str(explanations), "--results", str(results_dir)]
    command += ["--out-dir", str(out_dir), "--render-cache", str(cache)]
    assert cli.main(command + (["--readme", str(readme)] if readme else [])) == status.OK
    printed = capsys.readouterr()
    return printed.out, printed.err


def stamps(folder: Path) -> dict[Path, tuple[int, int]]:
    """Each file's inode and modification time: a file written again (atomically) gets a new inode."""
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.rglob("*") if path.is_file()}


def test_nothing_new_writes_nothing_and_a_change_on_either_side_renders_again(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, cache = tmp_path / "out", tmp_path / "rendered.json"
    assert report(recorded, out, cache, capsys)[0].startswith(WROTE)
    before = stamps(out)
    again = report(recorded, out, cache, capsys)[0]
    assert f"the {len(before)} {KEPT}" in again
    assert stamps(out) == before

    freeze = out / "freeze-matrix.md"
    as_written = freeze.read_text(encoding="utf-8")
    freeze.write_text(as_written + "edited by hand\n", encoding="utf-8")  # an output no longer as written
    assert report(recorded, out, cache, capsys)[0].startswith(WROTE)
    assert freeze.read_text(encoding="utf-8") == as_written

    next(recorded.glob("freeze/*.json")).unlink()  # an input changed
    assert report(recorded, out, cache, capsys)[0].startswith(WROTE)
    assert KEPT in report(recorded, out, cache, capsys)[0]


def test_each_input_of_the_report_renders_it_again_and_the_readme_is_both(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, cache, readme = tmp_path / "out", tmp_path / "rendered.json", tmp_path / "README.md"
    catalog, explanations = tmp_path / "catalog.toml", tmp_path / "explanations.toml"
    shutil.copy(ROOT / "catalog.toml", catalog)
    shutil.copy(ROOT / "explanations.toml", explanations)
    verdicts = tmp_path / "pinpoint" / "pinpoint.json"  # where the report looks for them, beside the results
    verdicts.parent.mkdir()

    def edit(path: Path, old: str, new: str) -> None:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    assert report(recorded, out, cache, capsys, catalog, explanations, readme)[0].startswith(WROTE)  # README: not yet
    changes = {
        "the README appeared": lambda: readme.write_text(
            "# mine\n<!-- tfmatrix:grid -->\n<!-- tfmatrix:grid end -->\n"
        ),
        "the README's prose": lambda: edit(readme, "# mine", "# yours"),
        "pinpoint verdicts": lambda: verdicts.write_text("{}\n", encoding="utf-8"),
        "release dates": lambda: shutil.copy(DATA / "release-dates.json", tmp_path / "release-dates.json"),
        "explanations": lambda: edit(explanations, "[[explanation]]", "# a comment\n[[explanation]]"),
        "catalog": lambda: edit(catalog, "[[release]]", "# a comment\n[[release]]"),
    }
    for change, make in changes.items():
        make()
        first, second = (report(recorded, out, cache, capsys, catalog, explanations, readme)[0] for _ in "12")
        assert (first.startswith(WROTE), KEPT in second) == (True, True), change
    written = readme.read_text(encoding="utf-8")
    assert written.startswith("# yours\n<!-- tfmatrix:grid -->\n| Recipe |")  # the prose kept, the grid filled


def test_a_render_cache_that_cannot_be_saved_is_a_warning(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    printed, warned = report(recorded, tmp_path / "out", blocker / "rendered.json", capsys)
    assert printed.startswith(WROTE)
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


def test_no_record_means_render(tmp_path: Path) -> None:
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
    digests = [rendered.inputs_digest([folder, single], {"out_dir": "out"})]
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert rendered.inputs_digest([folder, single], {"out_dir": "out"}) == digests[0]  # bytecode is no input
    single.write_text("", encoding="utf-8")  # missing, then empty
    digests.append(rendered.inputs_digest([folder, single], {"out_dir": "out"}))
    (folder / "freeze" / "b.json").write_text("{}", encoding="utf-8")
    digests.append(rendered.inputs_digest([folder, single], {"out_dir": "out"}))
    (folder / "freeze" / "b.json").write_text("{ }", encoding="utf-8")
    digests.append(rendered.inputs_digest([folder, single], {"out_dir": "out"}))
    digests.append(rendered.inputs_digest([folder, single], {"out_dir": "elsewhere"}))
    assert len(set(digests)) == len(digests)


def test_a_file_that_goes_away_while_it_is_read_means_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".result.json.partial").write_text("{", encoding="utf-8")  # a writer's, renamed away meanwhile

    def gone(path: Path) -> str:
        raise FileNotFoundError(2, "No such file or directory", str(path))

    monkeypatch.setattr(rendered, "sha256", gone)
    assert rendered.inputs_digest([tmp_path], {}) is None
