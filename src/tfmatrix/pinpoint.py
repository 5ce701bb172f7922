"""Pinpoint: the first release of each change point, by bisecting the releases between its two neighbours.

A change point says a case behaves one way in a catalog release and another way in the one after
it on the same track. The releases between them (every version the index has, release candidates
included) are probed, the middle one first, until the first that behaves the new way is found, as
asv's ``find`` does for benchmarks. A release that cannot be installed or run is skipped; where
none between could be probed, the two neighbours remain the honest bounds.

Each release probed is an ordinary result (``reports/pinpoint/<probe>/<variant>.json``), kept and
reused while its probe is unchanged, so bisecting again costs nothing where nothing changed; each
verdict goes to ``reports/pinpoint/pinpoint.json``, which the report reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import jsonschema
from packaging.version import InvalidVersion, Version

from tfmatrix import aggregate, attempt, probes, record, release_dates, repro, results, untrusted
from tfmatrix.errors import InputError, read_json_object
from tfmatrix.kinds import KINDS, TRACKS
from tfmatrix.probes import Probe
from tfmatrix.results import Result
from tfmatrix.variant import Variant
from tfmatrix.vocabulary import State, pinpoint_key

OLD, NEW, NEITHER = "old", "new", "neither"  # how a release between behaves, judged on the change's cases
SETTLE_DAYS = 7  # dependencies resolved a week after the upload, as the catalog's releases are
VERDICTS = "pinpoint.json"
SCHEMA = "pinpoint.schema.json"
Verdict = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Target:
    """One change point on one track: the releases around it and the cases that changed."""

    change: str  # the change point's id in matrix.json
    probe: str
    older: Variant  # the catalog release before it: behaves the old way
    newer: Variant  # the catalog release it was first seen in
    cases: tuple[tuple[str, str, str, str], ...]  # (case, aspect, before, after), as the cells show them

    @property
    def key(self) -> str:
        return pinpoint_key(self.change, self.newer.id)


def targets(summary: Mapping[str, Any], variants: Sequence[Variant]) -> list[Target]:
    """Every change point of the summary on a track whose releases between can be installed alone."""
    by_id = {variant.id: variant for variant in variants}
    found = []
    for change in summary["change_points"]:
        for seen in change["first_seen"]:
            newer, older = by_id.get(seen["environment"]), by_id.get(seen["after"])
            if newer is None or older is None or TRACKS[newer.track].not_pinpointed:
                continue
            cases = tuple(
                (c["case"], c["aspect"], c["before"], c["after"])
                for c in change["cases"]
                if c["environment"] == newer.id
            )
            found.append(Target(change["id"], change["probe"], older, newer, cases))
    return found


def between(target: Target, days: Mapping[str, str]) -> list[str]:
    """The versions the index has strictly between the target's two releases, oldest first."""
    low, high = Version(target.older.version), Version(target.newer.version)
    found = []
    for text in days:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if low < version < high and not version.is_devrelease and not version.is_postrelease:
            found.append(text)
    return sorted(found, key=Version)


def resolution_day(uploaded: str, today: dt.date) -> dt.date:
    """A release between is resolved a week after its upload, as the catalog's releases are (never after today)."""
    return min(dt.date.fromisoformat(uploaded) + dt.timedelta(days=SETTLE_DAYS), today)


def companion_names(newer: Variant) -> list[str]:
    """The line companions ``newer`` pins (tf-keras for a tf-keras variant), as its kind names them."""
    named = KINDS[newer.kind].COMPANIONS
    return [n for n in named if any(i.requirement.startswith(f"{n}==") for i in newer.installs)]


def companions(newer: Variant, version: str, day: dt.date, days: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """For each line companion ``newer`` installs (tf-keras), the newest of ``version``'s minor line the
    index had by ``day`` (``days``: package -> version -> upload day); a missing one is left out."""
    line = Version(version).release[:2]
    found = {}
    for name in companion_names(newer):
        mine = [
            v
            for v, uploaded in days.get(name, {}).items()
            if Version(v).release[:2] == line and uploaded <= day.isoformat()
        ]
        if mine:
            found[name] = max(mine, key=Version)
    return found


def judge(result: Result, probe: Probe, target: Target) -> str:
    """OLD, NEW or NEITHER: how the release of ``result`` behaves in the cases that changed; a failed
    attempt's state (it says nothing of behaviour)."""
    if result["status"] != State.OK:
        return str(result["status"])
    cases = {case["id"]: case for case in result["cases"]}
    found = set()
    for case_id, aspect, before, after in target.cases:
        case = cases.get(case_id)
        if case is None:
            return NEITHER
        shown = aggregate.symbol(probe, aspect, probe.judge(case)[aspect]) or "—"
        found.add(OLD if shown == (before or "—") else NEW if shown == (after or "—") else NEITHER)
    return found.pop() if len(found) == 1 else NEITHER


def bisect(candidates: Sequence[str], behaviour: Callable[[str], str]) -> dict[str, str]:
    """Probe the middle of what is still open until the first release that behaves the new way is found.

    ``behaviour(version)`` is OLD, NEW, NEITHER or a failed attempt's state. Returns every version
    probed with its behaviour (``verdict`` reads the bounds off it).
    """
    probed: dict[str, str] = {}
    low, high = -1, len(candidates)
    while True:
        open_ = [i for i in range(low + 1, high) if candidates[i] not in probed]
        if not open_:
            return probed
        middle = open_[len(open_) // 2]
        probed[candidates[middle]] = found = behaviour(candidates[middle])
        if found == NEW:
            high = middle
        elif found == OLD:
            low = middle
        elif found == NEITHER:  # a third behaviour: the change is no single step, bisecting cannot go on
            return probed


def verdict(
    target: Target,
    candidates: Sequence[str],
    probed: Mapping[str, str],
    packages: Mapping[str, Mapping[str, str]] | None = None,
) -> Verdict:
    """What the probing found, as the report says it: the first release and the last old one, whether
    nothing between them is left unprobed, and the frameworks each of the two ran with (``packages``:
    version -> installed packages)."""
    old = [v for v in candidates if probed.get(v) == OLD]
    new = [v for v in candidates if probed.get(v) == NEW]
    last_old = max(old, key=Version) if old else target.older.version
    first_new = min(new, key=Version) if new else target.newer.version
    left = [v for v in candidates if Version(last_old) < Version(v) < Version(first_new)]
    return {
        "change": target.change,
        "probe": target.probe,
        "older": target.older.id,
        "newer": target.newer.id,
        "track": target.newer.track,
        "distribution": target.newer.distribution,
        "candidates": list(candidates),
        "probed": dict(probed),
        "last_old": last_old,
        "first_new": first_new,
        "unresolved": left,  # between the two and not settled: install failed, or a third behaviour
        "cases": sorted({case for case, *_ in target.cases}),  # what it was judged on: a verdict of others is stale
        "frameworks": {v: frameworks((packages or {}).get(v, {})) for v in (last_old, first_new)},
    }


FRAMEWORKS = ("tensorflow", "tensorflow-cpu", "tf-nightly", "keras", "tf-keras", "jax", "torch")


def frameworks(packages: Mapping[str, str]) -> dict[str, str]:
    """The framework packages of an environment, as installed: what a change may come with."""
    return {name: packages[name] for name in FRAMEWORKS if name in packages}


def beside(results_dir: Path) -> Path:
    """Where the releases probed between the ones of ``results_dir`` are kept: ``reports/pinpoint``."""
    return results_dir.parent / "pinpoint"


def verdicts_beside(results_dir: Path) -> Path:
    """The verdicts of the change points of ``results_dir``, which the report reads."""
    return beside(results_dir) / VERDICTS


def load(path: Path) -> dict[str, Verdict]:
    """Every verdict so far, keyed by change point and release, checked against ``pinpoint.schema.json``
    and the rules of ``tfmatrix.untrusted``; none where the file does not exist."""
    document = read_json_object(path, "change point@release -> verdict")
    untrusted.text(path, document)
    problem = results.first_error(jsonschema.Draft202012Validator(json.loads(results.schema_text(SCHEMA))), document)
    if problem is not None:
        field, message = problem
        raise InputError(path, field, f"{message}: `nox -s pinpoint` writes it again")
    for name, found in document.items():
        versions = {"first_new": found["first_new"], "last_old": found["last_old"]}
        versions.update({f"candidates[{i}]": version for i, version in enumerate(found["candidates"])})
        for field, version in versions.items():
            untrusted.version(path, f"{name}.{field}", version)
        for end in ("first_new", "last_old"):
            if found[end] not in found["frameworks"]:
                raise InputError(path, f"{name}.frameworks", f"expected the frameworks of {end} {found[end]}")
    return document


def save(path: Path, verdicts: Mapping[str, Verdict]) -> None:
    record.write_json_atomic(path, dict(verdicts))


def probe_release(
    variant: Variant,
    source: probes.Source,
    known: Mapping[str, Probe],
    *,
    uv: str,
    probes_dir: Path,
    out_dir: Path,
    log: TextIO,
) -> Result:
    """The result of ``source`` in ``variant``: the one kept in ``out_dir`` while current, else made now
    in a venv of its own (deleted after), written whole, a failure keeping the last good findings."""
    path = record.result_path(out_dir, source.name, variant.id)
    if record.is_current(record.current_schema(path), variant, source, 1):
        try:
            return results.load_one(path, known)
        except InputError as exc:  # checked like any result: one that is not is probed again
            log.write(f"tfmatrix: warning: {exc}: probing it again\n")
    with tempfile.TemporaryDirectory(prefix="tfmatrix-pinpoint-") as scratch:
        venv = Path(scratch) / "venv"
        made = subprocess.run(
            [uv, "venv", "--python", variant.python, str(venv)], capture_output=True, text=True, check=False
        )
        log.write(made.stdout + made.stderr)
        if made.returncode != 0:  # no such interpreter here: nothing about the release
            said = " | ".join(made.stderr.strip().splitlines()[-3:])
            message = f"{variant.id}: no Python {variant.python} for its venv: {said}"
            raise RuntimeError(message)
        written, _ = attempt.attempt(
            variant,
            uv=uv,
            python=venv / "bin" / "python",
            probes_dir=probes_dir,
            probes=[source],
            env=dict(repro.ENVIRONMENT),
            timeout=variant.timeout_seconds,
            repeat=1,
            out=log,
        )
    result = record.keeping_last_good(written[source.name], path)
    record.write_json_atomic(path, result)
    return result


def run(
    chosen: Sequence[Target],
    every: Sequence[Target],
    known: Mapping[str, Probe],
    *,
    sources: Mapping[str, probes.Source],
    probes_dir: Path,
    results_dir: Path,
    out_dir: Path,
    uv: str,
    today: dt.date,
    log: TextIO,
) -> tuple[dict[str, Verdict], list[str]]:
    """Bisect the ``chosen`` targets; each verdict is saved as soon as it is found, so an interrupted run
    keeps the ones before it, and a verdict of no target in ``every`` (the change point is gone) is dropped.
    Release days the index gives go to the release dates, for the report. Returns the verdicts and the
    targets that could not be pinpointed here, each with why."""
    verdicts_path = out_dir / VERDICTS
    current = {target.key for target in every}
    verdicts = {name: found for name, found in load(verdicts_path).items() if name in current}
    indexes = release_dates.configured_indexes()
    asked: dict[str, dict[str, str]] = {}
    skipped = []
    for target in chosen:
        distribution = target.newer.distribution
        if distribution not in asked:
            asked[distribution] = release_dates.ask(distribution, indexes)
        days = asked[distribution]
        if not days:  # an index that answers nothing is down, not a sign that nothing lies between
            skipped.append(f"{target.key}: the index gave no upload days for {distribution}")
            continue
        candidates = between(target, days)
        release_dates.add(release_dates.beside(results_dir), {distribution: {v: days[v] for v in candidates}})
        probe = known[target.probe]
        made: dict[str, Result] = {}
        for name in companion_names(target.newer):
            if name not in asked:
                asked[name] = release_dates.ask(name, indexes)

        def behaviour(
            version: str,
            target: Target = target,
            probe: Probe = probe,
            days: dict[str, str] = days,
            made: dict[str, Result] = made,
        ) -> str:
            day = resolution_day(days[version], today)
            with_ = companions(target.newer, version, day, asked)
            missing = [name for name in companion_names(target.newer) if name not in with_]
            if missing:  # nothing of its line had been released: that release cannot be made as the others are
                return f"no {missing[0]} of its line by {day}"
            variant = KINDS[target.newer.kind].between(target.newer, version, day, with_)
            result = made[version] = probe_release(
                variant, sources[target.probe], known, uv=uv, probes_dir=probes_dir, out_dir=out_dir, log=log
            )
            found = judge(result, probe, target)
            log.write(f"tfmatrix: {target.key}: {variant.id}: {found}\n")
            return found

        try:
            probed = bisect(candidates, behaviour)
        except RuntimeError as exc:  # this machine lacks the release's Python: another one may have it
            skipped.append(f"{target.key}: {exc}")
            continue
        ends = {
            target.older.version: read_packages(record.result_path(results_dir, target.probe, target.older.id)),
            target.newer.version: read_packages(record.result_path(results_dir, target.probe, target.newer.id)),
            **{version: result["environment"]["packages"] for version, result in made.items()},
        }
        verdicts[target.key] = found = verdict(target, candidates, probed, ends)
        save(verdicts_path, verdicts)
        log.write(f"tfmatrix: {target.key}: first in {found['first_new']}, after {found['last_old']}\n")
    save(verdicts_path, verdicts)
    return verdicts, skipped


def read_packages(path: Path) -> dict[str, str]:
    """The packages a catalog release's result says were installed ({} where it cannot be read)."""
    try:
        packages: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))["environment"]["packages"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return packages
