from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import FAILED, RECORDED, ROOT, SCHEMA4, failure_keeping
from tfmatrix import migrations, probes, record, results
from tfmatrix.errors import InputError
from tfmatrix.variant import Variant

COMMITTED = sorted((ROOT / "reports" / "results").glob("*/*.json"))


@pytest.mark.parametrize("path", COMMITTED + sorted(RECORDED.glob("*/*.json")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_result_matches_its_schemas(path: Path, known: dict[str, probes.Probe]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == record.SCHEMA_VERSION  # nothing committed waits for a migration
    assert results.load_one(path, known) == document


@pytest.mark.parametrize("path", sorted(FAILED.glob("*/*.json")), ids=lambda p: p.name)
def test_recorded_failed_attempts_match_the_schema(path: Path, misbehaving_probes: dict[str, probes.Probe]) -> None:
    document = results.load_one(path, misbehaving_probes)
    assert document["status"] in ("import-failed", "crashed")
    assert document["cases"] == []


def test_the_schemas_are_valid_json_schemas(known: dict[str, probes.Probe]) -> None:
    jsonschema.Draft202012Validator.check_schema(results.schema())
    for probe in known.values():
        jsonschema.Draft202012Validator.check_schema(results.case_schema(probe))


def test_each_probes_metadata_agrees_with_its_case_schema(known: dict[str, probes.Probe]) -> None:
    """Its own fields are the fields it declares, and the enums come from its metadata."""
    for name, probe in known.items():
        own = results.own_fields_schema(name)
        assert sorted(own["properties"]) == probe.fields, name
        schema = results.case_schema(probe)
        assert schema["properties"]["group"]["enum"] == list(probe.groups)
        assert {a: s["enum"] for a, s in schema["properties"]["axes"]["properties"].items()} == {
            a: s["values"] for a, s in probe.axes.items()
        }
        assert schema["properties"]["flaky"]["items"]["enum"] == ["status", *probe.aspects]


def test_committed_results_cover_the_whole_catalog_for_every_probe(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    loaded = results.load_all(ROOT / "reports" / "results", variants, known)
    assert [(r["variant"], r["probe"]["name"]) for r in loaded] == [(v.id, n) for v in variants for n in known]
    assert "nightly" in {r["release"]["track"] for r in loaded}  # opted in once, kept until the next nightly run


def test_load_all_returns_catalog_order(
    recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    loaded = results.load_all(recorded, variants, known)
    order = [v.id for v in variants]
    ids = [r["variant"] for r in loaded]
    assert ids == sorted(ids, key=order.index)
    assert len(ids) == len(list(recorded.glob("*/*.json")))
    assert {r["probe"]["name"] for r in loaded} == set(known)


def _first(recorded: Path) -> tuple[Path, dict[str, Any]]:
    path = min(recorded.glob("freeze/*.json"))
    return path, json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_truncated_json(recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    path, _ = _first(recorded)
    path.write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(InputError, match=r"is not valid JSON \(line \d+, column \d+"):
        results.load_all(recorded, variants, known)


def test_json_nested_too_deep_is_one_line(
    recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    path, _ = _first(recorded)
    path.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        results.load_all(recorded, variants, known)
    assert str(caught.value) == f"{path}: nests deeper than any result does (JSON too deep to read)"
    assert migrations.migrate(recorded) == []  # left for the loader to report


def test_unknown_schema_version(recorded: Path, known: dict[str, probes.Probe]) -> None:
    path, document = _first(recorded)
    document["schema_version"] = 99
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path, known)
    assert str(caught.value) == f"{path}: schema_version: expected {record.SCHEMA_VERSION} or older, got 99"


def test_schema_violation_names_the_field(recorded: Path, known: dict[str, probes.Probe]) -> None:
    path, document = _first(recorded)
    document["cases"][3]["weights"][1]["moved"] = "yes"
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path, known)
    assert str(caught.value).startswith(f"{path}: cases[3].weights[1].moved: ")
    assert "boolean" in str(caught.value)


def test_missing_field(recorded: Path, known: dict[str, probes.Probe]) -> None:
    path, document = _first(recorded)
    del document["environment"]["packages"]
    _write(path, document)
    with pytest.raises(InputError, match=r": environment: 'packages' is a required property"):
        results.load_one(path, known)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(cases=[]), "cases"),  # an ok result without findings
        (lambda d: d.update(failure={"phase": "import", "exit": "exit status 1", "message": "x"}), "failure"),
        (lambda d: d.update(status="crashed"), "failure"),  # a failure that does not say why
        (lambda d: d.update(status="segfault"), "status"),
        (lambda d: d.update(repeat=0), "repeat"),
        (lambda d: d.update(kind="conda"), "kind"),
        (lambda d: d["release"].update(track="gpu"), "release.track"),
        (lambda d: d["probe"].update(name="retired"), "probe.name"),  # a probe no longer in probes/
        (lambda d: d["cases"][0].update(flaky=["colour"]), "cases[0].flaky[0]"),
        (lambda d: d["cases"][0].update(group="timing2"), "cases[0].group"),
        (lambda d: d["cases"][0]["axes"].update(api="keras"), "cases[0].axes.api"),
        (lambda d: d["cases"][0]["axes"].update(colour="red"), "cases[0].axes"),
        (lambda d: d["cases"][0].pop("summary_text"), "cases[0]"),  # a field the probe declares
    ],
)
def test_status_failure_cases_and_metadata_must_agree(
    recorded: Path, known: dict[str, probes.Probe], change: Any, field: str
) -> None:
    path, document = _first(recorded)
    change(document)
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path, known)
    assert str(caught.value).startswith(f"{path}: {field}: ")


def test_variant_not_in_catalog(recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    _, document = _first(recorded)
    document["variant"] = "tensorflow-cpu-2.99.0"
    _write(recorded / "freeze" / "tensorflow-cpu-2.99.0.json", document)
    with pytest.raises(InputError, match=r"2.99.0.json: variant: tensorflow-cpu-2.99.0 is not in the catalog"):
        results.load_all(recorded, variants, known)


def test_a_result_in_the_wrong_place(recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    path, document = _first(recorded)
    _write(recorded / "freeze" / "tensorflow-cpu-2.21.0.json", document)
    with pytest.raises(InputError, match=rf"variant: a result of freeze on {path.stem} belongs in freeze/{path.name}"):
        results.load_all(recorded, variants, known)


def test_empty_directory(tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]) -> None:
    with pytest.raises(InputError, match="holds no result files"):
        results.load_all(tmp_path, variants, known)


def test_a_result_in_the_old_layout_is_named(
    recorded: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    shutil.copy(SCHEMA4 / "results" / "tensorflow-cpu-2.1.0.json", recorded)
    message = "tensorflow-cpu-2.1.0.json: is in the layout before schema 5: `nox -s migrate`"
    with pytest.raises(InputError, match=re.escape(message)):
        results.load_all(recorded, variants, known)


def test_a_nightly_result_needs_the_catalogs_nightly(
    tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    directory = tmp_path / "results" / "freeze"
    directory.mkdir(parents=True)
    shutil.copy(ROOT / "reports" / "results" / "freeze" / "tf-nightly.json", directory)
    without = [v for v in variants if not v.opt_in]
    with pytest.raises(InputError, match=r"tf-nightly.json: variant: tf-nightly is not in the catalog"):
        results.load_all(directory.parent, without, known)
    loaded = results.load_all(directory.parent, variants, known)
    assert [r["release"]["distribution"] for r in loaded] == ["tf-nightly"]


@pytest.mark.parametrize("path", sorted((SCHEMA4 / "results").glob("*.json")), ids=lambda p: p.name)
def test_a_schema_4_result_is_upgraded_on_load_with_every_finding_kept(
    path: Path, known: dict[str, probes.Probe]
) -> None:
    old = json.loads(path.read_text(encoding="utf-8"))
    upgraded = results.load_one(path, known)
    assert upgraded["schema_version"] == record.SCHEMA_VERSION
    assert upgraded["variant"] == path.stem  # schema 4 named its files by variant
    assert upgraded["cases"] == old["cases"]
    assert upgraded["environment"] == old["environment"]
    assert upgraded["release"]["track"] == old["release"]["flavour"]
    assert upgraded["probe"] == {**old["probe"], "harness_sha256": None}
    assert (upgraded["probed_on"], upgraded["last_good"]) == (None, None)  # schema 6: the day was not recorded


def test_a_schema_5_result_is_upgraded_with_its_day_unknown_and_nothing_kept() -> None:
    current = json.loads((RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    old = {k: v for k, v in current.items() if k not in ("probed_on", "last_good")} | {"schema_version": 5}
    assert migrations.upgrade(old) == current | {"probed_on": None, "last_good": None}


def test_a_schema_4_result_that_lacks_a_field_says_which(recorded: Path, known: dict[str, probes.Probe]) -> None:
    document = json.loads((SCHEMA4 / "results" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
    del document["release"]["flavour"]
    path = recorded / "freeze" / "tensorflow-cpu-2.1.0.json"
    _write(path, document)
    with pytest.raises(InputError) as caught:
        results.load_one(path, known)
    assert str(caught.value) == f"{path}: release.flavour: missing: a schema 4 result cannot be upgraded without it"


def test_migrate_moves_old_files_into_the_probes_folder_and_keeps_newer_ones(tmp_path: Path) -> None:
    for path in (SCHEMA4 / "results").glob("*.json"):
        shutil.copy(path, tmp_path)
    newer = RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json"
    _write(tmp_path / "freeze" / newer.name, json.loads(newer.read_text(encoding="utf-8")))
    moved = migrations.migrate(tmp_path)
    assert sorted(new.relative_to(tmp_path).as_posix() for _, new in moved) == sorted(
        f"freeze/{p.name}" for p in (SCHEMA4 / "results").glob("*.json") if p.name != newer.name
    )
    assert list(tmp_path.glob("*.json")) == []
    assert (tmp_path / "freeze" / newer.name).read_text(encoding="utf-8") == json.dumps(
        json.loads(newer.read_text(encoding="utf-8"))
    )  # the result already in the new layout is newer: not overwritten
    assert migrations.migrate(tmp_path) == []  # nothing left to do


def _without_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any validation from here on fails the test: what loads, loads from the cache."""

    def refuse(path: Path, *_: object) -> None:
        message = f"{path} was validated again"
        raise AssertionError(message)

    monkeypatch.setattr(results, "validate", refuse)


def _validated_once(
    recorded: Path, variants: list[Variant], known: dict[str, probes.Probe], cache: Path
) -> tuple[results.Validated, list[results.Result]]:
    """Every recorded result loaded through a validation cache kept in ``cache``, then the cache saved."""
    validated = results.Validated(cache)
    loaded = results.load_all(recorded, variants, known, validated)
    validated.save()
    return validated, loaded


def _saved(cache: Path) -> int:
    """How many result files the saved cache says passed."""
    return len(json.loads(cache.read_text(encoding="utf-8"))["validated"])


def test_a_validated_result_is_not_validated_again_while_it_is_unchanged(
    recorded: Path,
    tmp_path: Path,
    variants: list[Variant],
    known: dict[str, probes.Probe],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "validated.json"
    _, loaded = _validated_once(recorded, variants, known, cache)
    assert _saved(cache) == len(loaded)
    _without_validation(monkeypatch)
    assert results.load_all(recorded, variants, known, results.Validated(cache)) == loaded


def test_a_changed_result_is_validated_again(
    recorded: Path, tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    cache = tmp_path / "validated.json"
    _validated_once(recorded, variants, known, cache)
    path, document = _first(recorded)
    document["cases"][3]["weights"][1]["moved"] = "yes"
    _write(path, document)
    with pytest.raises(InputError, match=r"cases\[3\]\.weights\[1\]\.moved: "):
        results.load_all(recorded, variants, known, results.Validated(cache))


def test_a_changed_probe_validates_its_results_again(
    recorded: Path, tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """The probe's metadata is part of what a result is checked against: an axis value it dropped is an error."""
    cache = tmp_path / "validated.json"
    _validated_once(recorded, variants, known, cache)
    freeze = known["freeze"]
    api = {**freeze.axes["api"], "values": ["functional", "subclassed"]}
    changed = {**known, "freeze": dataclasses.replace(freeze, axes={**freeze.axes, "api": api})}
    with pytest.raises(InputError, match=r"axes\.api: 'sequential' is not one of"):
        results.load_all(recorded, variants, changed, results.Validated(cache))


@pytest.mark.parametrize("text", ["", "{not json", '{"validated": 3}', "[]"])
def test_an_unreadable_validation_cache_is_an_empty_one(
    recorded: Path, tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe], text: str
) -> None:
    cache = tmp_path / "validated.json"
    cache.write_text(text, encoding="utf-8")
    validated = results.Validated(cache)
    assert validated.known == set()
    loaded = results.load_all(recorded, variants, known, validated)
    validated.save()
    assert _saved(cache) == len(loaded)


def test_the_validation_cache_forgets_results_that_went_away(
    recorded: Path, tmp_path: Path, variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    cache = tmp_path / "validated.json"
    first, _ = _validated_once(recorded, variants, known, cache)
    _first(recorded)[0].unlink()
    second = results.Validated(cache)
    loaded = results.load_all(recorded, variants, known, second)
    second.save()
    assert _saved(cache) == len(loaded) == len(first.seen) - 1


def kept_findings_case(recorded: Path, known: dict[str, probes.Probe]) -> tuple[Path, results.Result]:
    """A result file holding a real failed attempt at TF 2.1.0 that kept the recorded 2.1.0 findings."""
    path = recorded / "freeze" / "tensorflow-cpu-2.1.0.json"
    failure = json.loads((FAILED / "misbehaving" / "tensorflow-2.0.4.json").read_text(encoding="utf-8"))
    return path, failure_keeping(failure, results.load_one(path, known))


def test_a_failure_that_kept_the_last_good_findings_validates_them(
    recorded: Path, known: dict[str, probes.Probe]
) -> None:
    path, document = kept_findings_case(recorded, known)
    path.write_text(json.dumps(document), encoding="utf-8")
    assert results.load_one(path, known) == document
    document["last_good"]["cases"][3]["axes"]["api"] = "imperative"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match=r"last_good\.cases\[3\]\.axes\.api: 'imperative' is not one of"):
        results.load_one(path, known)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda d: d.update(status="ok", failure=None, cases=d["last_good"]["cases"]),
            "last_good",
            "expected null: a successful result",
        ),
        (
            lambda d: d["last_good"].update(status="timeout", failure=d["failure"], cases=[]),
            "last_good",
            "expected a successful result",
        ),
        (lambda d: d["last_good"].update(last_good=d["last_good"] | {}), "last_good", "expected a successful"),
        (lambda d: d["last_good"].update(variant="tensorflow-cpu-2.1.4"), "last_good.variant", "expected the"),
        (lambda d: d["last_good"]["probe"].update(name="gan"), "last_good.probe", "expected the failed attempt's"),
    ],
)
def test_kept_findings_must_be_a_success_of_the_same_variant_and_probe(
    recorded: Path, known: dict[str, probes.Probe], change: Any, field: str, message: str
) -> None:
    path, document = kept_findings_case(recorded, known)
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        results.load_one(path, known)
    assert (caught.value.field, message in caught.value.problem) == (field, True)
