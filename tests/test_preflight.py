"""Before a run: variants whose Python is missing or whose version the index lacks are bad input."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tfmatrix import preflight
from tfmatrix.errors import InputError
from tfmatrix.kinds import tensorflow
from tfmatrix.variant import Variant

CATALOG = Path("catalog.toml")


def variant(version: str, python: str = "3.11", tf_keras: str | None = None) -> Variant:
    """The catalog's variant of this entry: with tf-keras where it names one."""
    entry: dict[str, object] = {"version": version, "distribution": "tensorflow-cpu", "python": python}
    entry["resolved_as_of"] = dt.date(2024, 7, 1)
    if tf_keras:
        entry["tf_keras"] = {"version": tf_keras, "resolved_as_of": dt.date(2024, 3, 20)}
    return tensorflow.load(CATALOG, [entry], 900, dt.date(2026, 1, 1))[-1]


UPLOADED = {"tensorflow-cpu==2.15.1": dt.date(2024, 3, 9), "tensorflow-cpu==2.16.2": dt.date(2024, 6, 28)}
UPLOADED["tf-keras==2.16.0"] = dt.date(2024, 3, 7)


def index(requirement: str, python: str, day: dt.date | None) -> str | None:
    """A stand-in index: these wheels for Python 3.11, each from its upload day on."""
    uploaded = UPLOADED.get(requirement) if python == "3.11" else None
    return None if uploaded and (day is None or uploaded <= day) else "cause: there is no version"


def test_installable_variants_pass() -> None:
    preflight.check([variant("2.15.1"), variant("2.16.2", tf_keras="2.16.0")], CATALOG, found=lambda _: True, ask=index)


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (variant("2.99.0"), "catalog.toml: release[0].version: tensorflow-cpu==2.99.0 has no wheel for Python 3.11"),
        (variant("2.15.1", python="3.7"), "catalog.toml: release[0].version: tensorflow-cpu==2.15.1 has no wheel"),
        (
            variant("2.16.2", tf_keras="2.99.0"),
            "catalog.toml: release[0].tf_keras.version: tf-keras==2.99.0 has no wheel for Python 3.11",
        ),
    ],
)
def test_a_version_the_index_lacks_names_the_catalog_field(chosen: Variant, message: str) -> None:
    with pytest.raises(InputError) as caught:
        preflight.check([chosen], CATALOG, found=lambda _: True, ask=index)
    assert str(caught.value).startswith(message)


def test_a_day_before_the_upload_names_the_resolution_day_not_the_version() -> None:
    base = variant("2.16.2", tf_keras="2.16.0")
    release, tf_keras = base.installs
    too_early = [
        ((replace(release, resolved_as_of=dt.date(2024, 3, 1)), tf_keras), "release[0]", "tensorflow-cpu==2.16.2"),
        ((release, replace(tf_keras, resolved_as_of=dt.date(2024, 3, 1))), "release[0].tf_keras", "tf-keras==2.16.0"),
    ]
    for installs, where, requirement in too_early:
        with pytest.raises(InputError) as caught:
            preflight.check([replace(base, installs=installs)], CATALOG, found=lambda _: True, ask=index)
        assert str(caught.value) == (
            f"catalog.toml: {where}.resolved_as_of: {requirement} was not on the package index on 2024-03-01 "
            "(cause: there is no version): choose a day after its upload"
        )


def test_a_python_that_is_not_installed_names_the_catalog_field() -> None:
    with pytest.raises(InputError, match=r"^catalog.toml: release\[0\].python: Python 3.11 is not installed"):
        preflight.check([variant("2.15.1")], CATALOG, found=lambda python: python != "3.11", ask=index)


def test_an_unreachable_index_is_a_warning_not_bad_input() -> None:
    def unreachable(requirement: str, python: str, day: dt.date | None) -> str | None:  # noqa: ARG001
        message = f"uv pip compile {requirement} for {python}: Failed to fetch: connection refused"
        raise RuntimeError(message)

    warnings: list[str] = []
    preflight.check([variant("2.99.0")], CATALOG, found=lambda _: True, ask=unreachable, warn=warnings.append)
    assert len(warnings) == 1
    assert "connection refused" in warnings[0]


def test_this_machine_has_the_interpreter_it_runs_on_and_not_a_made_up_one() -> None:
    assert preflight.interpreter_found("3.11")
    assert not preflight.interpreter_found("3.99")


@pytest.mark.slow  # asks the package index
def test_uv_asks_the_configured_index() -> None:
    uv = shutil.which("uv")
    assert uv is not None
    assert preflight.uv_finds(uv, "tensorflow-cpu==2.1.0", "3.7") is None
    assert "no version of tensorflow-cpu==2.1.99" in str(preflight.uv_finds(uv, "tensorflow-cpu==2.1.99", "3.7"))
    assert "cp37" in str(preflight.uv_finds(uv, "tensorflow-cpu==2.15.1", "3.7"))  # no wheel for that Python
    assert preflight.uv_finds(uv, "tensorflow-cpu==2.1.0", "3.7", dt.date(2020, 1, 15)) is None
    assert "no version of tensorflow-cpu==2.1.0" in str(  # uploaded on 2020-01-08, so not there before
        preflight.uv_finds(uv, "tensorflow-cpu==2.1.0", "3.7", dt.date(2020, 1, 1))
    )


def test_offline_with_a_cold_cache_is_an_index_that_cannot_be_asked_not_a_bad_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real uv, offline, an empty cache: it cannot know whether the index has the wheel; the catalog is not to blame."""
    uv = shutil.which("uv")
    assert uv is not None
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(RuntimeError, match=r"uv is offline and its cache does not hold tensorflow==1\.15\.5"):
        preflight.uv_finds(uv, "tensorflow==1.15.5", "3.7")


def test_a_folder_that_takes_no_file_is_named_with_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert preflight.unwritable([tmp_path / "results", tmp_path / "results" / "freeze"]) is None  # made later
    assert list(tmp_path.iterdir()) == [tmp_path / "a-file"]  # nothing left behind
    problem = preflight.unwritable([tmp_path, tmp_path / "a-file" / "results"])
    assert problem == f"{tmp_path / 'a-file'}: no result can be written there (Not a directory)"
