from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FAILED, RECORDED, ROOT
from tfmatrix import cli, status


def run(old: Path, new: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = cli.main(
        ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "diff", str(old), str(new)]
    )
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_identical_results_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(RECORDED, RECORDED, capsys)
    assert code == status.OK == 0
    assert lines == ["tfmatrix: no semantic change"]


def test_a_flipped_cell_exits_4_and_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = Path(shutil.copytree(RECORDED, tmp_path / "new"))
    path = new / "freeze" / "tensorflow-cpu-2.15.1.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    case = next(c for c in document["cases"] if c["id"] == "sequential/model/compile_then_freeze/train_on_batch")
    for weight in case["weights"]:
        weight["moved"] = False  # as if 2.15.1 started to honour the freeze
    path.write_text(json.dumps(document), encoding="utf-8")
    code, lines, _ = run(RECORDED, new, capsys)
    assert code == status.CHANGED == 4
    assert lines == [
        "changed: 2.15.1 freeze sequential/model/compile_then_freeze/train_on_batch verdict: silently wrong -> works",
        "changed: 2.15.1 freeze sequential/model/compile_then_freeze/train_on_batch weights: ignored -> held",
        "tfmatrix: 2 semantic changes",
    ]


def test_a_new_release_is_compared_with_the_one_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = Path(shutil.copytree(RECORDED, tmp_path / "old"))
    (old / "freeze" / "tensorflow-cpu-2.16.2.json").unlink()
    code, lines, _ = run(old, RECORDED, capsys)
    assert code == status.CHANGED
    assert (
        "new release 2.16.2: freeze sequential/model/compile_then_freeze/train_on_batch weights: "
        "ignored (as in 2.15.1) -> held"
    ) in lines
    assert all(line.startswith("new release 2.16.2: freeze ") for line in lines[:-1])
    report = (ROOT / "tests" / "data" / "golden" / "freeze-matrix.md").read_text(encoding="utf-8")
    changes = report.split("## Change points")[1].split("\n## ")[0]
    assert len(lines) - 1 == changes.count("- In **2.16.2** (after 2.15.1)")


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = Path(shutil.copytree(RECORDED, tmp_path / "new"))
    (new / "freeze" / "tensorflow-cpu-2.1.0.json").write_text("{", encoding="utf-8")
    code, lines, err = run(RECORDED, new, capsys)
    assert code == status.BAD_INPUT == 2
    assert lines == []
    assert err.count("\n") == 1
    assert "tensorflow-cpu-2.1.0.json: is not valid JSON" in err


def test_a_release_that_now_fails_is_not_a_semantic_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = Path(shutil.copytree(RECORDED, tmp_path / "new"))
    crashed = json.loads((FAILED / "misbehaving" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    crashed["probe"]["name"] = "freeze"  # a real crash after the import, as the freeze probe's attempt
    (new / "freeze" / "tensorflow-cpu-2.1.0.json").write_text(json.dumps(crashed), encoding="utf-8")
    code, lines, _ = run(RECORDED, new, capsys)
    replaced = (
        f"failed attempt: tensorflow-cpu-2.1.0 freeze: crashed ({crashed['failure']['exit']}) replaced an ok result"
    )
    assert (code, lines) == (status.OK, [replaced, "tfmatrix: no semantic change"])  # said, but no change of behaviour
    code, lines, _ = run(new, RECORDED, capsys)  # and back
    assert (code, lines) == (status.OK, ["tfmatrix: no semantic change"])
    kept = json.loads((RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    (new / "freeze" / "tensorflow-cpu-2.1.0.json").write_text(
        json.dumps({**crashed, "probe": kept["probe"], "last_good": kept}), "utf-8"
    )
    code, lines, _ = run(RECORDED, new, capsys)
    assert (code, lines) == (status.OK, [f"{replaced}; its findings are kept as the last good run", lines[-1]])
    assert lines[-1] == "tfmatrix: no semantic change"
