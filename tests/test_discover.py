"""Catalog discovery on the releases the index really offers (as pip listed them on 2026-11-25),
plus the releases a later week could bring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from packaging.version import Version

from conftest import ROOT
from tfmatrix import catalog, discover

TODAY = dt.date(2026, 12, 7)


def index_like_today(**extra: dict[str, set[str]]) -> discover.Index:
    """The newest patch of each catalog line, for the Python the catalog probes it on, plus ``extra``."""
    wheels: dict[str, dict[str, set[Version]]] = {
        p: {py: set() for py in discover.PYTHONS} for p in ("tensorflow", "tensorflow-cpu", "tf-keras")
    }
    for release in catalog.load(ROOT / "catalog.toml"):
        wheels[release.distribution][release.python].add(Version(release.version))
        if release.tf_keras:
            wheels["tf-keras"][release.python].add(Version(release.tf_keras.version))
    for package, by_python in extra.items():
        for python, versions in by_python.items():
            wheels[package.replace("_", "-")][python] |= {Version(v) for v in versions}
    return discover.Index(wheels)


def updated(
    tmp_path: Path, index: discover.Index, text: str | None = None
) -> tuple[list[catalog.Release], list[str], str]:
    original = (ROOT / "catalog.toml").read_text(encoding="utf-8") if text is None else text
    new_text, changes = discover.update(original, index, TODAY)
    path = tmp_path / "catalog.toml"
    path.write_text(new_text, encoding="utf-8")
    return catalog.load(path, TODAY), changes, new_text  # what discover writes must be a valid catalog


def test_nothing_new_leaves_the_catalog_byte_for_byte(tmp_path: Path) -> None:
    _, changes, text = updated(tmp_path, index_like_today())
    assert changes == []
    assert text == (ROOT / "catalog.toml").read_text(encoding="utf-8")


def test_a_new_minor_line_is_added_with_today_and_its_newest_python(tmp_path: Path) -> None:
    index = index_like_today(tensorflow_cpu={"3.12": {"2.22.0"}, "3.13": {"2.22.0"}}, tensorflow={"3.13": {"2.22.0"}})
    releases, changes, _ = updated(tmp_path, index)
    assert changes == ["added 2.22.0"]
    newest = releases[-1]
    assert (newest.version, newest.distribution, newest.python, newest.resolved_as_of) == (
        "2.22.0",
        "tensorflow-cpu",
        "3.13",
        TODAY,
    )
    assert newest.tf_keras is None  # tf-keras 2.22 is not out yet: added in a later week


def test_tf_keras_is_added_once_it_ships(tmp_path: Path) -> None:
    first = index_like_today(tensorflow_cpu={"3.13": {"2.22.0"}})
    _, _, text = updated(tmp_path, first)
    later = index_like_today(tensorflow_cpu={"3.13": {"2.22.0"}}, tf_keras={"3.13": {"2.22.0"}})
    releases, changes, _ = updated(tmp_path, later, text)
    assert changes == ["added tf-keras to 2.22.0"]
    assert releases[-1].tf_keras == catalog.TfKeras("2.22.0", TODAY)


def test_a_newer_patch_moves_its_line(tmp_path: Path) -> None:
    releases, changes, _ = updated(tmp_path, index_like_today(tensorflow_cpu={"3.13": {"2.21.1"}}))
    assert changes == ["moved 2.21.0 to 2.21.1"]
    assert [r.version for r in releases if r.version.startswith("2.21")] == ["2.21.1"]
    assert releases[-1].resolved_as_of == TODAY


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"tensorflow": {"3.7": {"2.0.0"}}}, []),  # an older patch of a line the catalog has
        ({"tensorflow": {"3.7": {"1.14.0"}}}, []),  # older than the catalog's first line: left out on purpose
    ],
)
def test_old_lines_are_left_alone(tmp_path: Path, extra: dict[str, dict[str, set[str]]], expected: list[str]) -> None:
    assert updated(tmp_path, index_like_today(**extra))[1] == expected


def test_a_release_without_a_wheel_for_our_pythons_is_skipped() -> None:
    index = index_like_today()
    index.wheels["tensorflow-cpu"]["3.14"] = {Version("2.22.0")}  # only for an interpreter the machines lack
    text = (ROOT / "catalog.toml").read_text(encoding="utf-8")
    new_text, changes = discover.update(text, index, TODAY)
    assert changes == ["skipped 2.22.0: no Linux wheel for Python 3.7 to 3.13"]
    assert new_text == text
