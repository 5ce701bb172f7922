"""The matrix as a static page, ``reports/page/``: pick your versions, see what every recipe does on them.

Everything the page shows is worked out here, from the matrix summary and the release days, by the code
``tfmatrix lookup`` answers with: the page's script only displays it (as text, never as HTML). The folder
is self-contained (no network, no CDN) and opens from ``file://``: the data is a script, not a fetch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from packaging.version import Version

from tfmatrix import lookup
from tfmatrix.kinds import TRACKS
from tfmatrix.lookup import Summary
from tfmatrix.vocabulary import repro_command

ReleaseDates = Mapping[str, Mapping[str, str]]  # distribution -> version -> day

FOLDER = "page"
ASSETS = ("index.html", "page.css", "page.js")  # as the package ships them, in tfmatrix/page_assets
DATA = "data.js"


def assets() -> dict[str, str]:
    """The page's fixed files: its HTML, style and script."""
    folder = resources.files("tfmatrix").joinpath("page_assets")
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in ASSETS}


def versions(summary: Summary, track: str, dates: ReleaseDates) -> list[str]:
    """The releases one can pick on ``track``: every final release the matrix knows of (probed, or dated
    while pinpointing) from its first probed release on that the track answers for, oldest first."""
    probed = [env for env in summary["environments"] if env["track"] == track]
    known = {env["version"] for env in probed}
    for distribution in {env["distribution"] for env in probed}:
        known |= set(dates.get(distribution, {}))
    first = min(Version(env["version"]) for env in probed)
    offered = sorted({Version(v) for v in known})
    return [str(v) for v in offered if not v.is_prerelease and v >= first and TRACKS[track].answers(str(v))]


def data(summary: Summary, dates: ReleaseDates) -> dict[str, Any]:
    """What the page shows: per setup, each release's answer (as ``lookup`` gives it, each distinct answer
    once), and what a click on a cell opens: the cases, fixes and change points behind it."""
    envs = summary["environments"]
    answers: dict[str, int] = {}
    fixes: dict[str, int] = {}  # every fix once: the answers and the questions name them by number
    setups = []
    for track in (track for track in TRACKS.values() if track.asks):
        if not any(env["track"] == track.name for env in envs):
            continue
        picks = []
        for version in versions(summary, track.name, dates):
            found = compact(lookup.answer(summary, track.name, Version(version), version), fixes)
            picks.append([version, interned(answers, found)])
        setup = {
            "track": track.name,
            "asks": dict(track.asks),
            "answers": track.versions,  # the versions it answers for: "<3" (standalone Keras 2); "": any
            "title": track.title,
            "named": track.named,
        }
        setups.append({**setup, "versions": picks})
    findings: dict[str, int] = {}
    cases = {
        question["id"]: {
            case: [interned(findings, by_env[env["id"]]) if env["id"] in by_env else -1 for env in envs]
            for case, by_env in question["cases"].items()
        }
        for question in summary["questions"]
    }
    return {
        "probed_on": max((env["probed_on"] for env in envs if env["probed_on"]), default=None),
        "setups": setups,
        "answers": [json.loads(key) for key in answers],
        "environments": [
            {k: env[k] for k in ("id", "label", "track", "version", "released_on", "status")} for env in envs
        ],
        "questions": [
            {
                **{k: question[k] for k in ("id", "probe", "question", "means", "reports")},
                "leads": {env: lookup.lead(counts) for env, counts in question["outcomes"].items()},
                "outcomes": question["outcomes"],
                "fixes": {env: [interned(fixes, fix) for fix in found] for env, found in question["fixes"].items()},
            }
            for question in lookup.ordered(summary["questions"])
        ],
        "findings": [json.loads(key) for key in findings],
        "fixes": [json.loads(key) for key in fixes],
        "cases": cases,
        "changes": {change["id"]: change for change in summary["change_points"]},
        "repro": repro_command("CASE", "VARIANT", "PROBE"),
    }


def interned(table: dict[str, int], value: Any) -> int:
    """The number of ``value`` in ``table`` (JSON text -> number), added where it is new."""
    return table.setdefault(json.dumps(value, sort_keys=True, ensure_ascii=False), len(table))


def compact(found: dict[str, Any], fixes: dict[str, int]) -> dict[str, Any]:
    """``lookup``'s answer without what the page has once elsewhere: the question's words, a fix's, a change's."""
    kept = ("id", "verdict", "counts", "note", "guess")
    return {
        "answered_from": found["answered_from"],
        "probed": found.get("probed", ""),
        "problem": found.get("problem", ""),
        "recipes": [
            {**{k: r[k] for k in kept}, "fixes": [interned(fixes, fix) for fix in r["fixes"]]} for r in found["recipes"]
        ],
        "upgrade": [{k: c[k] for k in ("change", "where", "version")} for c in found["upgrade"]],
    }


def query(track: str, version: str) -> str:
    """The part of the page's URL that picks ``version`` on ``track``: ``tf=2.15.0``, ``keras=3.8.0&backend=jax``."""
    return urlencode({name: value or version for name, value in TRACKS[track].asks})


def files(summary: Summary, dates: ReleaseDates) -> dict[str, str]:
    """Every file of the page's folder, by name."""
    found = data(summary, dates)
    script = "window.TFMATRIX = " + json.dumps(found, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + ";\n"
    return {**assets(), DATA: script}
