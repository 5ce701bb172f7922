"""Property test: a hostile value in any field of any file a pull request can change, run through report,
lookup, repro, diff, migrate and check. Whatever it is, each command ends in a correct output or a one-line
error; it writes nothing outside the checkout; a repro script runs exactly its commands; the markdown keeps
its headings and tables; the feed parses.

Commands run in process on one small checkout, restored before each example (a process each would take
minutes): ``Workspace`` of test_untrusted.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_untrusted import CASE, PROBE, VARIANT, Workspace

from conftest import commands_run_by
from tfmatrix import cli, escape

OUTSIDE = "/tmp/tfmatrix-hostile-outside"  # a place a crafted path would aim at: it must never appear
HOSTILE_BITS = [
    *("\n", "\r", "\t", "\x00", "\b", "\f", "\x1b]52;c;cHduZWQ=\x07", "\x1b[2J", "\x85", "\u2028", "\u202e", "\ud800"),
    *("'", '"', "`", "$(touch PWNED)", "; touch PWNED #", "|", "#", "# ", "- ", "1. ", "<!--", "</summary>", "]]>"),
    *("&", "&#8;", "&amp;", "*", "_", "[x](javascript:alert(1))", "../..", "/", OUTSIDE, "9" * 5000, "2021-02-30"),
    *("", " ", "2.15.1", "rc1", "+nv24.03", "2024-06-28", "tensorflow-cpu-2.1.0", "ok", "✅ works", "a@b.io"),
]
HOSTILE = st.lists(st.sampled_from(HOSTILE_BITS), min_size=1, max_size=6).map("".join) | st.text(max_size=12)
# What would end a block or start one, were it not escaped: every structural test meets one in every example.
BREAKERS = ["\n# x\n", "\n<!--", "\n| a |\n| - |\n", "\n- item", "\n```\n", "</details>", "\n\n1. x", "\n---\n"]
STRUCTURAL = st.tuples(HOSTILE, st.sampled_from(BREAKERS), HOSTILE).map("".join)
ALLOWED = {"report": {0, 2}, "lookup": {0, 2}, "repro": {0, 2}, "diff": {0, 2, 4}, "migrate": {0}, "check": {1, 2}}
EXAMPLES = 25  # per file: enough to meet every class of value at least once, and the fast suite stays fast


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string in a JSON document, and of every key (marked ``("key", k)``)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, ("key", key))
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))


def replaced(document: Any, path: tuple[Any, ...], value: str) -> Any:
    """``document`` with the string at ``path`` (or the key ``("key", k)``) replaced by ``value``."""
    *parents, last = path
    node = document
    for step in parents:
        node = node[step]
    if isinstance(last, tuple):
        node[value] = node.pop(last[1])
    else:
        node[last] = value
    return document


class Checkout:
    """The workspace, made once and restored before each example: a baseline to compare with."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="tfmatrix-hostile-"))
        self.pristine = Workspace.made(self.scratch / "pristine")
        assert self.run("report", root=self.pristine)[0] == 0
        self.workspace = self.pristine  # until an example takes a fresh copy
        self.structure = {path.name: structure(path) for path in self.pristine.reports.glob("*.md")}
        self.script = self.run("repro", CASE, "--variant", VARIANT, "--probe", PROBE, root=self.pristine)[1]
        self.commands = commands_run_by(self.script)
        explained = Workspace.made(self.scratch / "explained")
        explained.explain("It raises from 2.15.", "Use `fit()` twice.", "`training.py` line 1.")
        assert self.run("report", root=explained)[0] == 0
        self.explained = {path.name: structure(path) for path in explained.reports.glob("*.md")}

    def fresh(self) -> Workspace:
        """A copy of the pristine checkout, replacing the last one."""
        target = self.scratch / "checkout"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.pristine.root, target)
        return Workspace(target)

    def run(self, *args: str, root: Workspace | None = None) -> tuple[int, str, str]:
        """``tfmatrix ARGS`` in process, in ``root`` (the current copy), paths given as a user in it would."""
        where = root or self.workspace
        out, err = io.StringIO(), io.StringIO()
        with contextlib.chdir(where.root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main([*where.options(), *args])
            except SystemExit as exc:  # argparse's usage errors
                status = int(exc.code or 0)
        return status, out.getvalue(), err.getvalue()


def structure(path: Path) -> tuple[int, ...]:
    """What GitHub makes of a report: its headings, tables, table rows and list items."""
    rendered = cmarkgfm.github_flavored_markdown_to_html(path.read_text(encoding="utf-8"))
    return tuple(rendered.count(tag) for tag in ("<h1", "<h2", "<h3", "<table", "<tr", "<li", "<details"))


@pytest.fixture(scope="module")
def checkout() -> Iterator[Checkout]:
    made = Checkout()
    yield made
    shutil.rmtree(made.scratch)


def clean(status: int, stdout: str, stderr: str, command: str) -> None:
    """No traceback, an exit status the command documents, at most one error line, nothing a terminal obeys."""
    assert status in ALLOWED[command], (command, status, stderr)
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) <= 1, stderr
    assert not [c for c in stdout + stderr if c != "\n" and escape.INVISIBLE.match(c)], (stdout, stderr)
    assert not Path(OUTSIDE).exists()


def reported(checkout: Checkout, *, same_structure: bool) -> None:
    """report: a one-line error, or reports whose structure is the baseline's and a feed that parses."""
    status, stdout, stderr = checkout.run("report")
    clean(status, stdout, stderr, "report")
    if status != 0:
        return
    ET.parse(checkout.workspace.reports / "changes.atom")
    if same_structure:
        for name, expected in checkout.structure.items():
            assert structure(checkout.workspace.reports / name) == expected, name
    looked = checkout.run("lookup", "--tensorflow", "2.5")
    clean(*looked, "lookup")


def results_leaves(checkout: Checkout) -> list[tuple[str, tuple[Any, ...]]]:
    found = []
    for path in sorted(checkout.pristine.results.glob("*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        found += [(str(path.relative_to(checkout.pristine.root)), leaf) for leaf in leaves(document)]
    return found


# Fields that only say things (messages, facts shown as text): a value there must leave every report's structure.
TEXT_ONLY = ("message", "category", "python", "keras", "numpy", "keras_flavour")


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_hostile_result(checkout: Checkout, data: st.DataObject) -> None:
    where, leaf = data.draw(st.sampled_from(results_leaves(checkout)))
    text_only = not isinstance(leaf[-1], tuple) and leaf[-1] in TEXT_ONLY
    value = data.draw(STRUCTURAL if text_only else HOSTILE)
    checkout.workspace = checkout.fresh()
    path = checkout.workspace.root / where
    path.write_text(json.dumps(replaced(json.loads(path.read_text(encoding="utf-8")), leaf, value)), encoding="utf-8")
    status, script, stderr = checkout.run("repro", CASE, "--variant", VARIANT, "--probe", PROBE)
    clean(status, script, stderr, "repro")
    if status == 0:
        assert commands_run_by(script) == checkout.commands
    clean(*checkout.run("diff", str(checkout.pristine.results), "reports/results"), "diff")
    clean(*checkout.run("migrate", "reports/results"), "migrate")
    reported(checkout, same_structure=text_only)


def toml_value(value: Any) -> str:
    """A TOML value of strings, lists and tables: JSON's string escapes are TOML's."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def explained_with(checkout: Checkout, field: str, value: str) -> None:
    """The checkout's explanations, with one that applies to its change point, whose ``field`` is ``value``."""
    checkout.workspace = checkout.fresh()
    checkout.workspace.explain("It raises from 2.15.", "Use `fit()` twice.", "`training.py` line 1.")
    path = checkout.workspace.root / "explanations.toml"
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["explanation"]
    entries[-1][field] = {"evidence": [value], "cases": {"layer": value}}.get(field, value)
    body = "".join(
        "[[explanation]]\n" + "".join(f"{key} = {toml_value(v)}\n" for key, v in entry.items()) + "\n"
        for entry in entries
    )
    path.write_text(body, encoding="utf-8")


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(["summary", "advice", "evidence"]), value=STRUCTURAL)
def test_hostile_prose_of_an_explanation(checkout: Checkout, field: str, value: str) -> None:
    """What a change point's explanation says is shown, and changes no report's structure."""
    explained_with(checkout, field, value)
    status, stdout, stderr = checkout.run("report")
    clean(status, stdout, stderr, "report")
    if status == 0:
        for name in ("callback-matrix.md", "gan-matrix.md"):
            assert structure(checkout.workspace.reports / name) == checkout.explained[name], name


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.sampled_from(["release", "aspect", "probe", "cases"]), value=HOSTILE)
def test_hostile_fields_of_an_explanation(checkout: Checkout, field: str, value: str) -> None:
    explained_with(checkout, field, value)
    reported(checkout, same_structure=False)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), value=HOSTILE)
def test_hostile_release_dates_and_pinpoint_verdicts(checkout: Checkout, data: st.DataObject, value: str) -> None:
    checkout.workspace = checkout.fresh()
    reports = checkout.workspace.reports
    verdicts = {
        "callback/2.15.1/base@tensorflow-cpu-2.15.1": {
            **dict.fromkeys(("older", "newer", "track", "distribution"), "x"),
            "older": "tensorflow-cpu-2.1.0",
            "newer": "tensorflow-cpu-2.15.1",
            "track": "bundled",
            "distribution": "tensorflow-cpu",
            "candidates": ["2.2.0"],
            "probed": {"2.2.0": "new"},
            "last_old": "2.1.0",
            "first_new": "2.2.0",
            "unresolved": [],
            "cases": ["trainable/true"],
            "frameworks": {"2.1.0": {"tensorflow-cpu": "2.1.0"}, "2.2.0": {"tensorflow-cpu": "2.2.0"}},
        }
    }
    (reports / "pinpoint").mkdir()
    dates = json.loads((reports / "release-dates.json").read_text(encoding="utf-8"))
    name, document = data.draw(st.sampled_from([("release-dates.json", dates), ("pinpoint/pinpoint.json", verdicts)]))
    leaf = data.draw(st.sampled_from(list(leaves(document))))
    (reports / "pinpoint" / "pinpoint.json").write_text(json.dumps(verdicts), encoding="utf-8")
    (reports / name).write_text(json.dumps(replaced(document, leaf, value)), encoding="utf-8")
    reported(checkout, same_structure=False)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), value=HOSTILE)
def test_a_hostile_matrix_json_for_lookup_and_check(checkout: Checkout, data: st.DataObject, value: str) -> None:
    checkout.workspace = checkout.fresh()
    matrix = checkout.workspace.reports / "matrix.json"
    document = json.loads(matrix.read_text(encoding="utf-8"))
    leaf = data.draw(st.sampled_from(list(leaves(document))))
    matrix.write_text(json.dumps(replaced(document, leaf, value)), encoding="utf-8")
    for asked in (
        ["--tensorflow", "2.5"],
        ["--tensorflow", "2.15.1", "--json"],
        ["--keras", "3.8", "--backend", "jax"],
    ):
        clean(*checkout.run("lookup", *asked), "lookup")
    # A --python that writes nothing: check reads matrix.json first, and fails in one line either way.
    clean(*checkout.run("check", "--python", "false", "--only", PROBE), "check")


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), value=HOSTILE)
def test_a_hostile_feed(checkout: Checkout, data: st.DataObject, value: str) -> None:
    """A feed edited by hand, well-formed or not: the report mends it and keeps what it can."""
    checkout.workspace = checkout.fresh()
    feed = checkout.workspace.reports / "changes.atom"
    text = feed.read_text(encoding="utf-8")
    tag = data.draw(st.sampled_from(["<id>", "<title>", "<updated>", '<summary type="text">', 'href="']))
    feed.write_bytes(
        text.replace(tag, tag + value, 1).encode("utf-8", errors="surrogatepass")
    )  # not UTF-8: hostile too
    reported(checkout, same_structure=True)
