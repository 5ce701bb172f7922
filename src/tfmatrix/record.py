"""Turn one probe run into result files: per probe, its output + the variant + the resolved packages.

Results live at ``<results>/<probe>/<variant id>.json``. Standard library only: the noxfile calls
it in nox's own interpreter.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tfmatrix import __version__, untrusted
from tfmatrix.errors import InputError
from tfmatrix.probes import Source
from tfmatrix.variant import Variant
from tfmatrix.vocabulary import State

SCHEMA_VERSION = 6
PROBE_KEYS = ("probe", "environment", "repeat", "cases")
# The weekly run tries a failed attempt again a week later; one that keeps failing, after as long as it
# has been failing, at most every eight weeks: a release that never installs stops filling each week.
RETRY_WAIT_DAYS = (7, 56)


def result_path(results_dir: Path, probe: str, variant_id: str) -> Path:
    """``<results_dir>/<probe>/<variant id>.json``; a probe or variant that is no identifier is an InputError,
    so that no file names a place outside ``results_dir``."""
    path = (
        results_dir
        / untrusted.identifier(results_dir, "probe.name", probe)
        / f"{untrusted.identifier(results_dir, 'variant', variant_id)}.json"
    )
    if not path.resolve().is_relative_to(results_dir.resolve()):  # a symlinked folder
        raise InputError(path, "", f"is outside {results_dir}: a result's folder must not be a link elsewhere")
    return path


def runner() -> dict[str, str]:
    return {"tfmatrix": __version__}


def is_current(
    document: dict[str, Any] | None,
    variant: Variant,
    probe: Source,
    repeat: int = 1,
    backoff_on: dt.date | None = None,
) -> bool:
    """Is ``document`` (a result of today's schema) a successful one made from this catalog entry, this probe,
    harness and runner?

    A failed attempt is never current, so the next run tries again; with ``backoff_on`` (the weekly run's
    day) one of the same entry, probe and runner is current until ``next_try`` says it is due. A result
    made with more repeats than asked for serves a run that asks for fewer.
    """
    if document is None or not (
        document.get("catalog_entry") == dict(variant.entry)
        and document.get("runner") == runner()
        and document.get("probe") == probe.identity()
    ):
        return False
    if document.get("status") != State.OK:
        if backoff_on is None:  # a run of one's own tries every failure again
            return False
        due = next_try(document)
        return due is not None and backoff_on < due
    return isinstance(document.get("repeat"), int) and document["repeat"] >= repeat


def recorded_day(value: Any) -> dt.date | None:
    """A day a result records, or None where it records none, or none that is a day."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def failing_since(document: dict[str, Any]) -> dt.date | None:
    """The day the failures in a row that ``document`` ends began (its own day for a first failure)."""
    failure = document.get("failure")
    return recorded_day(
        (failure.get("failing_since") if isinstance(failure, dict) else None) or document.get("probed_on")
    )


def next_try(document: dict[str, Any]) -> dt.date | None:
    """When the weekly run tries the failed attempt ``document`` again (RETRY_WAIT_DAYS); None if its days
    are not recorded: then at once."""
    since, last = failing_since(document), recorded_day(document.get("probed_on"))
    if since is None or last is None:
        return None
    shortest, longest = RETRY_WAIT_DAYS
    try:
        return last + dt.timedelta(days=min(max((last - since).days, shortest), longest))
    except OverflowError:  # a day near the end of the calendar: nothing to wait for
        return None


def current_schema(path: Path) -> dict[str, Any] | None:
    """The JSON object at ``path`` if it is one of today's schema version; None if not, or unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and document.get("schema_version") == SCHEMA_VERSION else None


def parse_freeze(text: str) -> dict[str, str]:
    """``uv pip freeze`` output as {distribution name: version}."""
    packages = {}
    for line in text.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            packages[name.lower()] = version
    return dict(sorted(packages.items()))


def build_result(probe_output: Path, variant: Variant, packages: dict[str, str], probe: Source) -> dict[str, Any]:
    """The result of a probe that ran to the end, from the JSON document it wrote."""
    document = read_probe_output(probe_output, probe.name)
    result = envelope(variant, packages, probe, document["repeat"])
    result["environment"] = {**document["environment"], **result["environment"]}
    result["cases"] = document["cases"]
    return result


def read_probe_output(probe_output: Path, name: str) -> dict[str, Any]:
    """The document the harness wrote for probe ``name``, in the shape it writes; else an InputError."""
    try:
        document = json.loads(probe_output.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(probe_output, "", f"probe output is not readable JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(probe_output, "", "expected a JSON object")
    for key in PROBE_KEYS:
        if key not in document:
            raise InputError(probe_output, key, "missing from probe output")
    if document["probe"] != name:
        raise InputError(probe_output, "probe", f"expected {name!r}, got {document['probe']!r}")
    if not isinstance(document["environment"], dict):
        raise InputError(probe_output, "environment", "expected an object of facts")
    if isinstance(document["repeat"], bool) or not isinstance(document["repeat"], int) or document["repeat"] < 1:
        raise InputError(probe_output, "repeat", f"expected a positive integer, got {document['repeat']!r}")
    cases = document["cases"]
    if not isinstance(cases, list) or not cases or not all(isinstance(case, dict) for case in cases):
        raise InputError(probe_output, "cases", "expected a non-empty list of case records")
    return document


def build_failure(
    variant: Variant, packages: dict[str, str], probe: Source, repeat: int, status: str, failure: dict[str, str]
) -> dict[str, Any]:
    """The result of an attempt that did not get through; ``failure`` says which step failed, how, and the end of
    its output (``process.Step.failure``)."""
    result = envelope(variant, packages, probe, repeat)
    result["status"] = status
    result["failure"] = failure
    return result


def envelope(variant: Variant, packages: dict[str, str], probe: Source, repeat: int) -> dict[str, Any]:
    """Everything a result says about what was attempted, before anything about how it went."""
    return {
        "schema_version": SCHEMA_VERSION,
        "variant": variant.id,
        "kind": variant.kind,
        "probe": probe.identity(),
        "runner": runner(),
        "catalog_entry": dict(variant.entry),
        "release": {
            "distribution": variant.distribution,
            # A floating variant's version is whatever the index served that day.
            "version": packages.get(variant.distribution, variant.version) if variant.floating else variant.version,
            "python": variant.python,
            "track": variant.track,
        },
        "probed_on": dt.date.today().isoformat(),
        "status": State.OK,
        "failure": None,
        "last_good": None,
        "repeat": repeat,
        "environment": {"packages": packages, **variant.facts},
        "cases": [],
    }


def keeping_last_good(result: dict[str, Any], path: Path) -> dict[str, Any]:
    """``result``, and if it is a failure, the findings of the successful result it replaces at ``path``,
    and since when the attempts have been failing in a row.

    A transient failure (no network, a time limit) must not erase what is known. Only findings of
    the same probe and harness are kept: another probe's cases answer other questions. What ``path``
    holds is taken as it is; anything unreadable there is simply not kept.
    """
    previous = current_schema(path) if result["status"] != State.OK else None
    if previous is None or (previous.get("variant"), previous.get("probe")) != (result["variant"], result["probe"]):
        return result
    kept = dict(result)
    # Failures in a row of the same catalog entry and runner: a changed one starts afresh, as it is tried at once.
    same_attempt = all(previous.get(key) == result[key] for key in ("catalog_entry", "runner"))
    if previous.get("status") != State.OK and same_attempt and (since := failing_since(previous)):
        kept["failure"] = {**result["failure"], "failing_since": since.isoformat()}
    good = previous if previous.get("status") == State.OK else previous.get("last_good")
    if isinstance(good, dict):
        kept["last_good"] = good
    return kept


def write_json_atomic(path: Path, document: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make results private to the writer
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
