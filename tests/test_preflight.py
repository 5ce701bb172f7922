"""Before a run: variants whose Python is missing or whose version the index lacks are bad input."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tfmatrix import catalog, preflight
from tfmatrix.errors import InputError

CATALOG = Path("catalog.toml")
TF_KERAS = catalog.TfKeras("2.16.0", dt.date(2024, 3, 20))


def variant(version: str, python: str = "3.11", tf_keras: catalog.TfKeras | None = None) -> catalog.Variant:
    release = catalog.Release(version, "tensorflow-cpu", python, dt.date(2024, 1, 1), tf_keras, 900, "release[4]")
    return catalog.Variant(release, catalog.TF_KERAS if tf_keras else catalog.BUNDLED)


def index(requirement: str, python: str) -> str | None:
    wheels = {"tensorflow-cpu==2.15.1", "tensorflow-cpu==2.16.2", "tf-keras==2.16.0"}
    return None if python == "3.11" and requirement in wheels else "cause: there is no version"


def test_installable_variants_pass() -> None:
    preflight.check([variant("2.15.1"), variant("2.16.2", tf_keras=TF_KERAS)], CATALOG, found=lambda _: True, ask=index)


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (variant("2.99.0"), "catalog.toml: release[4].version: tensorflow-cpu==2.99.0 has no wheel for Python 3.11"),
        (variant("2.15.1", python="3.7"), "catalog.toml: release[4].version: tensorflow-cpu==2.15.1 has no wheel"),
        (
            variant("2.16.2", tf_keras=catalog.TfKeras("2.99.0", dt.date(2024, 3, 20))),
            "catalog.toml: release[4].tf_keras.version: tf-keras==2.99.0 has no wheel for Python 3.11",
        ),
    ],
)
def test_a_version_the_index_lacks_names_the_catalog_field(chosen: catalog.Variant, message: str) -> None:
    with pytest.raises(InputError) as caught:
        preflight.check([chosen], CATALOG, found=lambda _: True, ask=index)
    assert str(caught.value).startswith(message)


def test_a_python_that_is_not_installed_names_the_catalog_field() -> None:
    with pytest.raises(InputError, match=r"^catalog.toml: release\[4\].python: Python 3.11 is not installed"):
        preflight.check([variant("2.15.1")], CATALOG, found=lambda python: python != "3.11", ask=index)


def test_an_unreachable_index_is_a_warning_not_bad_input() -> None:
    def unreachable(requirement: str, python: str) -> str | None:
        message = f"uv pip compile {requirement} for {python}: Failed to fetch: connection refused"
        raise RuntimeError(message)

    warnings: list[str] = []
    preflight.check([variant("2.99.0")], CATALOG, found=lambda _: True, ask=unreachable, warn=warnings.append)
    assert len(warnings) == 1
    assert "connection refused" in warnings[0]


def test_this_machine_has_the_interpreter_it_runs_on_and_not_a_made_up_one() -> None:
    assert preflight.interpreter_found("3.11")
    assert not preflight.interpreter_found("3.99")


def test_uv_asks_the_configured_index() -> None:
    uv = shutil.which("uv")
    assert uv is not None
    assert preflight.uv_finds(uv, "tensorflow-cpu==2.1.0", "3.7") is None
    assert "no version of tensorflow-cpu==2.1.99" in str(preflight.uv_finds(uv, "tensorflow-cpu==2.1.99", "3.7"))
    assert "cp37" in str(preflight.uv_finds(uv, "tensorflow-cpu==2.15.1", "3.7"))  # no wheel for that Python
