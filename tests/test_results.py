from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import FAILED, RECORDED, ROOT
from tfmatrix import catalog, record, results
from tfmatrix.errors import InputError

COMMITTED = sorted((ROOT / "reports" / "results").glob("*.json"))


@pytest.mark.parametrize(
    "path",
    COMMITTED + sorted(RECORDED.glob("*.json")) + sorted(FAILED.glob("*.json")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_result_matches_the_schema(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(results.schema()).validate(document)
    assert results.load_one(path) == document


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(results.schema())


def test_committed_results_cover_the_whole_catalog(
    releases: list[catalog.Release], nightly: catalog.Variant | None
) -> None:
    loaded = results.load_all(ROOT / "reports" / "results", releases, nightly)
    assert nightly is not None
    assert loaded[-1]["release"]["flavour"] == "nightly"  # opted in once, kept until the next nightly run
    loaded = loaded[:-1]
    variants = catalog.variants(releases)
    assert [results.release_key(r) for r in loaded] == [
        (v.release.distribution, v.release.version, v.flavour) for v in variants
    ]


def test_load_all_returns_catalog_order(recorded: Path, releases: list[catalog.Release]) -> None:
    loaded = results.load_all(recorded, releases)
    order = [(v.release.distribution, v.release.version, v.flavour) for v in catalog.variants(releases)]
    keys = [results.release_key(r) for r in loaded]
    assert keys == sorted(keys, key=order.index)
    assert len(keys) == len(list(recorded.glob("*.json")))


def _first(recorded: Path) -> tuple[Path, dict[str, Any]]:
    path = min(recorded.glob("*.json"))
    return path, json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, document: object) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def test_truncated_json(recorded: Path, releases: list[catalog.Release]) -> None:
    path, _ = _first(recorded)
    path.write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(InputError, match=r"is not valid JSON \(line \d+, column \d+"):
        results.load_all(recorded, releases)


def test_unknown_schema_version(recorded: Path) -> None:
    path, document = _first(recorded)
    document["schema_version"] = 99
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path)
    assert str(caught.value) == f"{path}: schema_version: expected {record.SCHEMA_VERSION}, got 99"


def test_schema_violation_names_the_field(recorded: Path) -> None:
    path, document = _first(recorded)
    document["cases"][3]["weights"][1]["moved"] = "yes"
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path)
    assert str(caught.value).startswith(f"{path}: cases[3].weights[1].moved: ")
    assert "boolean" in str(caught.value)


def test_missing_field(recorded: Path) -> None:
    path, document = _first(recorded)
    del document["environment"]["numpy"]
    _write(path, document)
    with pytest.raises(InputError, match=r": environment: 'numpy' is a required property"):
        results.load_one(path)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(cases=[]), "cases"),  # an ok result without findings
        (lambda d: d.update(failure={"phase": "import", "exit": "exit status 1", "message": "x"}), "failure"),
        (lambda d: d.update(status="crashed"), "failure"),  # a failure that does not say why
        (lambda d: d.update(status="segfault"), "status"),
        (lambda d: d.update(repeat=0), "repeat"),
        (lambda d: d["cases"][0].update(flaky=["colour"]), "cases[0].flaky[0]"),
    ],
)
def test_status_failure_and_cases_must_agree(recorded: Path, change: Any, field: str) -> None:
    path, document = _first(recorded)
    change(document)
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path)
    assert str(caught.value).startswith(f"{path}: {field}: ")


def test_release_not_in_catalog(recorded: Path, releases: list[catalog.Release]) -> None:
    _, document = _first(recorded)
    document["release"]["version"] = "2.99.0"
    _write(recorded / "stray.json", document)
    with pytest.raises(
        InputError, match=r"stray.json: release: tensorflow(-cpu)?==2.99.0 \(bundled\) is not in the catalog"
    ):
        results.load_all(recorded, releases)


def test_duplicate_result(recorded: Path, releases: list[catalog.Release]) -> None:
    path, document = _first(recorded)
    _write(recorded / "zz-copy.json", document)
    with pytest.raises(InputError, match=rf"zz-copy.json: release: .* already has a result in {path.name}"):
        results.load_all(recorded, releases)


def test_empty_directory(tmp_path: Path, releases: list[catalog.Release]) -> None:
    with pytest.raises(InputError, match="holds no result files"):
        results.load_all(tmp_path, releases)


def test_a_nightly_result_needs_the_catalogs_nightly(
    tmp_path: Path, releases: list[catalog.Release], nightly: catalog.Variant | None
) -> None:
    directory = tmp_path / "results"
    directory.mkdir()
    shutil.copy(ROOT / "reports" / "results" / "tf-nightly.json", directory)
    with pytest.raises(
        InputError, match=r"tf-nightly.json: release: tf-nightly==2\.23.* \(nightly\) is not in the catalog"
    ):
        results.load_all(directory, releases)
    assert [r["release"]["distribution"] for r in results.load_all(directory, releases, nightly)] == ["tf-nightly"]
