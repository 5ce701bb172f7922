"""Catalog discovery on the releases the index really offers (as pip listed them on 2026-11-25),
plus the releases a later week could bring."""

from __future__ import annotations

import datetime as dt
import difflib
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from conftest import ROOT
from tfmatrix import catalog, cli, discover, status

TODAY = dt.date(2026, 12, 7)
CATALOG = (ROOT / "catalog.toml").read_text(encoding="utf-8")
NIGHTLY = CATALOG[CATALOG.index("\n# Opt-in") :]  # a blank line, the comment and the [nightly] table
LAST_TF_KERAS = 'tf_keras = { version = "2.21.0", resolved_as_of = 2026-03-25 }\n'


def releases(text: str) -> list[dict[str, Any]]:
    """The catalog's [[release]] tables, in file order."""
    tables: list[dict[str, Any]] = tomllib.loads(text)["release"]
    return tables


def index_like_today(**extra: dict[str, set[str]]) -> discover.Index:
    """The newest patch of each catalog line, for the Python the catalog probes it on, plus ``extra``."""
    wheels: dict[str, dict[str, set[Version]]] = {
        p: {py: set() for py in discover.PYTHONS} for p in ("tensorflow", "tensorflow-cpu", "tf-keras", "keras")
    }
    for release in releases(CATALOG):
        wheels[release["distribution"]][release["python"]].add(Version(release["version"]))
        if "tf_keras" in release:
            wheels["tf-keras"][release["python"]].add(Version(release["tf_keras"]["version"]))
    for entry in tomllib.loads(CATALOG)["keras"]:
        wheels["keras"][entry["python"]].add(Version(entry["version"]))
    for package, by_python in extra.items():
        for python, versions in by_python.items():
            wheels[package.replace("_", "-")][python] |= {Version(v) for v in versions}
    return discover.Index(wheels)


@dataclass(frozen=True)
class Updated:
    """What discover.update returned."""

    text: str
    changes: list[str]

    @property
    def releases(self) -> list[dict[str, Any]]:
        return releases(self.text)

    def diff(self, old: str = CATALOG) -> tuple[list[str], list[str]]:
        """The lines of ``old`` the update took out, and the lines it put in."""
        lines = list(difflib.ndiff(old.splitlines(), self.text.splitlines()))
        return [x[2:] for x in lines if x.startswith("- ")], [x[2:] for x in lines if x.startswith("+ ")]


def updated(tmp_path: Path, index: discover.Index, text: str = CATALOG) -> Updated:
    new_text, changes = discover.update(text, index, TODAY)
    path = tmp_path / "catalog.toml"
    path.write_text(new_text, encoding="utf-8")
    catalog.load(path, TODAY)  # what discover writes must be a valid catalog
    return Updated(new_text, changes)


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_nothing_new_leaves_the_catalog_byte_for_byte(tmp_path: Path) -> None:
    update = updated(tmp_path, index_like_today())
    assert update.changes == []
    assert update.text == CATALOG


def test_a_new_minor_line_is_added_with_today_and_its_newest_python(tmp_path: Path) -> None:
    index = index_like_today(tensorflow_cpu={"3.12": {"2.22.0"}, "3.13": {"2.22.0"}}, tensorflow={"3.13": {"2.22.0"}})
    update = updated(tmp_path, index)
    assert update.changes == ["added 2.22.0"]
    # tf-keras 2.22 is not out yet: added in a later week
    assert update.releases[-1] == {
        "version": "2.22.0",
        "distribution": "tensorflow-cpu",
        "python": "3.13",
        "resolved_as_of": TODAY,
    }


def test_a_new_minor_line_comes_after_the_newest_entry_and_before_nightly(tmp_path: Path) -> None:
    update = updated(tmp_path, index_like_today(tensorflow_cpu={"3.13": {"2.22.0"}}, tf_keras={"3.13": {"2.22.0"}}))
    assert update.changes == ["added 2.22.0"]
    assert update.diff() == (
        [],
        [
            "",
            "[[release]]",
            'version = "2.22.0"',
            'distribution = "tensorflow-cpu"',
            'python = "3.13"',
            "resolved_as_of = 2026-12-07",
            'tf_keras = { version = "2.22.0", resolved_as_of = 2026-12-07 }',
        ],
    )
    assert update.text.index('version = "2.21.0"') < update.text.index('version = "2.22.0"')
    assert update.text.endswith("resolved_as_of = 2026-12-07 }\n" + NIGHTLY)


def test_tf_keras_is_added_once_it_ships(tmp_path: Path) -> None:
    first = updated(tmp_path, index_like_today(tensorflow_cpu={"3.13": {"2.22.0"}}))
    later = index_like_today(tensorflow_cpu={"3.13": {"2.22.0"}}, tf_keras={"3.13": {"2.22.0"}})
    update = updated(tmp_path, later, first.text)
    assert update.changes == ["added tf-keras to 2.22.0"]
    assert update.releases[-1]["tf_keras"] == {"version": "2.22.0", "resolved_as_of": TODAY}
    assert update.diff(first.text) == ([], ['tf_keras = { version = "2.22.0", resolved_as_of = 2026-12-07 }'])


def test_tf_keras_shipping_late_for_the_last_entry_goes_into_that_entry_not_nightly(tmp_path: Path) -> None:
    assert CATALOG.count(LAST_TF_KERAS) == 1
    late = CATALOG.replace(LAST_TF_KERAS, "")
    update = updated(tmp_path, index_like_today(), late)
    assert update.changes == ["added tf-keras to 2.21.0"]
    assert update.diff(late) == ([], ['tf_keras = { version = "2.21.0", resolved_as_of = 2026-12-07 }'])
    assert update.releases[-1]["tf_keras"] == {"version": "2.21.0", "resolved_as_of": TODAY}
    assert tomllib.loads(update.text)["nightly"] == tomllib.loads(CATALOG)["nightly"]
    assert update.text.endswith("resolved_as_of = 2026-12-07 }\n" + NIGHTLY)


def test_a_newer_patch_of_the_last_line_replaces_its_entry_and_keeps_nightly(tmp_path: Path) -> None:
    update = updated(tmp_path, index_like_today(tensorflow_cpu={"3.13": {"2.21.1"}}))
    assert update.changes == ["moved 2.21.0 to 2.21.1"]
    assert [r["version"] for r in update.releases if r["version"].startswith("2.21")] == ["2.21.1"]
    assert update.releases[-1]["resolved_as_of"] == TODAY
    # Only the moved entry's lines change: the others, the comments and the [nightly] table stay as they were.
    assert update.diff() == (
        ['version = "2.21.0"', "resolved_as_of = 2026-03-13", LAST_TF_KERAS.strip()],
        [
            'version = "2.21.1"',
            "resolved_as_of = 2026-12-07",
            'tf_keras = { version = "2.21.0", resolved_as_of = 2026-12-07 }',
        ],
    )
    assert comments(update.text) == comments(CATALOG)
    assert update.text.endswith("resolved_as_of = 2026-12-07 }\n" + NIGHTLY)


def test_a_newer_patch_without_its_tf_keras_on_the_index_drops_it(tmp_path: Path) -> None:
    index = index_like_today(tensorflow_cpu={"3.13": {"2.20.2"}})
    index.wheels["tf-keras"]["3.13"].remove(Version("2.20.1"))
    update = updated(tmp_path, index)
    assert update.changes == ["moved 2.20.0 to 2.20.2"]
    assert update.diff() == (
        [
            'version = "2.20.0"',
            "resolved_as_of = 2025-08-20",
            'tf_keras = { version = "2.20.1", resolved_as_of = 2025-09-11 }',
        ],
        ['version = "2.20.2"', "resolved_as_of = 2026-12-07"],
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"tensorflow": {"3.7": {"2.0.0"}}}, []),  # an older patch of a line the catalog has
        ({"tensorflow": {"3.7": {"1.14.0"}}}, []),  # older than the catalog's first line: left out on purpose
    ],
)
def test_old_lines_are_left_alone(tmp_path: Path, extra: dict[str, dict[str, set[str]]], expected: list[str]) -> None:
    assert updated(tmp_path, index_like_today(**extra)).changes == expected


def test_a_release_without_a_wheel_for_our_pythons_is_skipped() -> None:
    index = index_like_today()
    index.wheels["tensorflow-cpu"]["3.14"] = {Version("2.22.0")}  # only for an interpreter the machines lack
    new_text, changes = discover.update(CATALOG, index, TODAY)
    assert changes == ["skipped 2.22.0: no Linux wheel for Python 3.7 to 3.13"]
    assert new_text == CATALOG


def test_an_inline_array_of_releases_is_refused() -> None:
    text = (
        'release = [{ version = "2.21.0", distribution = "tensorflow-cpu", python = "3.13",'
        " resolved_as_of = 2026-03-13 }]\n"
    )
    with pytest.raises(TypeError, match=r"\[\[release\]\] tables"):
        discover.update(text, index_like_today(tensorflow_cpu={"3.13": {"2.21.1"}}), TODAY)


def test_retire_deletes_the_results_of_gone_variants_under_every_probe(tmp_path: Path) -> None:
    for name in ("freeze/a.json", "freeze/b.json", "other/a.json", "freeze/tf-nightly.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    retired = discover.retire(tmp_path, {"a", "b"}, {"b", "c"})
    assert sorted(retired) == [tmp_path / "freeze" / "a.json", tmp_path / "other" / "a.json"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json")) == [
        "freeze/b.json",
        "freeze/tf-nightly.json",
    ]


def test_the_discover_command_moves_a_patch_and_retires_its_results_under_every_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tfmatrix discover`, as the discover session runs it: the report never meets a release the catalog lost."""
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    results_dir = tmp_path / "results"
    kept = ["freeze/tensorflow-cpu-2.20.0.json", "freeze/tf-nightly.json", "promotion/tensorflow-cpu-2.20.0.json"]
    gone = ["freeze/tensorflow-cpu-2.21.0.json", "freeze/tensorflow-cpu-2.21.0-tf-keras.json"]
    gone.append("promotion/tensorflow-cpu-2.21.0.json")
    for name in kept + gone:
        (results_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (results_dir / name).write_text("{}", encoding="utf-8")
    index = index_like_today(tensorflow_cpu={"3.13": {"2.21.1"}}, tf_keras={"3.13": {"2.21.0"}})
    monkeypatch.setattr(discover, "ask_index", lambda: index)
    command = ["--catalog", str(path), "discover", "--results", str(results_dir)]
    assert cli.main([*command, "--dry-run"]) == 0
    assert path.read_text(encoding="utf-8") == CATALOG  # a dry run writes nothing
    assert cli.main(command) == 0
    assert [v.id for v in catalog.load(path) if "2.21" in v.id] == [
        "tensorflow-cpu-2.21.1",
        "tensorflow-cpu-2.21.1-tf-keras",
    ]
    assert sorted(str(p.relative_to(results_dir)) for p in results_dir.rglob("*.json")) == sorted(kept)
    out = capsys.readouterr().out
    assert "tfmatrix: moved 2.21.0 to 2.21.1" in out
    assert out.count("tfmatrix: retired ") == len(gone)


def keras_entries(text: str) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = tomllib.loads(text)["keras"]
    return tables


def test_a_new_keras_line_takes_python_and_torch_from_the_newest_entry(tmp_path: Path) -> None:
    update = updated(tmp_path, index_like_today(keras={"3.11": {"3.16.0", "3.16.0rc1"}}))
    assert update.changes == ["added Keras 3.16.0"]
    assert keras_entries(update.text)[-1] == {
        "version": "3.16.0",
        "python": "3.11",
        "resolved_as_of": TODAY,
        "torch": "2.13.0+cpu",
    }
    added = '\n\n[[keras]]\nversion = "3.16.0"\npython = "3.11"\nresolved_as_of = 2026-12-07\ntorch = "2.13.0+cpu"\n'
    assert added in update.text
    assert "[[keras]]" not in update.text.split(added)[1]  # after the last entry of its table
    assert catalog.load(tmp_path / "catalog.toml", TODAY)  # what it wrote loads


def test_a_new_keras_line_goes_after_the_last_keras_entry_wherever_that_table_is(tmp_path: Path) -> None:
    """The catalog's tables in another order: the [[keras]] entries first, the TensorFlow releases after them."""
    first_keras = CATALOG.index("[[keras]]")
    reordered = CATALOG[first_keras:].rstrip("\n") + "\n\n" + CATALOG[:first_keras]
    update = updated(tmp_path, index_like_today(keras={"3.11": {"3.16.0"}}), reordered)
    assert update.changes == ["added Keras 3.16.0"]
    assert keras_entries(update.text)[-1]["version"] == "3.16.0"
    before, after = update.text.split('version = "3.16.0"')
    assert "[[release]]" not in before
    assert after.count("[[keras]]") == 0


def test_a_newer_keras_patch_moves_its_entry_and_leaves_the_rest(tmp_path: Path) -> None:
    update = updated(tmp_path, index_like_today(keras={"3.11": {"3.8.1", "2.15.1"}}))
    assert update.changes == ["moved Keras 3.8.0 to 3.8.1"]
    assert update.diff() == (
        ['version = "3.8.0"', "resolved_as_of = 2025-01-14"],
        ['version = "3.8.1"', "resolved_as_of = 2026-12-07"],
    )


@pytest.mark.slow  # uv seeds the venv's pip from the index (or its cache)
def test_an_index_that_answers_nothing_is_an_error_not_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PIP_NO_INDEX=1, for real: pip finds no distribution of anything, which must not read as "up to date"."""
    with_pip = tmp_path / "with-pip"  # as the discover session's venv has it
    subprocess.run([sys.executable, "-m", "uv", "venv", "--quiet", "--seed", str(with_pip)], check=True)
    monkeypatch.setattr(sys, "executable", str(with_pip / "bin" / "python"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    assert cli.main(["--catalog", str(path), "discover", "--results", str(tmp_path / "results")]) == status.ERROR
    assert capsys.readouterr().err == (
        "tfmatrix: error: the package index offers no release of keras at all: is it reachable (pip config list)?\n"
    )
    assert path.read_text(encoding="utf-8") == CATALOG
