"""Load result files and check each against the schemas, its probe and the catalog before anything uses it."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jsonschema

from tfmatrix import migrations, record, untrusted
from tfmatrix.errors import InputError
from tfmatrix.kinds import KINDS, TRACKS
from tfmatrix.probes import Probe
from tfmatrix.variant import Variant
from tfmatrix.vocabulary import State

Result = dict[str, Any]


def schema_text(name: str) -> str:
    return resources.files("tfmatrix").joinpath("schemas", name).read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    """The result envelope's schema, the same for every probe."""
    document: dict[str, Any] = json.loads(schema_text("result.schema.json"))
    return document


def own_fields_schema(name: str) -> dict[str, Any]:
    """What ``cases/<probe>.schema.json`` says of the probe's own fields; nothing where there is no such file."""
    try:
        document: dict[str, Any] = json.loads(schema_text(f"cases/{name}.schema.json"))
    except FileNotFoundError:
        return {"properties": {}}
    return document


def case_schema(probe: Probe) -> dict[str, Any]:
    """The generic case schema, completed from the probe's metadata and its own fields' schema (whose
    ``required`` names the fields an older result may not lack; every field, where it has none)."""
    document: dict[str, Any] = json.loads(schema_text("case.schema.json"))
    own = own_fields_schema(probe.name)
    properties = document["properties"]
    properties["group"]["enum"] = list(probe.groups)
    properties["axes"]["properties"] = {
        axis: {"enum": spec["values"], "description": spec.get("description", spec["title"])}
        for axis, spec in probe.axes.items()
    }
    properties["flaky"]["items"]["enum"] = ["status", *probe.aspects]
    properties.update({field: own["properties"].get(field, {}) for field in probe.fields})
    document["required"] += [field for field in probe.fields if field in own.get("required", probe.fields)]
    document["$defs"] = copy.deepcopy(own.get("$defs", {}))
    return document


def first_error(validator: jsonschema.Draft202012Validator, document: Any, prefix: str = "") -> tuple[str, str] | None:
    """(field, message) of the most relevant violation, the field as ``cases[3].axes.api``."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return None
    field = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return field.lstrip("."), error.message


@cache
def code() -> list[str]:
    """What validates besides the schemas: this module, the migrations (and the schema version they
    know), and the jsonschema release."""
    sources = hashlib.sha256(Path(__file__).read_bytes() + Path(migrations.__file__).read_bytes()).hexdigest()
    return [sources, str(record.SCHEMA_VERSION), metadata.version("jsonschema")]


class Validated:
    """Which result files passed validation before, by content, kept in one JSON file.

    A file is known by the digest of its bytes together with everything validating it reads (the
    schemas, its probe's metadata, the kinds and tracks, the code: see ``code``): while none of that changes, it is not
    validated again, which is most of a report's time otherwise. A missing or unreadable file is
    an empty cache. ``save()`` keeps what this process loaded, so files that went away drop out.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known = {str(digest) for digest in json.loads(path.read_text(encoding="utf-8"))["validated"]}
        except (OSError, ValueError, RecursionError, KeyError, TypeError):
            self.known = set()
        self.seen: set[str] = set()
        self.fingerprints: dict[str, str] = {}

    def key(self, text: str, document: Any, probes: Mapping[str, Probe]) -> str | None:
        """The digest of this file's text and what validates it; None where the probe is unknown."""
        probe = document.get("probe") if isinstance(document, dict) else None
        name = probe.get("name") if isinstance(probe, dict) else None
        if not isinstance(name, str) or name not in probes:
            return None
        if name not in self.fingerprints:
            inputs = [code(), schema(), case_schema(probes[name]), sorted(KINDS), sorted(TRACKS)]
            self.fingerprints[name] = json.dumps(inputs, sort_keys=True)
        return hashlib.sha256((self.fingerprints[name] + text).encode("utf-8")).hexdigest()

    def save(self) -> None:
        if self.seen == self.known:
            return
        record.write_json_atomic(self.path, {"validated": sorted(self.seen)})


def load_one(path: Path, probes: Mapping[str, Probe], validated: Validated | None = None) -> Result:
    """Parse one result file (upgrading an older schema) and validate it, unless ``validated`` knows it
    as it is; any problem is one InputError."""
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "", "is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, "", f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(path, "", "nests deeper than any result does (JSON too deep to read)") from None
    if validated is None:
        return validate(path, document, probes)
    key = validated.key(text, document, probes)
    result = migrations.upgrade(document) if key in validated.known else validate(path, document, probes)
    if key is not None:
        validated.seen.add(key)
    return result


def validate(path: Path, document: Any, probes: Mapping[str, Probe]) -> Result:
    """The document, upgraded to today's schema, checked against the schemas, the kinds and its probe."""
    if isinstance(document, dict):
        try:
            document = migrations.upgrade(document)
        except migrations.CannotUpgrade as exc:
            found = document.get("schema_version")
            raise InputError(
                path, str(exc), f"missing: a schema {found} result cannot be upgraded without it"
            ) from None
        if document.get("schema_version") != record.SCHEMA_VERSION:
            found = document.get("schema_version")
            raise InputError(path, "schema_version", f"expected {record.SCHEMA_VERSION} or older, got {found!r}")
    untrusted.text(path, document)
    problem = first_error(jsonschema.Draft202012Validator(schema()), document)
    if problem is not None:
        raise InputError(path, *problem)
    for prefix, checked in (("", document), ("last_good.", document["last_good"] or {})):
        values(path, checked, prefix)
    if document["kind"] not in KINDS:
        raise InputError(path, "kind", f"expected one of {', '.join(KINDS)}, got {document['kind']!r}")
    if document["release"]["track"] not in TRACKS:
        raise InputError(
            path, "release.track", f"expected one of {', '.join(TRACKS)}, got {document['release']['track']!r}"
        )
    name = document["probe"]["name"]
    if name not in probes:
        known = f"no probe {name!r} in the probes directory (it has {', '.join(probes) or 'none'}); "
        raise InputError(path, "probe.name", known + "delete the results of a probe that was removed")
    good = document["last_good"]
    if good is not None:
        check_last_good(path, document, good)
    validator = jsonschema.Draft202012Validator(case_schema(probes[name]))
    for prefix, cases in (("", document["cases"]), ("last_good.", good["cases"] if good else [])):
        for index, case in enumerate(cases):
            problem = first_error(validator, case, f"{prefix}cases[{index}]")
            if problem is not None:
                raise InputError(path, *problem)
    result: Result = document
    return result


def values(path: Path, document: Result, prefix: str = "") -> None:
    """The rules of ``tfmatrix.untrusted`` for the values a schema cannot check: real days, PEP 440 versions."""
    if not document:
        return
    environment = document["environment"]
    untrusted.version(path, f"{prefix}release.version", document["release"]["version"])
    for name, installed in environment["packages"].items():
        untrusted.identifier(path, f"{prefix}environment.packages", name)
        untrusted.version(path, f"{prefix}environment.packages.{name}", installed)
    for field, day in (
        ("environment.resolved_as_of", environment["resolved_as_of"]),
        ("environment.tf_keras_resolved_as_of", environment.get("tf_keras_resolved_as_of")),
        ("probed_on", document["probed_on"]),
        ("failure.failing_since", (document.get("failure") or {}).get("failing_since")),
    ):
        if day is not None:
            untrusted.day(path, prefix + field, day)


def check_last_good(path: Path, document: Result, good: Result) -> None:
    """The findings a failure keeps: a success of the same variant and probe, kept by a failure, once."""
    if document["status"] == State.OK:
        raise InputError(path, "last_good", "expected null: a successful result keeps no earlier findings")
    if good["status"] != State.OK or good["last_good"] is not None:
        raise InputError(path, "last_good", "expected a successful result (status ok, last_good null)")
    for field in ("variant", "probe"):
        if good[field] != document[field]:
            raise InputError(path, f"last_good.{field}", f"expected the failed attempt's own, {document[field]!r}")


def load_all(
    directory: Path, variants: list[Variant], probes: Mapping[str, Probe], validated: Validated | None = None
) -> list[Result]:
    """Every result in ``directory`` (``<probe>/<variant>.json``), validated, in catalog order, then by probe.

    Each must be of a catalog variant (``variants``, opt-in ones included) and of a known probe.
    """
    if not directory.is_dir():
        raise InputError(directory, "", "is not a directory of result files")
    loaded = load_paths(paths(directory), variants, probes, validated)
    if not loaded:
        raise InputError(directory, "", "holds no result files (<probe>/<variant>.json): run the probe sessions first")
    return loaded


def paths(directory: Path) -> list[Path]:
    """The result files of ``directory``; one left in the layout before schema 5 is an InputError."""
    old = sorted(directory.glob("*.json"))
    if old:
        raise InputError(old[0], "", "is in the layout before schema 5: `nox -s migrate` moves it to <probe>/")
    return sorted(directory.glob("*/*.json"))


def load_paths(
    found: list[Path], variants: list[Variant], probes: Mapping[str, Probe], validated: Validated | None = None
) -> list[Result]:
    """Load and validate these result files, each of a catalog variant; in catalog order, then by probe."""
    order = {variant.id: index for index, variant in enumerate(variants)}
    loaded = [keyed(path, order, probes, validated) for path in found]
    return sorted(loaded, key=lambda result: sort_key(result, order))


def sort_key(result: Result, order: dict[str, int]) -> tuple[int, str]:
    return order[result["variant"]], result["probe"]["name"]


def load_comparable(
    directory: Path, variants: list[Variant], probes: Mapping[str, Probe], validated: Validated | None = None
) -> tuple[list[Result], int]:
    """The results in ``directory`` that load under today's schema, probes and catalog, and how many did not.

    For comparing with what a run started from: results the catalog or the probes no longer have are left out.
    """
    order = {variant.id: index for index, variant in enumerate(variants)}
    found = sorted([*directory.glob("*.json"), *directory.glob("*/*.json")])
    good = []
    for path in found:
        try:
            good.append(keyed(path, order, probes, validated, in_place=path.parent != directory))
        except InputError:
            continue
    return sorted(good, key=lambda result: sort_key(result, order)), len(found) - len(good)


def keyed(
    path: Path,
    order: dict[str, int],
    probes: Mapping[str, Probe],
    validated: Validated | None = None,
    *,
    in_place: bool = True,
) -> Result:
    """One validated result of a catalog variant; ``in_place``: checked to be where its probe and variant say."""
    result = load_one(path, probes, validated)
    variant, probe = result["variant"], result["probe"]["name"]
    if variant not in order:
        raise InputError(path, "variant", f"{variant} is not in the catalog")
    if in_place and (path.parent.name, path.stem) != (probe, variant):
        raise InputError(path, "variant", f"a result of {probe} on {variant} belongs in {probe}/{variant}.json")
    return result


def findings(result: Result) -> Result | None:
    """The result whose cases stand for this attempt: itself if it succeeded, else the last good one it kept."""
    return result if result["status"] == State.OK else result["last_good"]


def day(result: Result) -> str:
    """The day of an attempt, as the report names it."""
    return result["probed_on"] or "a day not recorded"
