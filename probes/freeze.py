"""Freeze probe: what does ``trainable = False`` really do in this TensorFlow?

Builds small models (the seed notebook's Dense 7 -> Dense 4 -> Dense 1 on 3 inputs, or a variation
of it), sets ``trainable = False`` on the whole model, one layer or a sub-model, trains, and records
which weights moved, what ``model.summary()`` printed and every warning. Runs on the harness
(``_harness.py``) inside one release's environment: standard library, numpy and the framework only,
valid Python 3.7.

Usage: python freeze.py --describe | python freeze.py --out DIR [--repeat N]
"""

from __future__ import annotations

import inspect
import re
import sys

import _harness
import _keras as fw
import numpy as np

NAME = "freeze"
TITLE = "Freeze matrix: does `trainable = False` stop training?"
DESCRIPTION = (
    "Every case builds a small model (the seed notebook's Dense 7 → Dense 4 → Dense 1 on 3 inputs, "
    "or a variation of it), sets `trainable = False` on the whole model, one layer or a sub-model, "
    "trains, and records which weights moved, what `model.summary()` printed and every warning. "
    "A weight *moved* if it is not `numpy.allclose` to its value before the judged training step."
)
# Axis order is case-id order. The seed's cases carry only the first four axes, so their ids stay
# exactly as the seed notebook's matrix first published them.
AXES = {
    "api": {"title": "API", "values": ["sequential", "functional", "subclassed"]},
    "target": {
        "title": "frozen",
        "values": ["model", "layer", "nested", "constructor"],
        "description": "model: model.trainable = False; layer: the middle layer (Dense or BatchNormalization); "
        "nested: a Sequential sub-model used as a layer; constructor: the middle layer built frozen, "
        "Dense(4, trainable=False) (keras-team/keras#19432).",
    },
    "order": {
        "title": "order",
        "values": [
            "freeze_then_compile",
            "compile_then_freeze",
            "freeze_after_first_step",
            "compile_freeze_recompile",
            "unfreeze_without_recompile",
        ],
    },
    "train_api": {
        "title": "training step",
        "values": ["train_on_batch", "fit", "custom_loop"],
        "description": "custom_loop: a hand-written loop over model.trainable_variables (tf.GradientTape; with "
        "Keras 3 on jax, jax.grad of stateless_call; on torch, backward()) + the optimizer's apply_gradients, the "
        "reference.",
    },
    "layer": {"title": "layer", "values": ["dense", "batchnorm"]},
    "optimizer": {"title": "optimizer", "values": ["adam", "sgd_momentum"]},
    "run_eagerly": {"title": "run_eagerly", "values": ["false", "true"]},
}
GROUPS = {
    "seed": {
        "question": "The seed notebook's cases",
        "grid": "{Sequential, Functional} × {whole model, middle layer} × {freeze then compile, compile then freeze}, "
        "`train_on_batch`, Adam.",
    },
    "timing": {
        "question": "Does freezing take effect, whenever you freeze and however you train?",
        "grid": "Sequential, middle Dense layer, Adam: every `order` × every training step (`train_on_batch`, `fit`, "
        "a hand-written loop over `model.trainable_variables` as the reference) × `run_eagerly` off and on.",
    },
    "nested": {
        "question": "Does a frozen sub-model stay frozen inside an outer model?",
        "grid": "A Sequential sub-model (Dense 7 → Dense 4) used as a layer in a Sequential or Functional outer model "
        "with Dense 1 on top; the sub-model is frozen; every `order`; `train_on_batch`.",
    },
    "subclassed": {
        "question": "Do subclassed models behave like Sequential and Functional ones?",
        "grid": "A `keras.Model` subclass with the same three Dense layers; whole model or middle layer; "
        "freeze then compile, compile then freeze; `train_on_batch`.",
    },
    "constructor": {
        "question": "Does a layer frozen in its constructor stay frozen?",
        "grid": "Sequential, middle layer `Dense(4, trainable=False)`, then `compile()`; every training step.",
    },
    "batchnorm": {
        "question": "Does a frozen BatchNormalization update its statistics?",
        "grid": "Dense 7 → BatchNormalization → Dense 1, batches of 8, the BatchNormalization frozen; "
        "`train_on_batch` and `fit`. Cells add whether its moving mean/variance changed during the step and "
        "whether, after the freeze, `model(x, training=True)` equals `model(x, training=False)` (inference mode).",
    },
    "momentum": {
        "question": "Does momentum from an earlier step keep moving a frozen weight?",
        "grid": "SGD with momentum 0.9: freeze after a first training step (only the second step is judged) "
        "against freeze then compile; every training step.",
    },
}
# What training did to the weights, judged against what the case froze.
HELD, IGNORED, PARTIAL, STALLED, ERROR, NOT_APPLICABLE = "held", "ignored", "partial", "stalled", "error", "n/a"
ASPECTS = {
    "weights": {
        "title": "weights",
        "matrix": True,
        "symbols": {
            HELD: "✅ held",
            IGNORED: "❌ trained",
            PARTIAL: "⚠️ partly trained",
            STALLED: "⚠️ stalled",
            ERROR: "💥 error",
            NOT_APPLICABLE: "n/a",
        },
        "legend": {
            HELD: "the frozen weights did not move; every other weight did",
            IGNORED: "every frozen weight moved anyway: `trainable = False` had no effect on training",
            PARTIAL: "some frozen weights moved",
            STALLED: "the frozen weights held, but a weight that should train did not move",
            ERROR: "the case raised an exception (see the result file)",
            NOT_APPLICABLE: "the release lacks what the case needs (e.g. `compile(run_eagerly=...)`)",
        },
    },
    "printed": {
        "title": "summary() printed",
        "section": {
            "title": "What `model.summary()` printed",
            "groups": ["seed"],
            "cell": "printed_vs_weights",
            "text": "For the seed notebook's cases. Total / trainable / non-trainable parameters as printed, "
            "parsed from the summary text. ⚠️ marks a summary that disagrees with `model.trainable_weights` / "
            "`model.non_trainable_weights` at the same moment; those counts follow in parentheses.",
        },
    },
    "batchnorm": {"title": "BatchNorm", "matrix": True},
}
WEIGHTS_PARTS = {
    "frozen_held": {"means": "the frozen weights do not train", "wrong": "frozen weights train"},
    "others_trained": {"means": "every other weight trains", "wrong": "a weight that should train does not"},
}
FIXES = [
    {
        "do": "Call `compile()` again, with a new optimizer, after every change to `trainable`.",
        "case": {"order": "compile_freeze_recompile"},
    },
    {  # not for a freeze after training, nor an unfreeze: those cannot come before compile()
        "do": "Set `trainable` before `compile()`.",
        "case": {"order": "freeze_then_compile"},
        "for": {"order": "compile_then_freeze"},
    },
    {
        "do": "Set `trainable` on the layer after building it, not in its constructor.",
        "case": {"target": "layer"},
        "for": {"target": "constructor"},  # only a layer built frozen is frozen the same way by the attribute
    },
    {
        "do": "Train with a hand-written loop over `model.trainable_variables`.",
        "case": {"train_api": "custom_loop"},
    },
]
INTENT = {
    group: {
        "means": "The frozen weights do not train; every other weight does.",
        "parts": WEIGHTS_PARTS,
        "fixes": FIXES,
    }
    for group in GROUPS
}
INTENT["timing"]["means"] = (
    "The frozen weights do not train in the judged step; every other weight does. Unfrozen without a recompile, "
    "the layer trains again."
)
INTENT["batchnorm"] = {
    "means": "The frozen BatchNormalization's parameters and moving statistics stay still; every other weight trains.",
    "parts": dict(
        WEIGHTS_PARTS,
        statistics_still={
            "means": "the frozen BatchNormalization's moving statistics stay still",
            "wrong": "the frozen BatchNormalization's moving statistics update",
        },
    ),
    "fixes": [
        *FIXES,
        {
            "do": "Call the BatchNormalization with `training=False` yourself (TF 1.x runs it in training mode).",
            "case": None,
        },
    ],
}
# The Dense right before a BatchNormalization: where the BatchNormalization normalises with the batch's statistics,
# the gradient of this bias is zero, and only float noise (scaled up by Adam) can move it. Not evidence.
FEEDS_BATCHNORM = "dense"
FIELDS = {
    "frozen_layers": [],
    "weights": [],
    "summary_text": None,
    "summary_printed": None,
    "summary_computed": None,
    "weight_order_before": [],
    "weight_order_after": [],
    "batchnorm": None,
}
BASELINE = {"layer": "dense", "optimizer": "adam", "run_eagerly": "false"}
ORDERS = {
    "freeze_then_compile": ("freeze", "compile", "summary", "train"),
    "compile_then_freeze": ("compile", "freeze", "summary", "train"),
    # The question is whether the *second* step moves the frozen weights: "mark" resets the baseline.
    "freeze_after_first_step": ("compile", "train", "mark", "freeze", "summary", "train"),
    "compile_freeze_recompile": ("compile", "freeze", "compile", "summary", "train"),
    "unfreeze_without_recompile": ("freeze", "compile", "unfreeze", "summary", "train"),
}
TRAIN_APIS = ("train_on_batch", "fit", "custom_loop")


setup = fw.load
reset = fw.fresh_session


def case(group, **axes):
    full = dict(BASELINE)
    full.update(axes)
    return {"group": group, "axes": full}


def cases():
    """Every case, grouped by the question it answers. See the report's "Grid" section."""
    found = []
    # The seed notebook's eight cases, in the notebook's order, with the seed's four axes only.
    for order in ("freeze_then_compile", "compile_then_freeze"):
        for target in ("model", "layer"):
            for api in ("sequential", "functional"):
                axes = {"api": api, "target": target, "order": order, "train_api": "train_on_batch"}
                found.append({"group": "seed", "axes": axes})
    # When you freeze x how you train x run_eagerly: the interactions users hit most.
    for order in ORDERS:
        for train_api in TRAIN_APIS:
            for run_eagerly in ("false", "true"):
                found.append(
                    case(
                        "timing",
                        api="sequential",
                        target="layer",
                        order=order,
                        train_api=train_api,
                        run_eagerly=run_eagerly,
                    )
                )
    # Transfer learning: a whole sub-model frozen inside an outer model.
    for api in ("sequential", "functional"):
        for order in ORDERS:
            found.append(case("nested", api=api, target="nested", order=order, train_api="train_on_batch"))
    # Subclassed models, against the seed's sequential/functional baseline.
    for target in ("model", "layer"):
        for order in ("freeze_then_compile", "compile_then_freeze"):
            found.append(case("subclassed", api="subclassed", target=target, order=order, train_api="train_on_batch"))
    # A layer built frozen, Dense(4, trainable=False): frozen before compile() by construction.
    for train_api in TRAIN_APIS:
        found.append(
            case(
                "constructor", api="sequential", target="constructor", order="freeze_then_compile", train_api=train_api
            )
        )
    # A frozen BatchNormalization: parameters, moving statistics and inference mode.
    for order in ("freeze_then_compile", "compile_then_freeze"):
        for train_api in ("train_on_batch", "fit"):
            found.append(
                case("batchnorm", api="sequential", target="layer", order=order, train_api=train_api, layer="batchnorm")
            )
    # Momentum carried from an earlier step.
    for train_api in TRAIN_APIS:
        for order in ("freeze_after_first_step", "freeze_then_compile"):
            found.append(
                case(
                    "momentum",
                    api="sequential",
                    target="layer",
                    order=order,
                    train_api=train_api,
                    optimizer="sgd_momentum",
                )
            )
    return found


def middle_layer(kind, target):
    layers = fw.keras.layers
    if kind == "batchnorm":
        return layers.BatchNormalization()
    return layers.Dense(4, trainable=False) if target == "constructor" else layers.Dense(4)


def make_model(axes):
    keras = fw.keras
    Dense = keras.layers.Dense
    api, target, kind = axes["api"], axes["target"], axes.get("layer", "dense")
    if target == "nested":
        inner = keras.models.Sequential([Dense(7, input_dim=3), Dense(4)], name="inner")
        if api == "functional":
            x = keras.layers.Input((3,))
            return keras.models.Model(inputs=x, outputs=Dense(1)(inner(x)))
        return fw.built(keras.models.Sequential([inner, Dense(1)]), 3)
    if api == "functional":
        x = keras.layers.Input((3,))
        y = Dense(7)(x)
        y = Dense(4)(y)
        y = Dense(1)(y)
        return keras.models.Model(inputs=x, outputs=y)
    if api == "subclassed":
        can_subclass_model()
        model = subclassed_model_class()()
        fw.create_weights(model, np.zeros((1, 3), dtype="float32"))
        return model
    return keras.models.Sequential([Dense(7, input_dim=3), middle_layer(kind, target), Dense(1)])


def can_subclass_model():
    """Whether keras.Model can be subclassed: up to Keras 2.1 its __init__ needs the inputs and outputs."""
    inputs = inspect.signature(fw.keras.Model.__init__).parameters.get("inputs")
    if inputs is not None and inputs.default is inputs.empty:
        raise _harness.NotApplicable("Model.__init__ needs inputs and outputs: a Model cannot be subclassed")


def subclassed_model_class():
    keras = fw.keras

    class ThreeDense(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = keras.layers.Dense(7)
            self.middle = keras.layers.Dense(4)
            self.last = keras.layers.Dense(1)

        def call(self, inputs, training=None):  # noqa: ARG002 - Keras passes training=
            return self.last(self.middle(self.first(inputs)))

    return ThreeDense


def targets_of(model, target):
    """What the case sets ``trainable`` on: the model, the middle layer, or the nested sub-model."""
    if target == "model":
        return [model]
    layers = [layer for layer in model.layers if layer.weights]
    if target == "nested":
        return [layer for layer in layers if layer.name == "inner"]
    return [layers[1]]  # the middle layer, frozen by attribute or built frozen


def count_params(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def computed_counts(model):
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}


SUMMARY_COUNTS = {
    "total": re.compile(r"^\s*Total params:\s*([\d,]+)", re.MULTILINE),
    "trainable": re.compile(r"^\s*Trainable params:\s*([\d,]+)", re.MULTILINE),
    "non_trainable": re.compile(r"^\s*Non-trainable params:\s*([\d,]+)", re.MULTILINE),
}


def printed_counts(text):
    counts = {}
    for key, pattern in SUMMARY_COUNTS.items():
        match = pattern.search(text)
        counts[key] = int(match.group(1).replace(",", "")) if match else None
    return counts


def summary_text(model):
    lines = []

    def collect(*args, **kwargs):  # noqa: ARG001 - Keras 2.13+ passes line_break=
        lines.append(str(args[0]) if args else "")

    model.summary(print_fn=collect)
    return "\n".join(lines)


def make_optimizer(name):
    optimizers = fw.keras.optimizers
    if name == "sgd_momentum":
        return fw.rated(optimizers.SGD, 0.01, momentum=0.9)
    return optimizers.Adam()


class Trainer:
    """One training step through the case's entry point; the custom loop is the reference."""

    def __init__(self, model, axes, batch_size):
        self.model = model
        self.api = axes["train_api"]
        self.optimizer = None
        self.rng = np.random.RandomState(_harness.SEED)
        self.batch_size = batch_size
        self.optimizer_name = axes.get("optimizer", "adam")

    def step(self):
        x = self.rng.standard_normal((self.batch_size, 3)).astype("float32")
        y = self.rng.standard_normal((self.batch_size, 1)).astype("float32")
        if self.api == "train_on_batch":
            self.model.train_on_batch(x, y)
        elif self.api == "fit":
            self.model.fit(x, y, epochs=1, batch_size=self.batch_size, verbose=0)
        else:
            self.custom_step(x, y)

    def custom_step(self, x, y):
        # The compiled optimizer if there is one, so momentum carries over between steps.
        if self.optimizer is None:
            self.optimizer = getattr(self.model, "optimizer", None) or make_optimizer(self.optimizer_name)
        fw.gradient_step(self.model, self.optimizer, x, y)


def batchnorm_check(model, layer, batch_size):
    """Does the frozen BatchNormalization normalise with moving statistics even when training=True?"""
    x = np.random.RandomState(_harness.SEED + 1).standard_normal((batch_size, 3)).astype("float32") * 3 + 1
    before = [fw.value(v) for v in layer.weights]
    training = fw.outputs(model, x, training=True)
    inference = fw.outputs(model, x, training=False)
    for variable, value in zip(layer.weights, before):  # a training-mode call may update moving stats
        fw.assign(variable, value)
    return {"inference_mode_in_training": bool(np.allclose(training, inference))}


def run_case(spec, result):
    """Build a fresh model, perform the case's steps, and record what happened."""
    axes = spec["axes"]
    batch_size = 8 if axes.get("layer") == "batchnorm" else 1  # batch statistics need a batch
    model = make_model(axes)
    targets = targets_of(model, axes["target"])
    result["frozen_layers"] = [layer.name for layer in targets]
    trainer = Trainer(model, axes, batch_size)
    refs = fw.weight_refs(model)
    trainable_at_start = {id(v) for v in model.trainable_weights}
    built_frozen = axes["target"] == "constructor"
    if built_frozen:  # the weights it would train but for the constructor's flag
        trainable_at_start |= {id(v) for layer in targets for v in layer.weights}
    before = fw.values(refs)
    result["weight_order_before"] = fw.weight_labels(model)
    frozen_now = False
    for step in ORDERS[axes["order"]]:
        if step in ("freeze", "unfreeze"):
            frozen_now = step == "freeze"
            for layer in targets:
                if not built_frozen:  # the constructor froze it: setting the attribute again would hide that
                    layer.trainable = not frozen_now
            if step == "freeze":
                result["weight_order_after"] = fw.weight_labels(model)
        elif step == "compile":
            fw.compile_model(model, make_optimizer(axes.get("optimizer", "adam")), axes.get("run_eagerly"))
        elif step == "summary":
            result["summary_text"] = summary_text(model)
            result["summary_printed"] = printed_counts(result["summary_text"])
            result["summary_computed"] = computed_counts(model)
            if axes.get("layer") == "batchnorm":
                result["batchnorm"] = batchnorm_check(model, targets[0], batch_size)
        elif step == "mark":
            before = fw.values(refs)
        elif step == "train":
            trainer.step()
    frozen = {id(v) for layer in targets for v in layer.weights} if frozen_now else set()
    result["weights"] = fw.moves(refs, before, trainable_at_start, frozen)


def judge(case):
    """Each aspect of a recorded case as one comparable string, plus the summary table's cell."""
    printed, computed = counts_label(case["summary_printed"]), counts_label(case["summary_computed"])
    return {
        "weights": weights_outcome(case),
        "printed": printed,
        "batchnorm": batchnorm_outcome(case),
        "printed_vs_weights": printed if printed == computed else "⚠️ %s (weights: %s)" % (printed, computed),
    }


def intended(case):
    """The frozen weights held and the others trained (a BatchNormalization's statistics stayed still).

    Where the case leaves nothing frozen (unfrozen again) or nothing else (the whole model frozen), that
    part has nothing to check and holds; where weights it needs were not recorded, it is None.
    """
    weights = [w for w in case["weights"] if w["trainable_at_start"] and not is_noise(case, w)]
    nothing_frozen = case["axes"]["order"] == "unfreeze_without_recompile"
    nothing_else = case["axes"]["target"] == "model"
    found = {
        "frozen_held": True if nothing_frozen else _harness.none_moved([w for w in weights if w["frozen"]]),
        "others_trained": True if nothing_else else _harness.all_moved([w for w in weights if not w["frozen"]]),
    }
    if case["group"] == "batchnorm":
        found["statistics_still"] = _harness.none_moved(
            [w for w in case["weights"] if w["frozen"] and not w["trainable_at_start"]]
        )
    return found


def is_noise(case, weight):
    return (
        case["axes"].get("layer") == "batchnorm"
        and weight["layer"] == FEEDS_BATCHNORM
        and weight["path"].endswith("bias")
    )


def weights_outcome(case):
    """Compare what moved with what was frozen; BatchNorm moving statistics are judged separately."""
    if case["status"] == "not_applicable":
        return NOT_APPLICABLE
    if case["status"] == "error":
        return ERROR
    weights = [w for w in case["weights"] if w["trainable_at_start"] and not is_noise(case, w)]
    frozen_moved = [w["moved"] for w in weights if w["frozen"]]
    free_moved = [w["moved"] for w in weights if not w["frozen"]]
    if frozen_moved and all(frozen_moved):
        return IGNORED
    if any(frozen_moved):
        return PARTIAL
    if not all(free_moved):
        return STALLED
    return HELD


def batchnorm_outcome(case):
    """For a frozen BatchNormalization: did its moving statistics change, and which mode does it run in?"""
    if case["batchnorm"] is None:
        return ""
    statistics = [w["moved"] for w in case["weights"] if w["frozen"] and not w["trainable_at_start"]]
    moved = "statistics updated" if any(statistics) else "statistics still"
    mode = "inference mode" if case["batchnorm"]["inference_mode_in_training"] else "training mode"
    return "%s, %s" % (moved, mode)


def counts_label(counts):
    """``total / trainable / non-trainable`` as one comparable string; ``-`` where there is none."""
    if counts is None:
        return "-"
    return " / ".join("?" if counts[k] is None else str(counts[k]) for k in ("total", "trainable", "non_trainable"))


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
