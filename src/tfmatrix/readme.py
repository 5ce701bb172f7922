"""The README's generated sections, rewritten by ``tfmatrix report --readme``: never kept by hand.

- ``grid``: the commonest ways of doing the recipes on a handful of common setups, each cell the case's
  verdict there, linking to the page with that setup picked;
- ``probes``: one row per probe, from its metadata, linking to its reports.

Each lives between ``<!-- tfmatrix:NAME -->`` and ``<!-- tfmatrix:NAME end -->``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from packaging.version import Version

from tfmatrix import escape, page
from tfmatrix.kinds import KINDS, TRACKS, report_name
from tfmatrix.lookup import Summary
from tfmatrix.probes import Probe
from tfmatrix.vocabulary import SYMBOLS, State

# The ways people most often do the recipes: (question, case, how the README names it). A test holds
# each to a case of matrix.json.
RECIPES = (
    (
        "finetune/unfreeze",
        "unfreeze/all/new_optimizer/fit",
        "Fine-tuning, phase 2: unfreeze the whole base (it has a BatchNormalization, as the guide's), `compile()` "
        "with a new optimizer, `fit()`",
    ),
    ("finetune/unfreeze", "unfreeze/all/none/fit", "The same, without compiling again"),
    (
        "freeze/timing",
        "sequential/layer/compile_then_freeze/fit/dense/adam/false",
        "Freeze a layer after `compile()`, then `fit()`",
    ),
    (
        "freeze/timing",
        "sequential/layer/compile_freeze_recompile/fit/dense/adam/false",
        "The same, with `compile()` again after the freeze",
    ),
    ("gan/recipe", "faq/false", "The FAQ's GAN: discriminator frozen before compiling the combined model"),
    ("callback/unfreeze", "trainable/false", "Unfreeze from a callback mid-`fit()` (`trainable = True` alone)"),
    (
        "saving/saving",
        "h5/freeze_then_compile",
        "Save a compiled model with a frozen layer to `.h5`, then `load_model(path)`",
    ),
)
PAGE = "reports/page/index.html"


def setups(summary: Summary) -> list[tuple[dict[str, Any], str]]:
    """(environment, column title) of the common setups the matrix has: the newest TF 1.x in graph mode, the
    first and the last TensorFlow of each Keras (tf.keras 2 up to 2.15, Keras 3 from 2.16), the newest with tf-keras, the newest Keras on jax
    and on torch."""
    envs = [env for env in summary["environments"] if env["status"] == State.OK or env["findings_from"]]

    def on(track: str, keras: str = "") -> list[dict[str, Any]]:
        found = [env for env in envs if env["track"] == track and str(env["keras"] or "").startswith(keras)]
        return sorted(found, key=lambda env: Version(env["version"]))

    runs = [
        ("TF {} graph", on("graph")[-1:]),
        *(("TF {}", run) for run in (on("bundled")[:1], on("bundled", "2.")[-1:], on("bundled")[-1:])),
        ("TF + tf-keras {}", on("tf-keras")[-1:]),
        *((f"Keras {{}} {backend}", on(f"keras-{backend}")[-1:]) for backend in ("jax", "torch")),
    ]
    chosen = {env["id"]: (env, title.format(env["version"]) + caveat(env)) for title, run in runs for env in run}
    return list(chosen.values())  # a TensorFlow that is both first and last: once


def caveat(env: dict[str, Any]) -> str:
    """A word on how the setup ran, where its track has one for its version: " (eager)" for TF 1.x run eagerly."""
    word = TRACKS[env["track"]].caveat(env["version"])[0] if env["track"] in TRACKS else ""
    return f" ({word})" if word else ""


def cell(env: dict[str, Any], by_env: dict[str, Any]) -> str:
    """A case's verdict on a setup's environment (``by_env``: the case's findings per environment), as a symbol
    linking to the page with that setup."""
    said = by_env[env["id"]]["verdict"].split(" ", 1)[-1] if env["id"] in by_env else ""
    symbol = SYMBOLS.get(said, "—")  # n/a, or not probed there
    return f"[{symbol}]({PAGE}?{page.query(env['track'], env['version'])})"


def grid(summary: Summary) -> str:
    """The compact grid: the commonest ways of doing the recipes (rows) on common setups (columns) the matrix has."""
    columns = setups(summary)
    cases = {q["id"]: q["cases"] for q in summary["questions"]}
    recipes = [(question, case, label) for question, case, label in RECIPES if case in cases.get(question, {})]
    if not columns or not recipes:
        return "*No probed environment has these recipes yet: `nox -t matrix` probes them.*"
    head = ["| Recipe | " + " | ".join(title for _, title in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    rows = [
        f"| {escape.markdown_prose(label)} | "
        + " | ".join(cell(env, cases[question][case]) for env, _ in columns)
        + " |"
        for question, case, label in recipes
    ]
    return "\n".join([*head, *rows])


def probes_table(probes: Mapping[str, Probe], summary: Summary) -> str:
    """One row per probe: what it asks, how many questions, and its reports (one per view it has results in)."""
    kinds = [kind for kind in KINDS if kind in {env["kind"] for env in summary["environments"]}]
    lines = ["| Probe | What it asks | Questions | Reports |", "|---|---|---|---|"]
    for name, probe in probes.items():
        reports = {report_name(name, kind): KINDS[kind].VIEW_TITLE for kind in kinds}
        links = ", ".join(f"[{title}](reports/{report})" for report, title in reports.items())
        lines.append(f"| `{name}` | {escape.markdown_prose(probe.title)} | {len(probe.groups)} | {links} |")
    return "\n".join(lines)


def rewritten(text: str, sections: Mapping[str, str]) -> str:
    """``text`` (the README) with each generated section between its markers replaced; one without markers
    is left alone."""
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- tfmatrix:{name} -->\n)(?:.*?\n)?(<!-- tfmatrix:{name} end -->)", re.DOTALL)
        text = pattern.sub(functools.partial(between, body=body), text)
    return text


def between(found: re.Match[str], body: str) -> str:
    return found[1] + body + "\n" + found[2]


def sections(summary: Summary, probes: Mapping[str, Probe]) -> dict[str, str]:
    return {"grid": grid(summary), "probes": probes_table(probes, summary)}
