"""``tfmatrix lookup``: what happens on the versions one has, from ``reports/matrix.json`` alone (offline).

A version the matrix probed is answered from its own findings; one it did not is answered from the
nearest probed releases on each side of it, on the same track, with whether they agree, and, where they
differ, which of the two it behaves like when ``nox -s pinpoint`` found the first release of each change.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from packaging.version import Version

from tfmatrix import results, untrusted
from tfmatrix import vocabulary as words
from tfmatrix.errors import InputError
from tfmatrix.kinds import OPTIONS, TRACKS
from tfmatrix.variant import Track
from tfmatrix.vocabulary import State

Summary = dict[str, Any]


SCHEMA = "matrix.schema.json"  # the published schema of matrix.json, as the package ships it


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
    schema = json.loads(results.schema_text(SCHEMA))
    found = document.get("schema_version") if isinstance(document, dict) else None
    if isinstance(found, int) and found < schema["properties"]["schema_version"]["const"]:
        expected = schema["properties"]["schema_version"]["const"]
        why = f"expected {expected}, got {found}: it has no verdicts; `nox -s report` writes it anew from the results"
        raise InputError(path, "schema_version", why)
    untrusted.text(path, document)
    problem = results.first_error(jsonschema.Draft202012Validator(schema), document)
    if problem is not None:
        raise InputError(path, *problem)
    references(path, document)
    result: Summary = document
    return result


def references(path: Path, document: Summary) -> None:
    """What a schema cannot check: versions and days that are real, environments that are in ``environments``."""
    ids = set()
    for i, env in enumerate(document["environments"]):
        ids.add(untrusted.identifier(path, f"environments[{i}].id", env["id"]))
        untrusted.version(path, f"environments[{i}].version", env["version"])
        for name in ("released_on", "resolved_as_of", "probed_on", "findings_from"):
            if env.get(name) is not None:
                untrusted.day(path, f"environments[{i}].{name}", env[name])

    def known(field: str, env_id: str) -> None:
        if env_id not in ids:
            raise InputError(path, field, f"expected the id of one of environments, got {env_id!r}")

    for i, change in enumerate(document["change_points"]):
        for j, seen in enumerate(change["first_seen"]):
            for name in ("environment", "after"):
                known(f"change_points[{i}].first_seen[{j}].{name}", seen[name])
            for end in ("first", "last_old") if seen["pinpointed"] else ():
                untrusted.version(
                    path, f"change_points[{i}].first_seen[{j}].pinpointed.{end}", seen["pinpointed"][end]["version"]
                )
        for j, case in enumerate(change["cases"]):
            known(f"change_points[{i}].cases[{j}].environment", case["environment"])
    for i, question in enumerate(document["questions"]):
        for name in ("outcomes", "fixes"):
            for env_id in question[name]:
                known(f"questions[{i}].{name}", env_id)
        for case, by_env in question["cases"].items():
            for env_id in by_env:
                known(f"questions[{i}].cases.{case}", env_id)


def asked(given: Mapping[str, str]) -> tuple[Track, str]:
    """The track a reader's options ask about (name -> value, as the page's URL names them: ``tf``, ``tf-keras``),
    and the version they give; a ValueError that names the options (``--keras needs --backend``) if none fits."""
    askable = [track for track in TRACKS.values() if track.asks]
    versioned = [t for t in askable if t.version_option in given and t.answers(given[t.version_option])]
    # The setup the options name, where it does not answer for the version: say so, unless another setup
    # would with one more option (--keras 3.8.0 without --backend).
    asked_for = [t for t in askable if t.version_option in given and fits(t, given)]
    if asked_for and not set(asked_for) & set(versioned) and (len(given) > 1 or not versioned):
        track = max(asked_for, key=lambda t: len(t.asks))
        message = f"{track.title} is answered for versions {track.versions} only, not {given[track.version_option]}"
        raise ValueError(message)
    if not versioned:
        flags = sorted({OPTIONS[t.version_option].flag for t in askable})
        message = f"give one of {' or '.join(flags)}"
        raise ValueError(message)
    fitting = [track for track in versioned if fits(track, given)]
    if fitting:
        track = max(fitting, key=lambda t: len(t.asks))  # tf and tf-keras: the track with tf-keras
        return track, given[track.version_option]
    version = OPTIONS[versioned[0].version_option].flag
    for name in given:
        if not any(name in dict(t.asks) for t in versioned):  # an option of another setup's
            owners = {OPTIONS[t.version_option].flag for t in askable if name in dict(t.asks)}
            message = f"{OPTIONS[name].flag} goes with {' or '.join(sorted(owners))}"
            raise ValueError(message)
    name = next(n for t in versioned for n, v in t.asks if v and given.get(n) != v)
    values = [dict(t.asks)[name] for t in versioned if name in dict(t.asks)]
    choices = f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else values[0]
    message = f"{version} needs {OPTIONS[name].flag} ({choices})"
    raise ValueError(message)


def fits(track: Track, given: Mapping[str, str]) -> bool:
    """Whether the options given are the track's, each with its value."""
    asks = dict(track.asks)
    return set(given) <= asks.keys() and all(value == "" or given.get(name) == value for name, value in asks.items())


def parsed(version: str, what: str) -> Version:
    """The version asked about: PEP 440, read without its local label (``2.15.1+nv24.03`` is 2.15.1)."""
    try:
        return Version(untrusted.version("", what, version).public)
    except InputError:
        message = f"{what}: expected a version such as 2.15.0, got {version!r:.80}"
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
        if env["track"] == track and (env["status"] == State.OK or env["findings_from"])
    ]
    exact = next((env for env in probed if Version(env["version"]) == version), None)
    older = [env for env in probed if Version(env["version"]) < version]
    newer = [env for env in probed if Version(env["version"]) > version]
    return Neighbours(exact, older[-1] if older else None, newer[0] if newer else None)  # probed oldest first


def elsewhere(summary: Summary, track: str, version: Version) -> str:
    """Where the release asked about was probed on another setup asked for by the same version option (Keras
    3.6.0 on jax, for a question about it on torch); "" where it was not."""
    option = TRACKS[track].version_option if track in TRACKS else ""
    beside = [
        env
        for env in summary["environments"]
        if env["track"] != track
        and env["track"] in TRACKS
        and TRACKS[env["track"]].version_option == option
        and Version(env["version"]) == version
        and (env["status"] == State.OK or env["findings_from"])
    ]
    if not option or not beside:
        return ""
    probed = " and ".join(TRACKS[env["track"]].named.format(env["version"]) for env in beside)
    return f"; {version} itself was probed as {probed}, which may tell more"


def named(env: dict[str, Any]) -> str:
    day = f" (released {env['released_on']})" if env["released_on"] else ""
    return f"{env['label']}{day}"


# The recipes in the order people meet them: fine-tuning first, then GANs, callbacks, saving, freezing, optimizers.
RECIPE_ORDER = ("finetune", "gan", "callback", "saving", "freeze", "optimizer_state")
WORKS = words.shown(words.WORKS)
LEADS = tuple(
    map(words.shown, (words.WRONG, words.RAISES, words.NO_EVIDENCE))
)  # a recipe is led by the worst verdict among its cases, in this order


def lead(counts: dict[str, int]) -> str:
    """The verdict a recipe is led by, from how many of its cases end which way: the worst among them; a flaky
    case or a failed attempt comes before works, never hidden by it."""
    found = next((v for v in LEADS if counts.get(v)), None)
    states = [state for state in counts if state not in (WORKS, words.NOT_APPLICABLE)]
    return found or (states[0] if states else WORKS if counts.get(WORKS) else words.NOT_APPLICABLE)


@dataclass(frozen=True)
class Recipe:
    """One question's answer: the verdict counts on the environment it is answered from, and what to do."""

    question: dict[str, Any]
    kind: str  # of the environment it is answered from: which report links to it
    counts: dict[str, int]
    fixes: list[dict[str, Any]]
    note: str  # how the answer was reached where the version was not probed ("" where it was)
    guess: bool  # between probed releases that differ, unsettled, or outside the probed range

    @property
    def lead(self) -> str:
        return lead(self.counts)

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.question["id"],
            "question": self.question["question"],
            "means": self.question["means"],
            "verdict": self.lead,
            "counts": self.counts,
            "fixes": self.fixes,
            "note": self.note,
            "guess": self.guess,
            "report": self.question["reports"].get(self.kind, next(iter(self.question["reports"].values()))),
        }


def said(by_env: dict[str, Any], env: dict[str, Any]) -> tuple[str, str] | None:
    """A case's verdict and why on ``env``: what a reader is told; None where it was not probed there."""
    found = by_env.get(env["id"])
    return (found["verdict"], found["why"]) if found else None


def tally(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return ", ".join(f"{count} of {total} {outcome}" for outcome, count in counts.items())


def ordered(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rank = {probe: i for i, probe in enumerate(RECIPE_ORDER)}
    return sorted(questions, key=lambda q: rank.get(q["probe"], len(rank)))  # stable: a probe's own order


def wanted(question: dict[str, Any], asked: list[str]) -> bool:
    """Whether ``question`` is one of those asked for (by probe, id or words in it); all if none are."""
    text = f"{question['id']} {question['question']}".lower()
    return not asked or any(word.lower() in text for word in asked)


def answer(summary: Summary, track: str, version: Version, asked: str, only: list[str] | None = None) -> dict[str, Any]:
    """``tfmatrix lookup``'s answer as data: the environment(s) it comes from, per recipe the verdict and what
    to do, and what changes in later releases."""
    tracks = sorted({env["track"] for env in summary["environments"]})
    found: dict[str, Any] = {"asked": asked, "track": track, "answered_from": [], "recipes": [], "upgrade": []}
    if track not in tracks:
        found["problem"] = f"The matrix has no environment on track {track!r} (it has {', '.join(tracks)})."
        return found
    near = neighbours(summary, track, version)
    envs = near.answering()
    if not envs:
        found["problem"] = f"The matrix has no findings on track {track!r}."
        return found
    found["answered_from"] = [env["id"] for env in envs]
    if near.exact:
        found["probed"] = f"probed as {named(near.exact)}"
    elif near.below and near.above:
        found["probed"] = (
            f"not probed; between {named(near.below)} and {named(near.above)}, the nearest probed releases"
        )
    else:
        side = "newer" if near.below else "older"
        found["probed"] = f"not probed, and {side} than every probed release: answers are a guess from {named(envs[0])}"
    caveat = TRACKS[track].caveat(envs[0]["version"])[1] if track in TRACKS else ""
    found["probed"] += f"; {caveat}" if caveat else ""
    if not near.exact:  # a guess: the same release probed beside it is worth more than a neighbour
        found["probed"] += elsewhere(summary, track, version)
    questions = [q for q in ordered(summary["questions"]) if wanted(q, only or [])]
    for question in questions:
        recipe = answered(summary, question, near, version)
        if recipe is not None:
            found["recipes"].append(recipe.as_data())
    found["upgrade"] = upgrades(summary, questions, track, version)
    return found


def answered(summary: Summary, question: dict[str, Any], near: Neighbours, version: Version) -> Recipe | None:
    """One question's answer for ``version``, from the environment(s) that answer for it; None where none has it."""
    envs = near.answering()
    if not any(question["outcomes"].get(env["id"]) for env in envs):
        return None

    def from_(env: dict[str, Any], note: str, *, guess: bool) -> Recipe:
        found = question["outcomes"].get(env["id"], {})
        return Recipe(question, env["kind"], found, question["fixes"].get(env["id"], []), note, guess=guess)

    if near.exact:
        return from_(near.exact, "", guess=False)
    if len(envs) == 1:
        return from_(envs[0], f"not probed: a guess from {envs[0]['label']}, the nearest probed release", guess=True)
    below, above = envs
    differ = [c for c, by_env in question["cases"].items() if said(by_env, below) != said(by_env, above)]
    if not differ:
        return from_(
            below, f"not probed: answered from {below['label']} and {above['label']}, which agree", guess=False
        )
    settled = pinpointed_side(summary, question, below, above, version)
    if settled:
        like, why = settled
        return from_(like, f"not probed: behaves like {like['label']}, as pinpointed ({why})", guess=False)
    theirs = tally(question["outcomes"].get(above["id"], {})) or "no findings"
    note = (
        f"not probed: a guess from {below['label']}; {above['label']} differs in {len(differ)} of "
        f"{len(question['cases'])} cases, and the change lies between them ({theirs})"
    )
    return from_(below, note, guess=True)


def upgrades(summary: Summary, questions: list[dict[str, Any]], track: str, version: Version) -> list[dict[str, Any]]:
    """The change points on ``track`` after ``version``: what changes if you upgrade, oldest first."""
    by_id = {env["id"]: env for env in summary["environments"]}
    ids = {q["id"] for q in questions}
    found = []
    for change in summary["change_points"]:
        seen = next((s for s in change["first_seen"] if by_id[s["environment"]]["track"] == track), None)
        if seen is None or not ids & set(change["questions"]):
            continue
        first, before = bounds(seen, by_id)
        if Version(first["version"]) <= version:
            continue
        where = (
            f"in {named(first)}"
            if Version(before["version"]) >= version
            else f"after {before['label']}, by {named(first)}"
        )
        found.append(
            {
                "change": change["id"],
                "where": where,
                "version": first["version"],
                "summary": change["summary"] or "not yet explained",
                "advice": change["advice"],
                "report": change["report"],
            }
        )
    return sorted(found, key=lambda c: Version(c["version"]))


def lines(found: dict[str, Any], width: int = 80) -> Iterator[str]:
    """The answer as text: one line per recipe, verdict first, its fixes under it, wrapped to ``width``."""
    if "problem" in found:
        yield found["problem"]
        return
    yield from textwrap.wrap(f"{found['asked']}: {found['probed']}.", width)
    said: dict[str, str] = {}  # each fix once: later recipes point back to the first that gave it
    for recipe in found["recipes"]:
        yield ""
        mark = " (a guess)" if recipe["guess"] else ""
        head = f"{recipe['verdict']}{mark} — {recipe['question']} ({tally(recipe['counts'])})"
        yield from textwrap.wrap(head, width, subsequent_indent="   ")
        if recipe["note"]:
            yield from textwrap.wrap(recipe["note"], width, initial_indent="   ", subsequent_indent="   ")
        for fix in recipe["fixes"]:
            text = fix_text(fix)
            if text in said:
                text = f"The same fix as for: {said[text]}"
            elif fix["status"] != "no fix":
                said[text] = recipe["question"]
            yield from textwrap.wrap(f"→ {text}", width, initial_indent="   ", subsequent_indent="     ")
    if found["upgrade"]:
        yield ""
        yield "Changes if you upgrade:"
        for change in found["upgrade"]:
            yield from textwrap.wrap(f"- {change['where']}: {change['summary']}", width, subsequent_indent="  ")


def fix_text(fix: dict[str, Any]) -> str:
    """A fix as lookup says it: for which cases, and verified on the release it was verified on, which a guess
    names too."""
    cases = some(fix["cases"])
    fixing = f"For {some(fix['for'])}: " if fix.get("for") else ""  # an older matrix.json may lack it
    if fix["status"] == "verified":
        verb = "works" if len(fix["cases"]) == 1 else "work"
        return f"{fixing}{fix['do']} Verified: {cases} {verb} on {fix['verified_on']}."
    if fix["status"] == "no fix":
        return f"{fixing}{fix['do']}"
    return f"{fixing}{fix['do']} Not verified by a probed case."


def some(cases: Sequence[str]) -> str:
    """The first two cases and how many more."""
    return ", ".join(cases[:2]) + (f" and {len(cases) - 2} more" if len(cases) > 2 else "")


def pinpointed_side(
    summary: Summary, question: dict[str, Any], below: dict[str, Any], above: dict[str, Any], version: Version
) -> tuple[dict[str, Any], str] | None:
    """Which of the probed ``below`` and ``above`` ``version`` behaves like on ``question``, and why: when
    every case in which the two differ is in a change point between them that pinpoint settled, and
    ``version`` lies on the same side of each. Else None: a case no change point holds (n/a on one
    side, flaky), a change not pinpointed, a version in a gap pinpoint left, or changes that disagree."""
    cases = question["cases"]
    differ = {case for case, by_env in cases.items() if said(by_env, below) != said(by_env, above)}
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
