"""One vocabulary: the host and the probes name states and verdicts alike, and the report side imports nothing
that runs things."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from conftest import PROBES, ROOT
from tfmatrix import lookup, picture, probes, results, vocabulary

PACKAGE = ROOT / "src" / "tfmatrix"
# What runs things: installs, probes, bisects, asks the index, starts processes.
RUNS = {"attempt", "check", "discover", "index", "pinpoint", "preflight", "process", "release_dates", "repro", "runner"}
# What turns results into reports, and reads what they publish.
REPORTS = {
    "advice", "aggregate", "diff", "explanations", "feed", "lookup", "page", "picture", "publish", "readme",
    "render", "results", "summary", "wrap",
}  # fmt: skip


def source(module: str) -> Path | None:
    """The file of a tfmatrix module named as ``kinds.keras``; None for what is no module (``__version__``)."""
    path = PACKAGE.joinpath(*module.split("."))
    found = [p for p in (path.with_suffix(".py"), path / "__init__.py") if p.is_file()]
    return found[0] if found else None


def imported(module: str) -> set[str]:
    """The tfmatrix modules ``module`` imports, named as ``kinds.keras`` (``from tfmatrix.kinds import keras``)."""
    found = set()
    for node in ast.walk(ast.parse(source(module).read_text(encoding="utf-8"))):  # type: ignore[union-attr]
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tfmatrix":
            parent = node.module.removeprefix("tfmatrix").removeprefix(".")  # type: ignore[union-attr]
            named = [f"{parent}.{alias.name}".lstrip(".") for alias in node.names]
            found |= {name if source(name) else parent for name in named} - {""}
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.removeprefix("tfmatrix.") for alias in node.names if alias.name.startswith("tfmatrix.")
            }
    return found


def reachable(module: str) -> set[str]:
    """Every tfmatrix module that importing ``module`` imports."""
    seen, todo = set(), [module]
    while todo:
        for name in imported(todo.pop()) - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_report_side_imports_nothing_that_runs_things() -> None:
    assert {path.stem for path in PACKAGE.glob("*.py")} >= RUNS  # the names are real modules
    assert {module: sorted(reachable(module) & RUNS) for module in sorted(REPORTS)} == {m: [] for m in sorted(REPORTS)}


def test_the_import_reader_sees_what_runs_things() -> None:
    """The reader that test relies on finds each way a module is imported here."""
    assert {"attempt", "pinpoint", "runner", "kinds.keras", "entries"} <= reachable("cli")
    assert "vocabulary" in imported("lookup")


def test_the_result_schema_has_every_state_and_no_other() -> None:
    assert results.schema()["properties"]["status"]["enum"] == list(vocabulary.State)
    assert set(vocabulary.FAILURES) == set(vocabulary.State) - {vocabulary.State.OK}


def test_the_probes_write_the_case_statuses_and_verdicts_the_host_reads() -> None:
    """The harness (Python 3.7, in the environment under test) spells them itself: held to vocabulary here."""
    with probes.isolated_imports(PROBES):
        harness = importlib.import_module("_harness")
    verdicts = harness.VERDICT_ASPECTS["verdict"]["symbols"]
    expected = (
        vocabulary.WORKS,
        vocabulary.WRONG,
        vocabulary.RAISES,
        vocabulary.NO_EVIDENCE,
        vocabulary.NOT_APPLICABLE,
    )
    assert tuple(verdicts) == expected
    assert {verdict: verdicts[verdict] for verdict in vocabulary.SYMBOLS} == {
        verdict: vocabulary.shown(verdict) for verdict in vocabulary.SYMBOLS
    }
    assert (lookup.WORKS, *lookup.LEADS) == tuple(map(vocabulary.shown, vocabulary.SYMBOLS))
    assert {picture.category(symbol) for symbol in verdicts.values()} == {"✅", "❌", "💥", "❔", "n/a"}
    source = Path(PROBES / "_harness.py").read_text(encoding="utf-8")
    assert all(f'"{status}"' in source for status in vocabulary.CaseStatus)
