"""``tfmatrix check``: run the probes in your own environment and say which probed environment it behaves like.

Whatever the environment is (a conda build, a GPU build, a fork), the harness runs there as in
every matrix environment, with its variables as they are (``KERAS_BACKEND``,
``TF_USE_LEGACY_KERAS``). Each case is judged as the report judges it (its verdict, why, and every
aspect behind them), then compared with every environment of ``matrix.json``: the closest ones, and
the cases where they differ, in whatever differs.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tfmatrix import aggregate
from tfmatrix.probes import HARNESS, Probe

Findings = dict[str, Any]  # a case on an environment, as matrix.json has it: verdict, why, aspects
Outcomes = dict[tuple[str, str], Findings]  # (probe, case) -> its findings


def run(python: str, probes_dir: Path, names: Sequence[str], timeout: float) -> list[dict[str, Any]]:
    """The harness's output for ``names``, run by ``python`` as it is; RuntimeError with its last lines if it fails."""
    with tempfile.TemporaryDirectory(prefix="tfmatrix-check-") as scratch:
        command = [python, str(probes_dir / HARNESS), "--out", scratch, *names]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            message = f"{python} could not run the probes: {exc}"
            raise RuntimeError(message) from None
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            message = f"the probes failed in {python} (exit {done.returncode}): {tail}"
            raise RuntimeError(message)
        return [json.loads((Path(scratch) / f"{name}.json").read_text(encoding="utf-8")) for name in names]


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
        if not set(mine) <= set(theirs) or environment["status"] != "ok":
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
