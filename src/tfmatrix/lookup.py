"""``tfmatrix lookup``: what happens on the versions one has, from ``reports/matrix.json`` alone (offline).

A version the matrix probed is answered from its own findings; one it did not is answered from the
nearest probed releases on each side of it, on the same track, with whether they agree, and, where they
differ, which of the two it behaves like when ``nox -s pinpoint`` found the first release of each change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from packaging.version import InvalidVersion, Version

from tfmatrix.errors import InputError

Summary = dict[str, Any]


def schema_text() -> str:
    """The published schema of matrix.json, as the package ships it."""
    return resources.files("tfmatrix").joinpath("schemas", "matrix.schema.json").read_text(encoding="utf-8")


def load(path: Path) -> Summary:
    """The matrix summary at ``path``, checked against its published schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "", "does not exist: `nox -s report` writes it") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, "", f"cannot be read as JSON: {exc}") from None
    return checked(path, document)


def checked(path: Path, document: Any) -> Summary:
    """``document``, read from ``path``, if its published schema holds; else an InputError naming the field."""
    schema = json.loads(schema_text())
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise InputError(path, field, error.message)
    result: Summary = document
    return result


def parsed(version: str, what: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        message = f"{what}: expected a version such as 2.15.0, got {version!r}"
        raise ValueError(message) from None


@dataclass(frozen=True)
class Neighbours:
    """The probed environments that answer for a version: the one itself, or those on each side."""

    exact: dict[str, Any] | None
    below: dict[str, Any] | None
    above: dict[str, Any] | None

    def answering(self) -> list[dict[str, Any]]:
        return [self.exact] if self.exact else [env for env in (self.below, self.above) if env]


def neighbours(summary: Summary, track: str, version: Version) -> Neighbours:
    """Where ``version`` falls among the environments probed on ``track`` (a failed one without findings takes no part)."""
    probed = [
        env
        for env in summary["environments"]
        if env["track"] == track and (env["status"] == "ok" or env["findings_from"])
    ]
    exact = next((env for env in probed if Version(env["version"]) == version), None)
    older = [env for env in probed if Version(env["version"]) < version]
    newer = [env for env in probed if Version(env["version"]) > version]
    return Neighbours(exact, older[-1] if older else None, newer[0] if newer else None)  # probed oldest first


def named(env: dict[str, Any]) -> str:
    day = f" (released {env['released_on']})" if env["released_on"] else ""
    return f"{env['label']}{day}"


def tally(counts: dict[str, int]) -> str:
    return " · ".join(f"{outcome} {count}" for outcome, count in counts.items())


def answer(summary: Summary, track: str, version: Version, asked: str) -> Iterator[str]:
    """The lines ``tfmatrix lookup`` prints: per question, what happens and what to do."""
    tracks = sorted({env["track"] for env in summary["environments"]})
    if track not in tracks:
        yield f"The matrix has no environment on track {track!r} (it has {', '.join(tracks)})."
        return
    near = neighbours(summary, track, version)
    envs = near.answering()
    if not envs:
        yield f"The matrix has no findings on track {track!r}."
        return
    if near.exact:
        yield f"{asked}: probed as {named(near.exact)}."
    elif near.below and near.above:
        yield f"{asked}: not probed; between {named(near.below)} and {named(near.above)}, the nearest probed releases."
    else:
        side = "newer" if near.below else "older"
        yield f"{asked}: not probed, and {side} than every probed release; nearest: {named(envs[0])}."
    by_id = {env["id"]: env for env in summary["environments"]}
    for question in summary["questions"]:
        answers = {env["id"]: question["outcomes"].get(env["id"]) for env in envs}
        if not any(answers.values()):
            continue
        kind = envs[0]["kind"]
        yield ""
        yield f"{question['question']}  ({question['reports'].get(kind, question['probe'])})"
        if len(envs) == 1:
            yield f"  {tally(answers[envs[0]['id']] or {})}"
        else:
            cases = question["cases"]
            differ = [c for c, outcomes in cases.items() if len({outcomes.get(e["id"]) for e in envs}) > 1]
            below, above = envs
            if not differ:
                yield f"  both sides agree: {tally(answers[below['id']] or {})}"
            elif settled := pinpointed_side(summary, question, below, above, version):
                like, why = settled
                other = below if like["id"] == above["id"] else above
                yield f"  behaves like {like['label']}, as pinpointed: {why}"
                yield f"  {like['label']}: {tally(answers[like['id']] or {})}"
                yield f"  ({other['label']} differs in {len(differ)} of {len(cases)} cases)"
            else:
                yield f"  the two sides differ in {len(differ)} of {len(cases)} cases: the change lies between them"
                for env in envs:
                    yield f"  {env['label']}: {tally(answers[env['id']] or {})}"
        for change in summary["change_points"]:
            seen = next((s for s in change["first_seen"] if by_id[s["environment"]]["track"] == track), None)
            if question["id"] not in change["questions"] or seen is None:
                continue
            first, before = bounds(seen, by_id)
            if Version(first["version"]) <= version:  # how it behaves now came from this change
                yield f"  what to do (since {named(first)}): {change['advice'] or 'not yet explained'}"
            elif Version(before["version"]) < version:  # the change lies somewhere between the two
                yield f"  changes after {before['label']}, by {named(first)}: {change['summary'] or 'not yet explained'}"
            else:
                yield f"  changes in {named(first)}: {change['summary'] or 'not yet explained'}"


def pinpointed_side(
    summary: Summary, question: dict[str, Any], below: dict[str, Any], above: dict[str, Any], version: Version
) -> tuple[dict[str, Any], str] | None:
    """Which of the probed ``below`` and ``above`` ``version`` behaves like on ``question``, and why: when
    every case in which the two differ is in a change point between them that pinpoint settled, and
    ``version`` lies on the same side of each. Else None: a case no change point holds (n/a on one
    side, flaky), a change not pinpointed, a version in a gap pinpoint left, or changes that disagree."""
    cases = question["cases"]
    differ = {case for case, outcomes in cases.items() if outcomes.get(below["id"]) != outcomes.get(above["id"])}
    by_id = {env["id"]: env for env in summary["environments"]}
    covered: set[str] = set()
    sides: dict[str, set[str]] = {}  # the neighbour's id -> why
    for change in summary["change_points"]:
        moved = {c["case"] for c in change["cases"] if c["environment"] == above["id"]} & differ
        pair = (below["id"], above["id"])
        seen = next((s for s in change["first_seen"] if (s["after"], s["environment"]) == pair), None)
        if change["probe"] != question["probe"] or not moved or seen is None:
            continue
        if not seen["pinpointed"]:
            return None
        first, before = bounds(seen, by_id)
        if Version(first["version"]) <= version:
            sides.setdefault(above["id"], set()).add(f"the change came in {named(first)}")
        elif version <= Version(before["version"]):
            sides.setdefault(below["id"], set()).add(f"{named(before)} still behaved the old way")
        else:
            return None  # in a gap pinpoint could not settle
        covered |= moved
    if covered != differ or len(sides) != 1:
        return None
    (like, why), *_ = sides.items()
    return by_id[like], "; ".join(sorted(why))


def bounds(seen: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first release that behaves the new way, and the last that behaves the old: as pinpointed where
    ``nox -s pinpoint`` ran, else the two probed releases around the change."""
    first, before = by_id[seen["environment"]], by_id[seen["after"]]
    found = seen["pinpointed"]
    if not found:
        return first, before
    track = first["label"].removeprefix(first["version"])  # " jax"

    def at(env: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
        return {
            **env,
            "version": end["version"],
            "label": f"{end['version']}{track}",
            "released_on": end["released_on"],
        }

    return at(first, found["first"]), at(before, found["last_old"])
