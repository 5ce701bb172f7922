"""Every file a pull request can change is untrusted: one test per way a crafted file once ran or wrote
something on the maintainer's machine, hid part of a report, broke the feed or ended in a traceback.

Each runs the README's own commands in process, on a small copy of a checkout (``Workspace``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import cmarkgfm
import pytest

from conftest import PROBES, RECORDED, ROOT, commands_run_by, github_anchors
from tfmatrix import escape, migrations, probes, results
from tfmatrix.errors import InputError

VARIANT, PROBE, CASE = "tensorflow-cpu-2.1.0", "callback", "trainable/true"


class Workspace:
    """A checkout's catalog, explanations and probes, with the results of two releases of two probes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reports = root / "reports"
        self.results = self.reports / "results"

    @classmethod
    def made(cls, root: Path) -> Workspace:
        """A new one at ``root``, which must not exist yet."""
        workspace = cls(root)
        root.mkdir()
        for name in ("catalog.toml", "explanations.toml"):
            (root / name).write_bytes((ROOT / name).read_bytes())
        (root / "probes").mkdir()
        for source in PROBES.glob("*.py"):
            (root / "probes" / source.name).write_bytes(source.read_bytes())
        for probe in ("callback", "gan"):
            (workspace.results / probe).mkdir(parents=True)
            for variant in ("tensorflow-cpu-2.1.0", "tensorflow-cpu-2.15.1"):
                copied = RECORDED / probe / f"{variant}.json"
                (workspace.results / probe / copied.name).write_bytes(copied.read_bytes())
        release_dates = (ROOT / "tests/data/release-dates.json").read_bytes()
        (workspace.reports / "release-dates.json").write_bytes(release_dates)
        return workspace

    def explain(self, summary: str, advice: str, evidence: str) -> None:
        """Explain the one change point of these results (callback's, first seen in 2.15.1) with these texts,
        written as TOML basic strings (``\\n`` a line break)."""
        entry = (
            '\n[[explanation]]\nprobe = "callback"\nrelease = "2.15.1"\naspect = "base"\ncases = {}\n'
            f'summary = "{summary}"\nadvice = "{advice}"\nevidence = ["{evidence}"]\n'
        )
        with (self.root / "explanations.toml").open("a", encoding="utf-8") as toml:
            toml.write(entry)

    def options(self) -> list[str]:
        return ["--catalog", str(self.root / "catalog.toml"), "--probes", str(self.root / "probes")]

    def run(self, *args: str) -> tuple[int, str, str]:
        """``tfmatrix ARGS`` here, in a process of its own (its exit status, stdout, stderr)."""
        done = subprocess.run(
            [sys.executable, "-m", "tfmatrix", *self.options(), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    def report(self) -> tuple[int, str, str]:
        return self.run("report")

    def result(self, probe: str = PROBE, variant: str = VARIANT) -> tuple[Path, dict]:
        path = self.results / probe / f"{variant}.json"
        return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.made(tmp_path / "checkout")


def one_line_error(stderr: str) -> str:
    """The single error line a command printed: no traceback, nothing a terminal would obey."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    assert not [c for c in errors[0] if escape.INVISIBLE.match(c)]
    return errors[0]


def test_1_a_result_cannot_name_a_place_outside_the_results(workspace: Workspace, tmp_path: Path) -> None:
    """A schema-5 result whose probe name is a folder elsewhere: migrate leaves it for the loader to name."""
    outside = tmp_path / "home"
    _, document = workspace.result("gan")
    planted = workspace.results / "gan" / "planted.json"
    for name in (f"{outside}/.docker", "../../../home/.docker"):
        old = {**document, "schema_version": 5, "probe": {**document["probe"], "name": name}, "variant": "config"}
        for field in ("probed_on", "last_good"):
            old.pop(field)
        planted.write_text(json.dumps(old), encoding="utf-8")
        assert migrations.migrate(workspace.results) == []
        assert planted.exists()  # left where it is, for the loader to name
        status, _, stderr = workspace.report()
        assert status == 2
        assert "planted.json: probe.name: " in one_line_error(stderr)
    assert not outside.exists()
    assert not (tmp_path / "home").exists()


def test_2_a_repro_script_runs_only_its_commands(workspace: Workspace) -> None:
    """Recorded text reaches the script's comments: a line break in it must not start a command."""
    path, document = workspace.result()
    case = next(c for c in document["cases"] if c["id"] == CASE)
    status, before, _ = workspace.run("repro", CASE, "--variant", VARIANT, "--probe", PROBE)
    assert status == 0
    expected = commands_run_by(before)
    assert [line.split()[:2] for line in expected] == [["uv", "venv"], ["uv", "pip"], ["env", "PYTHONHASHSEED=0"]]
    case["warnings"] = [{"source": "warnings", "category": "UserWarning", "message": "deprecated\ntouch PWNED #"}]
    case["error"] = {"type": "KeyError", "message": "'x'\n$(touch PWNED)\n`touch PWNED`"}
    case["status"] = "error"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, script, stderr = workspace.run("repro", CASE, "--variant", VARIANT, "--probe", PROBE)
    assert status == 0, stderr
    assert commands_run_by(script) == expected
    case["error"]["type"] = "KeyError\ntouch PWNED #"  # a class name is an identifier: refused where it enters
    path.write_text(json.dumps(document), encoding="utf-8")
    status, script, stderr = workspace.run("repro", CASE, "--variant", VARIANT, "--probe", PROBE)
    assert (status, script) == (2, "")
    assert "error.type" in one_line_error(stderr)


def headings_and_tables(markdown: str) -> tuple[int, int, int]:
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    return rendered.count("<h1"), rendered.count("<h2") + rendered.count("<h3"), rendered.count("<table")


def test_3_advice_and_evidence_cannot_hide_or_add_a_section(workspace: Workspace) -> None:
    workspace.explain("It raises from 2.15.", "Use `fit()` twice.", "`training.py` line 1.")
    assert workspace.report()[0] == 0
    report = workspace.reports / "callback-matrix.md"
    before = headings_and_tables(report.read_text(encoding="utf-8"))
    assert "Use `fit()` twice." in report.read_text(encoding="utf-8")
    (workspace.root / "explanations.toml").write_bytes((ROOT / "explanations.toml").read_bytes())
    workspace.explain(
        "It raises from 2.15.", "Use `fit()` twice.\\n<!--\\n# Injected\\n| a |", "# heading\\n<details>\\n| x |\\n"
    )
    assert workspace.report()[0] == 0
    after = report.read_text(encoding="utf-8")
    assert headings_and_tables(after) == before
    assert "&lt;!--" in after


def test_4_the_feed_stays_well_formed_and_mends(workspace: Workspace) -> None:
    dates = workspace.reports / "release-dates.json"
    known = json.loads(dates.read_text(encoding="utf-8"))
    distribution = next(iter(known))
    version = next(iter(known[distribution]))
    dates.write_text(json.dumps({**known, distribution: {version: "2021-02-30"}}), encoding="utf-8")
    status, _, stderr = workspace.report()
    assert status == 2
    assert "expected a real day as YYYY-MM-DD, got '2021-02-30'" in one_line_error(stderr)
    dates.write_text(json.dumps(known), encoding="utf-8")
    text = (workspace.root / "explanations.toml").read_text(encoding="utf-8")
    (workspace.root / "explanations.toml").write_text(text.replace("From TF 2.2,", "From TF 2.2,\\b\\f", 1))
    status, _, stderr = workspace.report()
    assert status == 2
    assert "expected text without control characters, found U+0008" in one_line_error(stderr)
    (workspace.root / "explanations.toml").write_text(text, encoding="utf-8")
    assert workspace.report()[0] == 0
    feed = workspace.reports / "changes.atom"
    entries = len(ET.parse(feed).getroot().findall("{http://www.w3.org/2005/Atom}entry"))
    feed.write_text(feed.read_text(encoding="utf-8").replace("</title>", "\b</title>", 2), encoding="utf-8")
    status, _, stderr = workspace.report()  # as a feed main once wrote: mended, its entries kept
    assert status == 0
    assert "is not well-formed XML" in stderr
    assert len(ET.parse(feed).getroot().findall("{http://www.w3.org/2005/Atom}entry")) == entries


def test_5_anchors_match_the_headings_github_makes(workspace: Workspace) -> None:
    """A summary with a double space and a line break: every link to its heading still finds it."""
    workspace.explain("From 2.15,  it\\nraises.", "Use `fit()` twice.", "`training.py` line 1.")
    status, _, stderr = workspace.report()
    assert status == 0, stderr
    matrix = json.loads((workspace.reports / "matrix.json").read_text(encoding="utf-8"))
    links = [c["report"] for c in matrix["change_points"]] + [
        link for q in matrix["questions"] for link in q["reports"].values()
    ]
    assert any("2151-from-215-it-raises" in link for link in links)
    for link in links:
        report, anchor = link.split("#")
        assert anchor in github_anchors((workspace.reports / report).read_text(encoding="utf-8")), link


def test_6_lookup_writes_nothing_a_terminal_obeys(workspace: Workspace) -> None:
    assert workspace.report()[0] == 0
    matrix = workspace.reports / "matrix.json"
    document = json.loads(matrix.read_text(encoding="utf-8"))
    document["questions"][0]["question"] += "\x1b]52;c;cHduZWQ=\x07\x1b[2J"
    matrix.write_text(json.dumps(document), encoding="utf-8")
    status, stdout, stderr = workspace.run("lookup", "--tensorflow", "2.1.0", "--matrix", str(matrix))
    assert (status, stdout) == (2, "")
    assert "questions[0].question: expected text without control characters, found U+001B" in one_line_error(stderr)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["environments"][0].update(version="2.x"), "environments[0].version: expected a version"),
        (lambda d: d["environments"][0].update(version="9" * 5000), "environments[0].version: expected a version"),
        (
            lambda d: d["change_points"][0]["first_seen"][0].update(environment="nowhere"),
            "change_points[0].first_seen[0].environment: expected the id of one of environments, got 'nowhere'",
        ),
        (lambda d: d["environments"][0].update(released_on="2021-02-30"), "environments[0].released_on"),
    ],
)
def test_7_an_edited_matrix_json_is_a_one_line_error(
    workspace: Workspace, change: Callable[[dict], object], field: str
) -> None:
    assert workspace.report()[0] == 0
    matrix = workspace.reports / "matrix.json"
    document = json.loads(matrix.read_text(encoding="utf-8"))
    change(document)
    matrix.write_text(json.dumps(document), encoding="utf-8")
    status, _, stderr = workspace.run("lookup", "--tensorflow", "2.1.0", "--matrix", str(matrix))
    assert status == 2
    assert field in one_line_error(stderr)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda v: v.update(first_new="2.x"), "first_new"),
        (lambda v: v.update(first_new="2.99.0"), "frameworks: expected the frameworks of first_new 2.99.0"),
        (lambda v: v.update(frameworks="tensorflow"), "frameworks: 'tensorflow' is not of type 'object'"),
    ],
)
def test_7_an_edited_pinpoint_json_is_a_one_line_error(
    workspace: Workspace, change: Callable[[dict], object], field: str
) -> None:
    verdicts = json.loads((ROOT / "reports/pinpoint/pinpoint.json").read_text(encoding="utf-8"))
    name = next(iter(verdicts))
    change(verdicts[name])
    (workspace.reports / "pinpoint").mkdir()
    (workspace.reports / "pinpoint" / "pinpoint.json").write_text(json.dumps(verdicts), encoding="utf-8")
    status, _, stderr = workspace.report()
    assert status == 2
    assert f"pinpoint.json: {name}.{field}" in one_line_error(stderr)


def fake_python(tmp_path: Path, body: str) -> str:
    """A stand-in for ``--python``: a shell script that ignores the harness and does ``body``."""
    script = tmp_path / "python"
    script.write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("exit 0", "did not write what the harness writes: probe output is not readable JSON"),
        ('echo garbage > "$3/callback.json"', "probe output is not readable JSON"),
        (
            'echo \'{"probe": "callback", "environment": {}, "repeat": 1, "cases": [{"id": 1}]}\' > "$3/callback.json"',
            "cases[0]",
        ),
        ('echo \'{"probe": "callback", "environment": {}, "repeat": 1, "cases": [3]}\' > "$3/callback.json"', "cases"),
    ],
)
def test_8_check_names_an_environment_that_writes_something_else(
    workspace: Workspace, tmp_path: Path, body: str, said: str
) -> None:
    assert workspace.report()[0] == 0
    python = fake_python(tmp_path, body)
    matrix = str(workspace.reports / "matrix.json")
    status, _, stderr = workspace.run("check", "--python", python, "--only", "callback", "--matrix", matrix)
    assert status == 1
    assert said in one_line_error(stderr)


def test_8_check_takes_only_a_real_time_limit(workspace: Workspace) -> None:
    for given in ("nan", "inf", "-1", "soon"):
        status, _, stderr = workspace.run("check", "--timeout", given)
        assert status == 2
        assert f"argument --timeout: expected a positive number of seconds, got '{given}'" in stderr


def test_8_check_kills_everything_it_started_at_its_time_limit(workspace: Workspace, tmp_path: Path) -> None:
    assert workspace.report()[0] == 0
    pids = tmp_path / "pids"
    python = fake_python(tmp_path, f"sleep 300 & echo $! > {pids}\nwait")
    matrix = str(workspace.reports / "matrix.json")
    status, _, stderr = workspace.run("check", "--python", python, "--timeout", "2", "--matrix", matrix)
    assert status == 1
    assert "timed out after 2 s" in one_line_error(stderr)
    orphan = int(pids.read_text(encoding="utf-8"))
    for _ in range(50):  # the kill is sent before check returns; the process table may lag a moment behind
        try:
            os.kill(orphan, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(orphan, signal.SIGKILL)
        pytest.fail("the probes' child outlived check")


def test_9_lookup_edges(workspace: Workspace) -> None:
    assert workspace.report()[0] == 0
    matrix = str(workspace.reports / "matrix.json")
    status, _, stderr = workspace.run("lookup", "--tensorflow", "", "--matrix", matrix)
    assert status == 2
    assert "--tensorflow: expected a version such as 2.15.0, got ''" in stderr
    status, _, stderr = workspace.run("lookup", "--tensorflow", "1" * 5000, "--matrix", matrix)
    assert status == 2
    assert len(one_line_error(stderr)) < 200
    status, vendor, _ = workspace.run("lookup", "--tensorflow", "2.15.1+nv24.03", "--matrix", matrix)
    assert status == 0
    assert vendor.startswith("TensorFlow 2.15.1+nv24.03: probed as 2.15.1")
    piped = subprocess.run(
        f"{sys.executable} -m tfmatrix lookup --tensorflow 2.5 --matrix {matrix} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.stdout.count("\n") == 1
    assert piped.stderr == ""


def test_10_a_probe_that_hangs_at_import_does_not_hang_the_report(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = workspace.root / "probes" / "gan.py"
    hanging.write_text(hanging.read_text(encoding="utf-8") + "\nimport time\ntime.sleep(600)\n", encoding="utf-8")
    monkeypatch.setattr(probes, "IMPORT_SECONDS", 1)
    with pytest.raises(InputError, match=r"gan.py: did not import within 1 s"):
        probes.load_all(workspace.root / "probes")


def test_every_pinpointed_release_validates_as_a_result() -> None:
    """Release candidates included: the schema takes every version the project itself probes."""
    known = probes.load_all(PROBES)
    found = sorted((ROOT / "reports" / "pinpoint").glob("*/*.json"))
    assert any("rc" in path.stem for path in found)
    for path in found:
        assert results.load_one(path, known)["status"] in (
            "ok",
            "install-failed",
            "import-failed",
            "crashed",
            "timeout",
        )
