"""One attempt, for real, on framework-free stand-in probes: the harness in a child process, its output
judged per probe. Nothing is installed: the variant names no package, and the interpreter is this one.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from conftest import DATA, PROBES, attempted_here, probes_with
from tfmatrix import attempt, probes
from tfmatrix.variant import Variant

VARIANT = Variant(
    id="here",
    kind="tensorflow",
    track="bundled",
    distribution="numpy",
    version="0",
    python="3.11",
    installs=(),
    framework="none",  # the stand-in probes import no framework module
    entry={"here": True},
    facts={"resolved_as_of": "2026-11-26"},
)
STUB = """
import os
import signal

import _harness

NAME = "{name}"
TITLE = "A stand-in"
DESCRIPTION = "It {does}."
AXES = {{"x": {{"title": "x", "values": ["a", "b"]}}}}
GROUPS = {{"g": {{"question": "Does it?", "grid": "One case."}}}}
ASPECTS = {{"status": {{"title": "status", "matrix": True}}}}
INTENT = {{"g": {{"means": "It does.", "parts": {{"did": {{"means": "it did", "wrong": "it did not"}}}}}}}}
FIELDS = {{}}


def setup():
    {setup}
    return {{}}


def reset(seed):
    pass


def cases():
    return [{{"group": "g", "axes": {{"x": x}}}} for x in AXES["x"]["values"]]


def run_case(spec, record):
    {run_case}


def judge(case):
    return {{"status": case["status"]}}


def intended(case):
    return {{"did": True}}
"""
STUBS = {
    "lacking": ("raise NotApplicable", "pass", 'raise _harness.NotApplicable("no such feature here")'),
    "raising": ("raise ValueError", "pass", 'raise ValueError("boom")'),
    "mixed": ("raise ValueError in one case of two", "pass", 'if spec["axes"]["x"] == "a": raise ValueError("boom")'),
    "segfault": ("die of SIGSEGV", "pass", "os.kill(os.getpid(), signal.SIGSEGV)"),
    "quiet": ("exit 0 quietly", "pass", "os._exit(0)"),
    "unimportable": ("fail to import its framework", 'raise ImportError("no framework here")', "pass"),
}


def stub_dir(tmp_path: Path, *names: str) -> Path:
    directory = probes_with(tmp_path / "probes", DATA / "probes" / "promotion.py")
    for name in names:
        does, setup, run_case = STUBS[name]
        source = STUB.format(name=name, does=does, setup=setup, run_case=run_case)
        (directory / f"{name}.py").write_text(source, encoding="utf-8")
    return directory


def run(directory: Path, *names: str) -> dict[str, dict[str, object]]:
    return attempted_here(VARIANT, directory, *names)


def test_probes_run_in_order_and_their_exceptions_are_findings(tmp_path: Path) -> None:
    directory = stub_dir(tmp_path, "mixed")
    found = run(directory, "mixed", "promotion")
    assert {name: result["status"] for name, result in found.items()} == dict.fromkeys(found, "ok")
    raising, passing = found["mixed"]["cases"]  # type: ignore[misc]
    assert (raising["status"], raising["error"]) == ("error", {"type": "ValueError", "message": "boom"})
    assert (passing["status"], passing["error"]) == ("ok", None)


def test_a_variant_in_which_no_case_of_any_probe_ran_ok_has_failed(tmp_path: Path) -> None:
    """Every case raised, or none could be asked: the harness does not drive the framework, which is no finding."""
    found = attempt.none_ok(run(stub_dir(tmp_path, "raising", "lacking"), "raising", "lacking"))
    assert {name: (result["status"], result["cases"]) for name, result in found.items()} == {
        "raising": ("no-case-ok", []),
        "lacking": ("no-case-ok", []),
    }
    said = {
        "raising": ["no case of any probe ran ok; of this one: 2 error", "2 x error: ValueError: boom"],
        "lacking": [
            "no case of any probe ran ok; of this one: 2 not_applicable",
            "2 x not_applicable: NotApplicable: no such feature here",
        ],
    }
    for name, lines in said.items():
        assert found[name]["failure"] == {"phase": "probe", "exit": "exit status 0", "message": "\n".join(lines)}


def test_a_probe_every_case_of_which_raised_is_a_finding_where_others_ran_ok(tmp_path: Path) -> None:
    """An API that raises from some release on raises in every case of its probe: that is the answer."""
    found = run(stub_dir(tmp_path, "raising"), "promotion", "raising")
    assert attempt.none_ok(found) == found
    assert [case["status"] for case in found["raising"]["cases"]] == ["error", "error"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "status", "exit", "line"),
    [
        ("segfault", "crashed", "killed by SIGSEGV", "Fatal Python error: Segmentation fault"),
        ("quiet", "crashed", "exit status 0", "the probe exited with status 0 without writing its result"),
    ],
)
def test_a_probe_that_dies_takes_only_itself_and_those_after_it(
    tmp_path: Path, name: str, status: str, exit: str, line: str
) -> None:
    directory = stub_dir(tmp_path, name, "raising")
    found = run(directory, "promotion", name, "raising")
    assert found["promotion"]["status"] == "ok"  # written before the probe that died ran
    for dead in (name, "raising"):
        assert found[dead]["status"] == status
        assert found[dead]["failure"]["phase"] == "probe"  # type: ignore[index]
        assert found[dead]["failure"]["exit"] == exit  # type: ignore[index]
        assert line in found[dead]["failure"]["message"]  # type: ignore[index]


def test_a_framework_that_does_not_import_is_every_probes_import_failure(tmp_path: Path) -> None:
    directory = stub_dir(tmp_path, "unimportable")
    found = run(directory, "unimportable", "promotion")
    for result in found.values():
        assert (result["status"], result["failure"]["phase"]) == ("import-failed", "import")  # type: ignore[index]
        assert "ImportError: no framework here" in result["failure"]["message"]  # type: ignore[index]


def test_the_runner_and_the_harness_agree_on_their_signals() -> None:
    """The harness runs where tfmatrix cannot be imported: the words they share are checked here."""
    with probes.isolated_imports(PROBES):
        harness = importlib.import_module("_harness")
    assert (harness.IMPORTED_MARK + " ", harness.TIMING_FILE) == (attempt.IMPORTED, attempt.TIMING_FILE)
