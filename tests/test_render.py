from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import RECORDED, ROOT
from hypothesis import given
from hypothesis import strategies as st

from tfmatrix import catalog, cli, render, results


@pytest.fixture
def report(releases: list[catalog.Release]) -> str:
    return render.render(results.load_all(RECORDED, releases))


def section(report: str, title: str) -> str:
    return report.split(f"## {title}")[1].split("\n## ", maxsplit=1)[0]


def test_sections_come_in_order(report: str) -> None:
    titles = re.findall(r"^## (.+)$", report, re.MULTILINE)
    assert titles == ["Change points", "Do frozen weights stay frozen?", "What `model.summary()` printed", "Releases"]


def test_change_points_name_release_case_and_values(report: str) -> None:
    lines = [line for line in section(report, "Change points").splitlines() if line.startswith("- ")]
    assert len(lines) == 8
    assert (
        "- In **2.2.3** (after 2.1.4), `sequential/model/compile_then_freeze/train_on_batch` summary() printed: "
        "130 / 65 / 65 → **65 / 0 / 65**"
    ) in lines
    assert (
        "- In **2.16.2** (after 2.15.1), `functional/layer/compile_then_freeze/train_on_batch` weights: "
        "❌ trained → **✅ held**"
    ) in lines


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    cells = [re.split(r"(?<!\\)\|", row.strip()[1:-1]) for row in rows if not set(row) <= set("|-: ")]
    return [[cell.strip() for cell in row] for row in cells]


def test_weights_matrix_has_legend_and_merged_ranges(report: str) -> None:
    text = section(report, "Do frozen weights stay frozen?")
    for symbol in render.WEIGHT_SYMBOLS.values():
        assert f"- {symbol}: " in text
    header, *rows = table_rows(text)
    assert header == ["API", "frozen", "order", "training step", "2.1.0 – 2.15.1", "2.16.2"]
    assert len(rows) == 8
    assert ["sequential", "model", r"compile\_then\_freeze", r"train\_on\_batch", "❌ trained", "✅ held"] in rows


def test_summary_matrix_flags_the_seed_misprint(report: str) -> None:
    header, *rows = table_rows(section(report, "What `model.summary()` printed"))
    assert header[4:] == ["2.1.0 – 2.1.4", "2.2.3 – 2.16.2"]
    assert [
        "sequential",
        "model",
        r"compile\_then\_freeze",
        r"train\_on\_batch",
        "⚠️ 130 / 65 / 65 (weights: 65 / 0 / 65)",
        "65 / 0 / 65",
    ] in rows


def test_releases_table(report: str) -> None:
    header, *rows = table_rows(section(report, "Releases"))
    assert header[:6] == ["release", "distribution", "Python", "Keras", "numpy", "resolved as of"]
    assert [row[0] for row in rows] == ["2.1.0", "2.1.4", "2.2.3", "2.15.1", "2.16.2"]
    assert rows[0][1:6] == ["tensorflow-cpu", "3.7.16", "2.2.4-tf", "1.18.1", "2020-01-15"]


@given(st.text())
def test_escaped_text_stays_in_its_cell(text: str) -> None:
    escaped = render.escape(text)
    assert not set(escaped) & set("\n\r<>")
    assert re.search(r"(?<!\\)\|", escaped) is None  # every pipe is escaped
    assert re.search(r"(?<!\\)`", escaped) is None


def test_escape_examples() -> None:
    assert render.escape("a|b\nc") == r"a\|b c"
    assert render.escape("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"


def test_hostile_error_message_does_not_break_the_table(tmp_path: Path, releases: list[catalog.Release]) -> None:
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    document = json.loads((RECORDED / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    document["environment"]["keras"] = "2.2.4-tf | <b>bold</b>\n| injected |"
    (results_dir / "r.json").write_text(json.dumps(document), encoding="utf-8")
    text = render.render(results.load_all(results_dir, releases))
    header, *rows = table_rows(section(text, "Releases"))
    assert len(rows) == 1
    assert len(rows[0]) == len(header)
    assert "<b>" not in text


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.md"
    code = cli.main(["report", "--catalog", str(ROOT / "catalog.toml"), "--results", str(RECORDED), "--out", str(out)])
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("# Freeze matrix")
    assert "wrote" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_exit_2_and_keeps_the_old_report(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.md"
    out.write_text("previous report\n", encoding="utf-8")
    bad = recorded / "tensorflow-cpu-2.2.3.json"
    bad.write_text(bad.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    code = cli.main(["report", "--catalog", str(ROOT / "catalog.toml"), "--results", str(recorded), "--out", str(out)])
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"tfmatrix: error: {bad}: is not valid JSON")
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert list(tmp_path.glob("*.partial")) == []
