"""Tables -> one markdown report: change points first, then the matrices, then the releases."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from packaging.version import Version
from tabulate import tabulate

from tfmatrix import aggregate
from tfmatrix.explanations import Explanation
from tfmatrix.results import Result

WEIGHT_SYMBOLS = {
    aggregate.HELD: "✅ held",
    aggregate.IGNORED: "❌ trained",
    aggregate.PARTIAL: "⚠️ partly trained",
    aggregate.STALLED: "⚠️ stalled",
    aggregate.ERROR: "💥 error",
    aggregate.NOT_APPLICABLE: "n/a",
    aggregate.FLAKY: "🎲 flaky",
    **{state: f"⛔ {state}" for state in aggregate.FAILED_STATES},
}
LEGEND = {
    aggregate.HELD: "the frozen weights did not move; every other weight did",
    aggregate.IGNORED: "every frozen weight moved anyway: `trainable = False` had no effect on training",
    aggregate.PARTIAL: "some frozen weights moved",
    aggregate.STALLED: "the frozen weights held, but a weight that should train did not move",
    aggregate.ERROR: "the case raised an exception (see the result file)",
    aggregate.NOT_APPLICABLE: "the release lacks what the case needs (e.g. `compile(run_eagerly=...)`)",
    aggregate.FLAKY: "the outcome differed between repeats of the case (`--repeat N`); never counted as a change",
}
AXIS_HEADERS = {
    "api": "API",
    "target": "frozen",
    "order": "order",
    "train_api": "training step",
    "layer": "layer",
    "optimizer": "optimizer",
    "run_eagerly": "run_eagerly",
}
ASPECT_NAMES = {"weights": "weights", "printed": "summary() printed", "batchnorm": "BatchNorm"}
# The grid: each group of cases answers one question (probes/freeze_probe.py, grid()).
QUESTIONS = {
    "seed": (
        "The seed notebook's cases",
        "{Sequential, Functional} × {whole model, middle layer} × {freeze then compile, compile then freeze}, "
        "`train_on_batch`, Adam.",
    ),
    "timing": (
        "Does freezing take effect, whenever you freeze and however you train?",
        "Sequential, middle Dense layer, Adam: every `order` × every training step (`train_on_batch`, `fit`, "
        "a `tf.GradientTape` loop over `model.trainable_variables` as the reference) × `run_eagerly` off and on.",
    ),
    "nested": (
        "Does a frozen sub-model stay frozen inside an outer model?",
        "A Sequential sub-model (Dense 7 → Dense 4) used as a layer in a Sequential or Functional outer model "
        "with Dense 1 on top; the sub-model is frozen; every `order`; `train_on_batch`.",
    ),
    "subclassed": (
        "Do subclassed models behave like Sequential and Functional ones?",
        "A `keras.Model` subclass with the same three Dense layers; whole model or middle layer; "
        "freeze then compile, compile then freeze; `train_on_batch`.",
    ),
    "batchnorm": (
        "Does a frozen BatchNormalization update its statistics?",
        "Dense 7 → BatchNormalization → Dense 1, batches of 8, the BatchNormalization frozen; "
        "`train_on_batch` and `fit`. Cells add whether its moving mean/variance changed during the step and "
        "whether, after the freeze, `model(x, training=True)` equals `model(x, training=False)` (inference mode).",
    ),
    "momentum": (
        "Does momentum from an earlier step keep moving a frozen weight?",
        "SGD with momentum 0.9: freeze after a first training step (only the second step is judged) "
        "against freeze then compile; every training step.",
    ),
}
ERROR_LINE = re.compile(r"^\s*(cause: |error: |Fatal Python error|[\w.]*(Error|Exception|Exit):)")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|#])")


def escape(text: object) -> str:
    """Make text from a result safe inside a markdown table cell: one line, no markup, no HTML."""
    one_line = " ".join(str(text).split())
    html_safe = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", html_safe)


def code(text: object) -> str:
    """Inline code for identifiers we generate (case ids): backticks cannot occur in them."""
    return "`" + str(text).replace("`", "") + "`"


def table(frame: pd.DataFrame) -> str:
    columns = frame.to_dict(orient="list")
    return str(tabulate(columns, headers="keys", tablefmt="github", disable_numparse=True))


def render(results: list[Result], known: Sequence[Explanation] = ()) -> str:
    """The whole report; ``known`` explanations are attached to the change points they match."""
    frame = aggregate.cases_frame(results)
    failed = [result for result in results if result["status"] != "ok"]
    sections = [header(results)]
    if failed:
        sections.append(failures_section(failed))
    if len(frame):  # some attempt succeeded
        sections += [
            change_points_section(frame, known),
            grid_section(frame),
            *[question_section(frame, group, known) for group in QUESTIONS if group in set(frame["group"])],
            summary_section(frame[frame["group"] == "seed"]),
        ]
    sections.append(releases_section(results))
    return "\n\n".join(sections) + "\n"


def failures_section(failed: list[Result]) -> str:
    """The attempts that produced no findings, and the end of the error each one met."""
    rows = [
        {
            "release": escape(aggregate.release_label(result)),
            "state": f"**{result['status']}**",
            "step": result["failure"]["phase"],
            "how it ended": escape(result["failure"]["exit"]),
            "error": escape(headline(result["failure"]["message"])),
        }
        for result in failed
    ]
    return "\n".join(
        [
            "## Failed attempts",
            "",
            (
                "These variants have no findings in this report: installing, importing or probing them failed. "
                "Their result files in `reports/results/` hold up to 20 lines of the error. "
                "A failed attempt is tried again on the next run."
            ),
            "",
            table(pd.DataFrame(rows)),
        ]
    )


def headline(message: str, limit: int = 200) -> str:
    """The line that names the error: the last exception, fatal error or resolver cause; else the last line."""
    lines = message.strip().splitlines() or [""]
    line = next((line.strip() for line in reversed(lines) if ERROR_LINE.match(line)), lines[-1])
    return line if len(line) <= limit else line[: limit - 1] + "…"


def header(results: list[Result]) -> str:
    bundled = [r["release"]["version"] for r in results if r["release"]["flavour"] == "bundled"]
    versions = bundled or [r["release"]["version"] for r in results]
    first, last = versions[0], max(versions, key=Version)
    variants_of = {r["release"]["flavour"] for r in results}
    digests = sorted({r["probe"]["sha256"][:12] for r in results})
    return "\n".join(
        [
            "# Freeze matrix: does `trainable = False` stop training?",
            "",
            (
                f"Generated by `nox -t matrix` from {len(results)} result files in `reports/results/`: "
                f"TensorFlow {escape(first)} to {escape(last)}"
                f"{' (from 2.16 also with tf-keras)' if 'tf-keras' in variants_of else ''}"
                f"{' and the newest nightly build' if 'nightly' in variants_of else ''}, "
                "each installed in its own virtual environment "
                "with its dependencies resolved as the package index stood shortly after the release "
                "(see [Releases](#releases)). "
                f"Probe `probes/freeze_probe.py`, sha256 {', '.join(digests)}."
            ),
            "",
            (
                "Every case builds a small model (the seed notebook's Dense 7 → Dense 4 → Dense 1 on 3 inputs, "
                "or a variation of it), sets `trainable = False` on the whole model, one layer or a sub-model, "
                "trains, and records which weights moved, what `model.summary()` printed and every warning. "
                "The [grid](#grid) lists the questions the cases answer."
            ),
        ]
    )


def change_line(change: aggregate.ChangePoint) -> str:
    before, after = change.before, change.after
    if change.aspect == "weights":
        before, after = WEIGHT_SYMBOLS[before], WEIGHT_SYMBOLS[after]
    return (
        f"- In **{escape(change.release)}** (after {escape(change.previous)}), {code(change.case)} "
        f"{ASPECT_NAMES[change.aspect]}: {escape(before)} → **{escape(after)}**"
    )


def case_axes(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return {
        str(row["case"]): {axis: str(row[axis]) for axis in aggregate.AXES}
        for _, row in frame.drop_duplicates("case").iterrows()
    }


def explanation_for(
    change: aggregate.ChangePoint, axes: dict[str, dict[str, str]], known: Sequence[Explanation]
) -> Explanation | None:
    return next((e for e in known if e.explains(change.release, change.aspect, axes[change.case])), None)


def change_points_section(frame: pd.DataFrame, known: Sequence[Explanation]) -> str:
    changes = aggregate.change_points(frame)
    lines = [
        "## Change points",
        "",
        (
            "Each release is compared with the one before it on the same track (as shipped, or with tf-keras): "
            "a change first seen in a release happened somewhere after the release named beside it."
        ),
    ]
    if not changes:
        return "\n".join([*lines, "", "No case behaves differently in any release than in the one before it."])
    axes = case_axes(frame)
    by_explanation = [(e, [c for c in changes if explanation_for(c, axes, known) is e]) for e in known]
    for explanation, matched in by_explanation:
        if not matched:
            continue
        lines += ["", f"### {escape(explanation.release)}: {explanation.summary}", ""]
        lines += [change_line(c) for c in matched]
        lines += ["", f"**What to do:** {explanation.advice}", "", "**Evidence:**", ""]
        lines += [f"- {item}" for item in explanation.evidence]
    unexplained = [c for c in changes if explanation_for(c, axes, known) is None]
    if unexplained:
        lines += ["", "### Not yet explained", ""]
        lines += [change_line(c) for c in unexplained]
    return "\n".join(lines)


def with_axes(frame: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Prefix the matrix with the axes that vary between its rows."""
    axes = frame.drop_duplicates("case").set_index("case").loc[matrix.index, list(aggregate.AXES)]
    varying = [axis for axis in aggregate.AXES if len(set(axes[axis])) > 1]
    labelled = axes[varying].map(escape).rename(columns=AXIS_HEADERS)
    return pd.concat([labelled, matrix], axis=1)


def grid_section(frame: pd.DataFrame) -> str:
    cases = frame.drop_duplicates("case")
    rows = [
        {"question": f"[{title}](#{anchor(title)})", "cases": str(int((cases["group"] == group).sum())), "grid": grid}
        for group, (title, grid) in QUESTIONS.items()
    ]
    legend = [f"- {WEIGHT_SYMBOLS[key]}: {text}" for key, text in LEGEND.items()]
    failed = ", ".join(WEIGHT_SYMBOLS[state] for state in aggregate.FAILED_STATES)
    legend.append(f"- {failed}: the attempt failed and the release has no findings; see *Failed attempts*")
    return "\n".join(
        [
            "## Grid",
            "",
            "Each group of cases answers one question. Every case starts from a fresh model with fixed seeds; "
            "a weight *moved* if it is not `numpy.allclose` to its value before the judged training step.",
            "",
            table(pd.DataFrame(rows)),
            "",
            "In the matrices, one column stands for a run of consecutive releases that behave the same in every "
            "case of the table. Columns marked tf-keras ran with the legacy Keras 2 package "
            "(`TF_USE_LEGACY_KERAS=1`), which exists from TensorFlow 2.16.",
            "",
            *legend,
        ]
    )


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def question_section(frame: pd.DataFrame, group: str, known: Sequence[Explanation]) -> str:
    title, _ = QUESTIONS[group]
    rows = frame[frame["group"] == group]
    symbols = rows["weights"].map(WEIGHT_SYMBOLS)
    plain = (rows["batchnorm"] == "") | rows["weights"].isin(aggregate.FAILED_STATES)
    cells = symbols.where(plain, symbols + " · " + rows["batchnorm"])
    matrix = aggregate.release_ranges(rows.assign(cell=cells), "cell")
    changes = [c for c in aggregate.change_points(rows) if c.aspect != "printed"]
    lines = [f"## {title}", ""]
    lines += [change_line(c) for c in changes] or ["No change between releases."]
    axes = case_axes(rows)
    advice = {e.advice: e for c in changes if (e := explanation_for(c, axes, known))}
    if advice:
        lines += ["", *[f"- *What to do* ({e.release}): {e.advice} ([why](#change-points))" for e in advice.values()]]
    return "\n".join([*lines, "", table(with_axes(rows, matrix))])


def summary_section(frame: pd.DataFrame) -> str:
    cells = frame.assign(
        shown=[
            escape(p) if p == c else f"⚠️ {escape(p)} (weights: {escape(c)})"
            for p, c in zip(frame["printed"], frame["computed"], strict=True)
        ]
    )
    matrix = aggregate.release_ranges(cells, "shown")
    return "\n".join(
        [
            "## What `model.summary()` printed",
            "",
            (
                "For the seed notebook's cases. Total / trainable / non-trainable parameters as printed, parsed from the summary text. "
                "⚠️ marks a summary that disagrees with `model.trainable_weights` / `model.non_trainable_weights` "
                "at the same moment; those counts follow in parentheses."
            ),
            "",
            table(with_axes(frame, matrix)),
        ]
    )


def releases_section(results: list[Result]) -> str:
    rows = []
    for result in results:
        env = result["environment"]
        statuses = [case["status"] for case in result["cases"]]
        rows.append(
            {
                "release": escape(aggregate.release_label(result)),
                "distribution": escape(result["release"]["distribution"]),
                "Python": escape(env.get("python", result["release"]["python"])),
                "Keras": escape(env.get("keras", "-")),
                "tf.keras is": escape(env.get("keras_flavour", "-")),
                "numpy": escape(env.get("numpy", env["packages"].get("numpy", "-"))),
                "resolved as of": escape(env["resolved_as_of"]),
                "tf-keras resolved as of": escape(env["tf_keras_resolved_as_of"] or "n/a"),
                "cases": ", ".join(
                    f"{statuses.count(s)} {s}" for s in ("ok", "error", "not_applicable") if s in statuses
                )
                or f"none: **{result['status']}**",
                "note": "graph mode by default; probe enabled eager" if env.get("eager_enabled_by_probe") else "",
            }
        )
    return "\n".join(["## Releases", "", table(pd.DataFrame(rows))])
