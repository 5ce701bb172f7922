from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import (
    DATA,
    PROBES,
    RECORDED,
    ROOT,
    TENSORFLOW_KINDS,
    failure_keeping,
    load_recorded,
    table_rows,
    unfolded,
)
from tfmatrix import catalog, cli, explanations, page, probes, publish, release_dates, render, results, status
from tfmatrix.kinds import KINDS, report_name
from tfmatrix.variant import Variant

GOLDEN = DATA / "golden"


@pytest.fixture
def freeze(known: dict[str, probes.Probe]) -> probes.Probe:
    return known["freeze"]


@pytest.fixture
def loaded(variants: list[Variant], known: dict[str, probes.Probe]) -> list[results.Result]:
    return load_recorded(variants, known, kinds=TENSORFLOW_KINDS)


DATES = release_dates.load(release_dates.beside(RECORDED))  # what the index said of the recorded releases


@pytest.fixture
def report(loaded: list[results.Result], freeze: probes.Probe, known: dict[str, probes.Probe]) -> str:
    known_explanations = explanations.load(ROOT / "explanations.toml", known)
    return unfolded(render.render(loaded, freeze, known_explanations, DATES, picture="freeze-matrix.svg"))


def aligned_alike(text: str) -> str:
    """The text with table cells unpadded: another tabulate or wcwidth pads them to other widths."""
    lines = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)] if line.startswith("|") else []
        unpadded = "|".join("---" if cell and set(cell) <= set("-:") else cell for cell in cells)
        lines.append(unpadded if cells else line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def published() -> dict[str, str]:
    """Every file the report step makes of the recorded results, as if they were written to the golden folder."""
    known = probes.load_all(PROBES)
    variants = catalog.load(ROOT / "catalog.toml")
    loaded = results.load_all(RECORDED, variants, known)
    known_explanations = explanations.load(ROOT / "explanations.toml", known)
    made, _ = publish.files(GOLDEN, loaded, known, known_explanations, DATES, "2026-11-26")
    shipped = {GOLDEN / page.FOLDER / name for name in page.ASSETS}  # the page's fixed files: copied as they are
    return {str(path.relative_to(GOLDEN)): text for path, text in made.items() if path not in shipped}


GOLDEN_FILES = sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_each_file_made_of_the_recorded_results_is_the_golden_one(name: str, published: dict[str, str]) -> None:
    """Regenerate with the command in tests/data/README.md after a deliberate change, and review the diff."""
    golden = (GOLDEN / name).read_text(encoding="utf-8")
    if name.endswith(".md"):
        assert aligned_alike(published[name]) == aligned_alike(golden)
    else:
        assert published[name] == golden


def test_every_file_made_has_a_golden_one(published: dict[str, str]) -> None:
    assert sorted(published) == GOLDEN_FILES


def test_every_probe_has_a_golden_report_for_each_view() -> None:
    expected = {report_name(n, kind) for n in probes.names(PROBES) for kind in KINDS}  # the nightly shares a view
    assert sorted(p.name for p in GOLDEN.glob("*-matrix.md")) == sorted(expected)


def section(report: str, title: str) -> str:
    return report.split(f"## {title}")[1].split("\n## ", maxsplit=1)[0]


def test_sections_come_in_the_probes_order(report: str, freeze: probes.Probe) -> None:
    titles = re.findall(r"^## (.+)$", report, re.MULTILINE)
    # The recorded results predate the constructor cases: a question without cases has no section.
    questions = [group["question"] for name, group in freeze.groups.items() if name != "constructor"]
    apart = [spec["section"]["title"] for spec in freeze.aspects.values() if "section" in spec]
    across = f"Where the {KINDS['tensorflow'].ACROSS_TRACKS} disagree"  # tf.keras as shipped and tf-keras
    warned = f"Warnings about `{render.WATCHED}`"
    assert titles == ["At a glance", "Change points", "Grid", *questions, across, warned, *apart, "Releases"]


def test_change_points_name_release_case_and_values(
    report: str, loaded: list[results.Result], freeze: probes.Probe
) -> None:
    lines = [line for line in section(report, "Change points").splitlines() if line.startswith("- In ")]
    frame = render.aggregate.cases_frame(loaded, freeze)
    assert len(lines) == len(render.aggregate.change_points(frame, freeze))  # each listed once
    assert (
        "- In **2.2.3** (after 2.1.4), `sequential/model/compile_then_freeze/train_on_batch` summary() printed: "
        "130 / 65 / 65 → **65 / 0 / 65**"
    ) in lines
    assert (
        "- In **2.16.2** (after 2.15.1), `functional/layer/compile_then_freeze/train_on_batch` weights: "
        "❌ trained → **✅ held**"
    ) in lines


def test_grid_lists_every_question_with_its_case_count(
    report: str, loaded: list[results.Result], freeze: probes.Probe
) -> None:
    text = section(report, "Grid")
    loaded = [r for r in loaded if r["probe"]["name"] == "freeze"]
    for value, symbol in freeze.aspects["weights"]["symbols"].items():
        assert f"- {symbol}: {freeze.aspects['weights']['legend'][value]}" in text
    for symbol in render.STATE_SYMBOLS.values():
        assert symbol in text
    listed = re.findall(r"^- \[(.*?)\]\(#[^)]*\), (\d+) cases\.", text, re.MULTILINE)
    counts = {question: int(count) for question, count in listed}
    cases = {c["id"]: c["group"] for c in loaded[0]["cases"]}
    assert counts == {g["question"]: list(cases.values()).count(name) for name, g in freeze.groups.items()}


def test_seed_matrix_shows_only_varying_axes_and_merged_ranges(report: str) -> None:
    header, *rows = table_rows(section(report, "The seed notebook's cases"))
    assert header == [
        "API",
        "frozen",
        "order",
        "1.15.5 – 2.15.1<br>2021-01-06 – 2024-03-08",  # each release's upload day below it
        "2.16.2<br>2024-06-28",
        "2.16.2 tf-keras<br>2024-06-28",
    ]
    assert len(rows) == 8
    wrong, works = "❌ silently wrong: frozen weights train (❌ trained)", "✅ works (✅ held)"
    assert ["sequential", "model", r"compile\_then\_freeze", wrong, works, wrong] in rows


def test_batchnorm_cells_add_statistics_and_mode(report: str) -> None:
    header, *rows = table_rows(section(report, "Does a frozen BatchNormalization update its statistics?"))
    assert [name.split("<br>")[0] for name in header[2:]] == ["1.15.5", "2.1.0 – 2.15.1", "2.16.2", "2.16.2 tf-keras"]
    row = next(r for r in rows if r[:2] == [r"compile\_then\_freeze", r"train\_on\_batch"])
    both = "❌ silently wrong: frozen weights train; the frozen BatchNormalization's moving statistics update"
    assert row[2:] == [
        f"{both} (❌ trained · statistics updated, training mode)",
        f"{both} (❌ trained · statistics updated, inference mode)",
        "✅ works (✅ held · statistics still, inference mode)",
        f"{both} (❌ trained · statistics updated, inference mode)",
    ]


def test_summary_matrix_flags_the_seed_misprint(report: str) -> None:
    header, *rows = table_rows(section(report, "What `model.summary()` printed"))
    assert [name.split("<br>")[0] for name in header[3:]] == ["1.15.5 – 2.1.4", "2.2.3 – 2.16.2", "2.16.2 tf-keras"]
    assert [
        "sequential",
        "model",
        r"compile\_then\_freeze",
        "⚠️ 130 / 65 / 65 (weights: 65 / 0 / 65)",
        "65 / 0 / 65",
        "65 / 0 / 65",
    ] in rows


def test_releases_table(report: str) -> None:
    header, *rows = table_rows(section(report, "Releases"))
    assert header[:9] == [
        "release",
        "distribution",
        "released",
        "Python",
        "Keras",
        "tf.keras is",
        "tf-keras resolved as of",
        "numpy",
        "resolved as of",
    ]
    assert [row[0] for row in rows] == ["1.15.5", "2.1.0", "2.1.4", "2.2.3", "2.15.1", "2.16.2", "2.16.2 tf-keras"]
    assert rows[1][1:9] == [
        "tensorflow-cpu",
        "2020-01-08",
        "3.7.16",
        "2.2.4-tf",
        "keras2",
        "n/a",
        "1.18.1",
        "2020-01-15",
    ]
    assert rows[-1][4:6] == ["2.16.0", "keras2"]
    assert rows[-2][4:6] == ["3.4.1", "keras3"]
    assert rows[0][-1] == "graph mode by default; probe enabled eager"


def test_hostile_error_message_does_not_break_the_table(
    tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    results_dir = tmp_path / "results" / "freeze"
    results_dir.mkdir(parents=True)
    document = json.loads((RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    document["environment"]["keras"] = "2.2.4-tf | <b>bold</b>\n| injected |"
    (results_dir / "tensorflow-cpu-2.1.0.json").write_text(json.dumps(document), encoding="utf-8")
    text = render.render(results.load_all(results_dir.parent, variants, known), known["freeze"])
    header, *rows = table_rows(section(text, "Releases"))
    assert len(rows) == 1
    assert len(rows[0]) == len(header)
    assert "<b>" not in text


def report_command(results_dir: Path, out_dir: Path) -> list[str]:
    command = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "report"]
    command += ["--explanations", str(ROOT / "explanations.toml"), "--results", str(results_dir)]
    return [*command, "--out-dir", str(out_dir)]


def test_cli_writes_one_report_per_probe_with_results(
    tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(report_command(RECORDED, tmp_path)) == status.OK
    recorded = sorted(p.name for p in RECORDED.iterdir())
    reports = {report_name(name, kind).removesuffix(".md") for name in recorded for kind in KINDS}  # one per view
    written = [f"{report}.{ext}" for report in reports for ext in ("md", "svg")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*written, "changes.atom", "page", *publish.MATRIX_FILES]
    )
    assert sorted(p.name for p in (tmp_path / "page").iterdir()) == sorted([*page.ASSETS, page.DATA])
    everything = load_recorded(variants, known)  # the view's every kind, TF 1.x in graph mode too
    known_explanations = explanations.load(ROOT / "explanations.toml", known)
    report = render.render(everything, known["freeze"], known_explanations, DATES, picture="freeze-matrix.svg")
    assert unfolded((tmp_path / "freeze-matrix.md").read_text(encoding="utf-8")) == unfolded(report)
    printed = capsys.readouterr().out
    files = len(written) + 1 + len(publish.MATRIX_FILES) + len(page.ASSETS) + 1  # the feed; the page and its data
    results_read = sum(1 for _ in RECORDED.glob("*/*.json"))
    assert f"wrote {files} files to {tmp_path} from {results_read} results, 0 failed attempts" in printed


def test_cli_bad_input_is_one_line_exit_2_and_keeps_the_old_report(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "freeze-matrix.md"
    out.write_text("previous report\n", encoding="utf-8")
    bad = recorded / "freeze" / "tensorflow-cpu-2.2.3.json"
    bad.write_text(bad.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    code = cli.main(report_command(recorded, tmp_path))
    assert code == status.BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"tfmatrix: error: {bad}: is not valid JSON")
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert list(tmp_path.glob("*.partial")) == []


def test_failed_attempts_get_a_section_and_a_row_in_releases(
    loaded: list[results.Result], freeze: probes.Probe, failed: results.Result
) -> None:
    text = render.render([loaded[0], failed, *loaded[1:]], freeze)
    header, *rows = table_rows(section(text, "Failed attempts"))
    assert header == [
        "release", "released", "state", "on", "step", "how it ended", "error", "failing since", "next weekly try",
        "findings shown",
    ]  # fmt: skip
    assert rows == [
        [
            "2.0.4",
            "-",
            "**import-failed**",
            "a day not recorded",
            "import",
            "exit status 1",
            rows[0][6],
            "-",
            "the next run",
            "none",
        ]
    ]  # rendered without release dates: "-"; no day recorded: tried at once
    assert rows[0][6].startswith("TypeError: Descriptors cannot")
    assert "| 2.0.4 " in section(text, "Releases")
    assert "none: **import-failed**" in section(text, "Releases")
    seed_header, *seed_rows = table_rows(section(text, "The seed notebook's cases"))
    assert "2.0.4" in seed_header  # its own column, between 1.15.5 and 2.1.0
    assert {row[seed_header.index("2.0.4")] for row in seed_rows} == {"⛔ import-failed"}


def test_a_report_of_failures_only_still_renders(failed: results.Result, freeze: probes.Probe) -> None:
    hostile = json.loads(json.dumps(failed))
    hostile["failure"]["message"] = "TypeError: a | b <script>alert(1)</script>\n"
    text = render.render([hostile], freeze)
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == ["Failed attempts", "Releases"]
    header, *rows = table_rows(section(text, "Failed attempts"))
    assert len(rows[0]) == len(header)
    assert "<script>" not in text


def test_cli_report_against_earlier_results_exits_4_on_a_change(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier = tmp_path / "earlier"
    (earlier / "freeze").mkdir(parents=True)
    for path in recorded.glob("freeze/*.json"):
        if "2.2.3" not in path.name:  # 2.2.3 is new in this run, and brings the summary() fix
            (earlier / "freeze" / path.name).write_bytes(path.read_bytes())
    (earlier / "freeze" / "old-schema.json").write_text('{"schema_version": 3}', encoding="utf-8")
    command = report_command(recorded, tmp_path)
    assert cli.main([*command, "--previous", str(recorded)]) == status.OK
    assert cli.main([*command, "--previous", str(earlier)]) == status.CHANGED
    out = capsys.readouterr().out
    assert "new release 2.2.3: freeze sequential/model/compile_then_freeze/train_on_batch printed" in out
    assert "1 earlier results are not comparable" in out


@pytest.mark.parametrize("where", ["missing", "a-file.json"])
def test_cli_report_refuses_earlier_results_that_are_not_a_folder(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """A mistyped --previous would silently turn the semantic-change check off."""
    (tmp_path / "a-file.json").write_text("{}", encoding="utf-8")
    out_dir = tmp_path / "out"
    command = report_command(recorded, out_dir)
    assert cli.main([*command, "--previous", str(tmp_path / where)]) == status.BAD_INPUT
    assert capsys.readouterr().err == (
        f"tfmatrix: error: {tmp_path / where}: is not a directory of earlier results (--previous)\n"
    )
    assert not out_dir.exists()  # nothing rendered


def test_a_failure_that_kept_the_last_good_findings_shows_them_marked_with_their_day(
    loaded: list[results.Result], freeze: probes.Probe, failed: results.Result
) -> None:
    kept = next(r for r in loaded if (r["variant"], r["probe"]["name"]) == ("tensorflow-cpu-2.1.4", "freeze"))
    stale = failure_keeping({**failed, "probed_on": "2026-11-26"}, kept)
    text = render.render([stale if r is kept else r for r in loaded], freeze)
    header, *rows = table_rows(section(text, "Failed attempts"))
    assert [dict(zip(header, row, strict=True)) for row in rows] == [
        {
            "release": "2.1.4",
            "released": "-",
            "state": "**import-failed**",
            "on": "2026-11-26",
            "step": "import",
            "how it ended": "exit status 1",
            "error": rows[0][header.index("error")],
            "failing since": "2026-11-26",
            "next weekly try": "2026-12-03",
            "findings shown": "last good run: 2026-11-19",
        }
    ]
    assert "- a column marked *(last good run: DAY)*: the latest attempt failed" in section(text, "Grid")
    assert "last good run" not in section(render.render(loaded, freeze), "Grid")  # said where it is shown
    seed_header, *seed_rows = table_rows(section(text, "The seed notebook's cases"))
    column = seed_header.index("2.1.4 (last good run: 2026-11-19)")  # a column of its own, marked
    expected = table_rows(section(render.render(loaded, freeze), "The seed notebook's cases"))
    cells = {row[0] + row[1] + row[2]: row[column] for row in seed_rows}
    by_case = {row[0] + row[1] + row[2]: row for row in expected[1:]}
    assert all("⛔" not in cell for cell in cells.values())  # findings, not the failure
    assert cells == {case: by_case[case][expected[0].index("1.15.5 – 2.15.1")] for case in cells}
    assert "1.15.5 – 2.1.0" in seed_header  # the run it split
    releases_header, *releases = table_rows(section(text, "Releases"))
    row = dict(zip(releases_header, next(r for r in releases if r[0] == "2.1.4"), strict=True))
    assert row["note"] == "findings of the last good run (2026-11-19); the latest attempt failed"
    ok_header, *ok_rows = table_rows(section(render.render(loaded, freeze), "Releases"))
    as_it_was = dict(zip(ok_header, next(r for r in ok_rows if r[0] == "2.1.4"), strict=True))
    assert {**row, "note": ""} == as_it_was  # the kept run's environment and case counts


def test_a_folder_the_reports_cannot_be_written_to_is_one_line(
    small_filesystem: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real read-only filesystem as --out-dir (root writes anywhere else): exit 2, the folder named."""
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    code = cli.main(report_command(RECORDED, small_filesystem))
    assert code == status.BAD_INPUT
    err = capsys.readouterr().err
    assert (
        err
        == f"tfmatrix: error: {small_filesystem / 'callback-matrix.md'}: cannot be written (Read-only file system)\n"
    )
