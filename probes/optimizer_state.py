"""Optimizer-state probe: does anything but the gradient move a frozen weight?

The seed notebook's model (Dense 7 -> Dense 4 -> Dense 1 on 3 inputs) plus a witness: a Dense 1 on the
inputs whose output is multiplied by zero, so its gradient is exactly zero and only weight decay can move
it. One step trains everything; the middle layer is frozen and the model compiled again with the same
optimizer object (so its state carries over); one more step is judged, exactly: any change counts, and
its size is recorded. Runs on the harness (``_harness.py``): standard library, numpy and TensorFlow
only, valid Python 3.7.
"""

from __future__ import annotations

import inspect
import math
import sys

import _harness
import _keras as fw
import numpy as np

NAME = "optimizer_state"
TITLE = "Optimizer-state matrix: does weight decay, EMA or momentum move a frozen weight?"
DESCRIPTION = (
    "Every case builds the seed notebook's model (Dense 7 → Dense 4 → Dense 1 on 3 inputs) plus a *witness*, "
    "a Dense 1 on the inputs whose output is multiplied by zero and added to the model's: its gradient is "
    "exactly zero, so only weight decay can move it. One step trains everything; the middle layer is frozen "
    "and the model compiled again with the same optimizer object; one more step is judged. A weight *moved* "
    "if any of its values changed at all (a decay step, learning rate × decay × weight, is far below "
    "`numpy.allclose`'s tolerance); the size of every change is recorded."
)
LEARNING_RATE, DECAY = 0.01, 0.1
AXES = {
    "optimizer": {
        "title": "optimizer",
        "values": ["adam", "adamw", "sgd_weight_decay", "adam_ema"],
        "description": "adam: Adam, the control; adamw: AdamW(weight_decay=0.1) where the release has it "
        "(keras.optimizers or keras.optimizers.experimental); sgd_weight_decay: SGD(weight_decay=0.1) where "
        "it takes one; adam_ema: Adam(use_ema=True). Learning rate 0.01 for all.",
    },
    "train_api": {"title": "training step", "values": ["fit", "train_on_batch"]},
}
GROUPS = {
    "optimizer": {
        "question": "After a freeze and a recompile with the same optimizer, does the frozen layer stay exactly still?",
        "grid": "Each optimizer × `fit` and `train_on_batch`: one step, freeze the middle layer, compile() with the "
        "same optimizer object, one more step.",
    },
}
HELD, MOVED, NOT_APPLICABLE = "held", "moved", "n/a"
ASPECTS = {
    "frozen": {
        "title": "frozen layer in the next step",
        "matrix": True,
        "symbols": {HELD: "✅ exactly still", MOVED: "❌ moved", NOT_APPLICABLE: "n/a"},
        "legend": {
            HELD: "no value of the frozen layer changed at all",
            MOVED: "the frozen layer changed; the cell adds the size of its largest change relative to the "
            "largest change of a trainable weight, as a power of ten",
            NOT_APPLICABLE: "the release lacks the optimizer or the option",
            "💥 <exception>": "a step or the compile() raised it; the result file has the message",
            "· decay step ~1eN× the expected": "the optimizer decays weights, but the witness did not move by "
            "learning rate × decay × weight (the cell gives the ratio as a power of ten; none: it did not move)",
            "· witness moved": "the optimizer does not decay weights, yet the zero-gradient witness moved",
        },
    },
    "size": {"title": "frozen change / trainable change", "matrix": True},
    "witness": {"title": "witness (zero gradient)", "matrix": True},
}
INTENT = {
    "optimizer": {
        "means": "After the freeze and the recompile, the frozen layer stays exactly still, the other layers train, "
        "and the optimizer decays weights as it promises (and only then).",
        "parts": {
            "frozen_still": {"means": "the frozen layer stays exactly still", "wrong": "the frozen layer moves"},
            "others_train": {"means": "the other layers train", "wrong": "a layer that should train does not"},
            "decay_as_promised": {
                "means": "the optimizer decays a trainable weight as it promises, and no other optimizer does",
                "wrong": "weight decay is not applied as promised",
            },
        },
        "fixes": [
            {
                "do": "Compile with a new optimizer after freezing, so that no decay or moving average of the old one "
                "reaches the frozen layer.",
                "case": None,
            },
            {
                "do": "Where you need neither decay nor EMA, plain Adam leaves the frozen layer still.",
                "case": {"optimizer": "adam"},
            },
        ],
    },
}
FIELDS = {"weights": [], "witness": None, "phase_reached": None}
DECAYING = ("adamw", "sgd_weight_decay")


setup = fw.load
reset = fw.fresh_session


def cases():
    return [{"group": "optimizer", "axes": axes} for axes in _harness.grid(AXES)]


def takes(cls, option):
    return option in inspect.signature(cls.__init__).parameters


def make_optimizer(name):
    """The case's optimizer; not applicable where the release lacks it or the option."""
    optimizers = fw.keras.optimizers
    if name == "adam":
        return fw.rated(optimizers.Adam, LEARNING_RATE)
    if name == "adamw":
        found = getattr(optimizers, "AdamW", None) or getattr(getattr(optimizers, "experimental", None), "AdamW", None)
        if found is None:
            raise _harness.NotApplicable("keras.optimizers has no AdamW")
        return fw.rated(found, LEARNING_RATE, weight_decay=DECAY)
    if name == "sgd_weight_decay":
        if not takes(optimizers.SGD, "weight_decay"):
            raise _harness.NotApplicable("SGD takes no weight_decay")
        return fw.rated(optimizers.SGD, LEARNING_RATE, weight_decay=DECAY)
    if not takes(optimizers.Adam, "use_ema"):
        raise _harness.NotApplicable("Adam takes no use_ema")
    return fw.rated(optimizers.Adam, LEARNING_RATE, use_ema=True)


def build():
    keras = fw.keras
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(4, name="middle")(keras.layers.Dense(7, name="first")(inputs))
    main = keras.layers.Dense(1, name="last")(hidden)
    witness = keras.layers.Lambda(lambda t: t * 0.0, name="times_zero")(keras.layers.Dense(1, name="witness")(inputs))
    return keras.Model(inputs, keras.layers.Add()([main, witness]))


def run_case(spec, record):
    axes = spec["axes"]
    optimizer = make_optimizer(axes["optimizer"])
    model = build()
    model.compile(loss="mse", optimizer=optimizer)
    rng = np.random.RandomState(_harness.SEED)
    x = rng.standard_normal((4, 3)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    record["phase_reached"] = "first step"
    fw.train_step(model, x, y, axes["train_api"])
    middle = model.get_layer("middle")
    middle.trainable = False
    record["phase_reached"] = "recompile"
    model.compile(loss="mse", optimizer=optimizer)
    refs = fw.weight_refs(model)
    before = fw.values(refs)
    record["phase_reached"] = "second step"
    fw.train_step(model, x, y, axes["train_api"])
    record["phase_reached"] = "done"
    frozen = {id(v) for v in middle.weights}
    record["weights"] = fw.moves(refs, before, {id(v) for v in model.trainable_weights}, frozen, exact=True)
    kernel = next(i for i, (layer, path, _) in enumerate(refs) if layer == "witness" and "kernel" in path)
    record["witness"] = {
        "decay_step": float(LEARNING_RATE * DECAY * np.max(np.abs(before[kernel]))),
        "max_abs_change": record["weights"][kernel]["max_abs_change"],
    }


def intended(case):
    """The frozen layer exactly still, the other layers moved, the witness as the optimizer promises."""
    weights = [w for w in case["weights"] if w["layer"] != "witness"]
    frozen = [w["max_abs_change"] for w in weights if w["frozen"]]
    return {
        "frozen_still": max(frozen) == 0 if frozen else None,
        "others_train": _harness.all_moved([w for w in weights if not w["frozen"]]),
        "decay_as_promised": witness_outcome(case) == "",
    }


def judge(case):
    """Whether the frozen layer moved at all (and how much, against the trainable weights); the witness's check."""
    failed = _harness.failure_outcome(case)
    if failed:
        return {"frozen": failed, "size": "", "witness": ""}
    weights = [w for w in case["weights"] if w["layer"] != "witness"]
    frozen = max(w["max_abs_change"] for w in weights if w["frozen"])
    trainable = max(w["max_abs_change"] for w in weights if not w["frozen"])
    return {"frozen": HELD if frozen == 0 else MOVED, "size": size(frozen, trainable), "witness": witness_outcome(case)}


def size(frozen, trainable):
    """The frozen layer's largest change against a trainable weight's, as a power of ten; "" if it did not move."""
    if frozen == 0:
        return ""
    if trainable == 0:
        return "trainable still"
    return "%s× trainable" % order_of_magnitude(frozen / trainable)


def witness_outcome(case):
    """ "" when the witness did what the optimizer promises: a decay step where it decays, nothing where not."""
    witness = case["witness"]
    moved, expected = witness["max_abs_change"], witness["decay_step"]
    if case["axes"]["optimizer"] not in DECAYING:
        return "" if moved == 0 else "witness moved"
    if math.isclose(moved, expected, rel_tol=1e-2):
        return ""
    return "no decay step" if moved == 0 else "decay step %s× the expected" % order_of_magnitude(moved / expected)


def order_of_magnitude(ratio):
    return "~1e%d" % round(math.log10(ratio))


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
