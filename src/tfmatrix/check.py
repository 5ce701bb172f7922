"""``tfmatrix check``: run the probes in your own environment and say which probed environment it behaves like.

Whatever the environment is (a conda build, a GPU build, a fork), the harness runs there as in
every matrix environment, with its variables as they are (``KERAS_BACKEND``,
``TF_USE_LEGACY_KERAS``), on the framework the user names (``--framework``, as a kind names its variants'). Each case is judged as the report judges it (its verdict, why, and every
aspect behind them), then compared with every environment of ``matrix.json``: the closest ones, and
the cases where they differ, in whatever differs.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from tfmatrix import aggregate, process, record, results, untrusted
from tfmatrix.errors import InputError
from tfmatrix.probes import HARNESS, Probe
from tfmatrix.variant import FRAMEWORK_VARIABLE
from tfmatrix.vocabulary import State

Findings = dict[str, Any]  # a case on an environment, as matrix.json has it: verdict, why, aspects
Outcomes = dict[tuple[str, str], Findings]  # (probe, case) -> its findings


def run(
    python: str, probes_dir: Path, known: Mapping[str, Probe], names: Sequence[str], timeout: float, framework: str
) -> list[dict[str, Any]]:
    """The harness's output for ``names``, run by ``python`` as it is on ``framework`` (the probes' module,
    ``tf_keras`` ...), each checked as a result's cases are; RuntimeError in one line if it fails, ends past
    ``timeout`` seconds (everything it started killed) or writes something else."""
    with tempfile.TemporaryDirectory(prefix="tfmatrix-check-") as scratch:
        command = [python, str(probes_dir / HARNESS), "--out", scratch, *names]
        env = {**os.environ, FRAMEWORK_VARIABLE: framework}
        try:
            step = process.run_step(command, timeout=timeout, out=io.StringIO(), env=env)
        except OSError as exc:
            message = f"{python} could not run the probes: {exc.strerror or exc}"
            raise RuntimeError(message) from None
        if step.returncode != 0:
            tail = " | ".join(step.output.strip().splitlines()[-3:])
            message = f"the probes failed in {python} ({step.exit}): {tail}"
            raise RuntimeError(message)
        try:
            return [checked(Path(scratch) / f"{name}.json", known[name]) for name in names]
        except InputError as exc:
            message = f"{python} ran the probes, but did not write what the harness writes: {exc.problem} ({exc.field or 'the file'})"
            raise RuntimeError(message) from None


def checked(path: Path, probe: Probe) -> dict[str, Any]:
    """The harness's output of ``probe``, as a result's cases are checked: text, and each case by its schema."""
    document = record.read_probe_output(path, probe.name)
    untrusted.text(path, document)
    validator = jsonschema.Draft202012Validator(results.case_schema(probe))
    for index, case in enumerate(document["cases"]):
        problem = results.first_error(validator, case, f"cases[{index}]")
        if problem is not None:
            raise InputError(path, *problem)
    return document


def outcomes(documents: Sequence[Mapping[str, Any]], known: Mapping[str, Probe]) -> Outcomes:
    """Each case's findings, as matrix.json has them."""
    found: Outcomes = {}
    for document in documents:
        probe = known[document["probe"]]
        for case in document["cases"]:
            found[probe.name, case["id"]] = aggregate.findings_of(probe, probe.judge(case))
    return found


def difference(mine: Findings, theirs: Findings) -> str:
    """How two findings of a case differ: the verdicts and why, or else the aspects that differ."""
    if (mine["verdict"], mine["why"]) != (theirs["verdict"], theirs["why"]):
        return f"yours {said(mine)}, theirs {said(theirs)}"
    aspects = sorted(set(mine["aspects"]) | set(theirs["aspects"]))
    return "; ".join(
        f"{aspect}: yours {mine['aspects'].get(aspect, '—')}, theirs {theirs['aspects'].get(aspect, '—')}"
        for aspect in aspects
        if mine["aspects"].get(aspect) != theirs["aspects"].get(aspect)
    )


def said(findings: Findings) -> str:
    return str(findings["verdict"]) + (f" ({findings['why']})" if findings["why"] else "")


def recorded(summary: Mapping[str, Any]) -> dict[str, Outcomes]:
    """environment id -> its outcomes in matrix.json."""
    found: dict[str, Outcomes] = {}
    for question in summary["questions"]:
        for case, by_environment in question["cases"].items():
            for environment, outcome in by_environment.items():
                found.setdefault(environment, {})[question["probe"], case] = outcome
    return found


def closest(
    mine: Outcomes, summary: Mapping[str, Any], every: Mapping[str, Outcomes]
) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """The environments with findings for every case checked, fewest differences first: each with the
    (probe, case) pairs where it differs."""
    ranked = []
    for environment in summary["environments"]:
        theirs = every.get(environment["id"], {})
        if not set(mine) <= set(theirs) or environment["status"] != State.OK:
            continue
        differing = [key for key in mine if theirs[key] != mine[key]]
        ranked.append((environment, differing))
    return sorted(ranked, key=lambda pair: len(pair[1]))


def report(
    documents: Sequence[Mapping[str, Any]], mine: Outcomes, summary: Mapping[str, Any], shown: int = 3
) -> Iterator[str]:
    """What ``tfmatrix check`` prints."""
    environment = documents[0]["environment"] if documents else {}
    versions = ", ".join(
        f"{k} {environment[k]}" for k in ("python", "tensorflow", "keras", "backend") if environment.get(k)
    )
    yield f"Your environment ({versions}): {len(mine)} cases of {', '.join(d['probe'] for d in documents)}."
    every = recorded(summary)
    ranked = closest(mine, summary, every)
    if not ranked:
        yield "No probed environment has findings for all of these cases."
        return
    fewest = len(ranked[0][1])
    best = {env["id"] for env, differing in ranked if len(differing) == fewest}
    alike = runs(summary["environments"], best)
    if fewest == 0:
        yield f"It behaves exactly like {len(best)} probed environment{'s' if len(best) > 1 else ''}: {alike}."
    else:
        yield f"Closest: {alike}, which differ in {fewest} of {len(mine)} cases."
    for env, differing in [(env, differing) for env, differing in ranked if differing][:shown]:
        yield f"  {env['label']} ({env['track_title']}) differs in {len(differing)} cases:"
        for probe, case in differing[:shown]:
            yield f"    {probe} {case}: {difference(mine[probe, case], every[env['id']][probe, case])}"
        if len(differing) > shown:
            yield f"    and {len(differing) - shown} more"


def runs(environments: Sequence[Mapping[str, Any]], chosen: set[str]) -> str:
    """``2.16.2 – 2.21.0 (TensorFlow); 3.0.5 tensorflow (Keras on tensorflow)``: the chosen environments
    as runs of consecutive ones on one track, in the matrix's order."""
    found: list[list[Mapping[str, Any]]] = []
    previous = None
    for env in environments:
        if env["id"] in chosen:
            if found and previous is not None and previous["id"] in chosen and previous["track"] == env["track"]:
                found[-1].append(env)
            else:
                found.append([env])
        previous = env
    return "; ".join(f"{aggregate.span(run[0]['label'], run[-1]['label'])} ({run[0]['track_title']})" for run in found)
