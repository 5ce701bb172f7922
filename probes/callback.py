"""Callback probe: does unfreezing the base from a callback, between two epochs of one fit(), take effect?

A frozen base sub-model (Dense 7 -> Dense 4) under a Dense 1 head trains for two epochs of one
``fit()``; at the end of the first epoch a callback unfreezes the base, by setting ``trainable``
only, by also calling ``compile()`` again, or by also calling ``make_train_function(force=True)``
(Keras 3's documented way). Judged: did the base stay still in the first epoch, and move during the
second. Runs on the harness
(``_harness.py``): standard library, numpy and the framework only, valid Python 3.7.
"""

from __future__ import annotations

import inspect
import sys

import _harness
import _keras as fw
import numpy as np

NAME = "callback"
TITLE = "Callback matrix: does unfreezing from a callback take effect within the same fit()?"
DESCRIPTION = (
    "Every case trains a frozen base sub-model (Dense 7 → Dense 4) under a Dense 1 head for two epochs "
    "of one `fit()` (one step each); a callback unfreezes the base at the end of the first epoch, and "
    "the weights are compared before and after each epoch. A weight *moved* in an epoch if it is not "
    "`numpy.allclose` to its value when the epoch began."
)
AXES = {
    "way": {
        "title": "the callback unfreezes by",
        "values": ["trainable", "compile", "make_train_function", "two_fits"],
        "description": "trainable: base.trainable = True only; compile: and model.compile() with a new optimizer; "
        "make_train_function: and model.make_train_function(force=True); two_fits: no callback, the way "
        "round it: fit(epochs=1), base.trainable = True, compile() with a new optimizer, fit(epochs=1) again.",
    },
    "run_eagerly": {"title": "run_eagerly", "values": ["false", "true"]},
}
GROUPS = {
    "unfreeze": {
        "question": "Does the base train in the second epoch once a callback unfroze it?",
        "grid": "Each way of unfreezing × `run_eagerly` off and on; Adam; `fit(epochs=2)` (two `fit(epochs=1)` "
        "for `two_fits`).",
    },
}
MOVED, STILL, NOT_APPLICABLE = "moved", "still", "n/a"
ASPECTS = {
    "base": {
        "title": "base in epoch 2",
        "matrix": True,
        "symbols": {MOVED: "✅ trains", STILL: "❌ stays frozen", NOT_APPLICABLE: "n/a"},
        "legend": {
            MOVED: "every weight of the unfrozen base moved in the second epoch",
            STILL: "no weight of the base moved in the second epoch: the unfreeze had no effect within this fit()",
            NOT_APPLICABLE: "the release lacks what the case needs (e.g. `make_train_function(force=...)`)",
            "💥 <exception>": "fit() raised it (see the result file for the message)",
        },
    },
}
INTENT = {
    "unfreeze": {
        "means": "The base stays frozen in the first epoch; once unfrozen, it trains in the second, and the "
        "head goes on training.",
        "parts": {
            "base_held_in_epoch_1": {
                "means": "the frozen base stays still in epoch 1",
                "wrong": "the base trained in epoch 1, before it was unfrozen",
            },
            "base_trains": {
                "means": "the unfrozen base trains in epoch 2",
                "wrong": "the unfrozen base does not train",
            },
            "head_trains": {"means": "the head trains in epoch 2", "wrong": "the head does not train"},
        },
        "fixes": [
            {
                "do": "Unfreeze between two `fit()` calls: end the first, set `trainable`, `compile()` with a new "
                "optimizer, then `fit()` again.",
                "case": {"way": "two_fits"},
            },
            {
                "do": "In the callback, also call `model.make_train_function(force=True)`.",
                "case": {"way": "make_train_function"},
            },
            {"do": "In the callback, also call `compile()` with a new optimizer.", "case": {"way": "compile"}},
        ],
    },
}
FIELDS = {"weights": [], "first_epoch_weights": [], "epochs_run": None}
BATCH = 4


setup = fw.load
reset = fw.fresh_session


def cases():
    return [{"group": "unfreeze", "axes": axes} for axes in _harness.grid(AXES)]


def can_force_train_function():
    """Whether Model.make_train_function takes force=; a release without it cannot be asked this way."""
    method = getattr(fw.keras.Model, "make_train_function", None)
    if method is None:
        raise _harness.NotApplicable("Model has no make_train_function")
    if "force" not in inspect.signature(method).parameters:
        raise _harness.NotApplicable("Model.make_train_function takes no force")


def first_epoch_ended(model, seen):
    """While the base is still frozen: which weights moved in the first epoch, and every weight's value now."""
    refs = fw.weight_refs(model)
    seen["first_epoch"] = fw.moves(refs, seen["start"], seen["trainable_at_start"], seen["frozen"])
    seen["after_first"] = fw.values(refs)


def unfreezer(model, base, axes, seen):
    """The callback: at the end of the first epoch, note the weights, then unfreeze the base."""

    class Unfreeze(fw.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):  # noqa: ARG002 - Keras passes logs=
            seen["epochs"] += 1
            if epoch != 0:
                return
            first_epoch_ended(model, seen)
            base.trainable = True
            if axes["way"] == "compile":
                fw.compile_model(model, fw.keras.optimizers.Adam(), axes["run_eagerly"])
            elif axes["way"] == "make_train_function":
                model.make_train_function(force=True)

    return Unfreeze()


def two_fits(model, base, axes, x, y, seen):
    """The way round a callback: one fit() per phase, unfrozen and compiled again between them."""
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    seen["epochs"] += 1
    first_epoch_ended(model, seen)
    base.trainable = True
    fw.compile_model(model, fw.keras.optimizers.Adam(), axes["run_eagerly"])
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    seen["epochs"] += 1


def run_case(spec, record):
    keras = fw.keras
    axes = spec["axes"]
    if axes["way"] == "make_train_function":
        can_force_train_function()
    base = keras.models.Sequential([keras.layers.Dense(7, input_dim=3), keras.layers.Dense(4)], name="base")
    model = fw.built(keras.models.Sequential([base, keras.layers.Dense(1)]), 3)
    base.trainable = False
    fw.compile_model(model, fw.keras.optimizers.Adam(), axes["run_eagerly"])
    refs = fw.weight_refs(model)
    trainable_at_start = {id(v) for v in model.trainable_weights}
    frozen = {id(v) for v in base.weights}
    rng = np.random.RandomState(_harness.SEED)
    x = rng.standard_normal((BATCH, 3)).astype("float32")
    y = rng.standard_normal((BATCH, 1)).astype("float32")
    seen = {"epochs": 0, "after_first": None, "first_epoch": [], "start": fw.values(refs)}
    seen.update({"trainable_at_start": trainable_at_start, "frozen": frozen})
    try:
        if axes["way"] == "two_fits":
            two_fits(model, base, axes, x, y, seen)
        else:
            model.fit(x, y, epochs=2, batch_size=BATCH, verbose=0, callbacks=[unfreezer(model, base, axes, seen)])
    finally:
        record["epochs_run"] = seen["epochs"]
    if seen["after_first"] is None:
        raise RuntimeError("fit() ended before its first epoch did")
    record["first_epoch_weights"] = seen["first_epoch"]
    record["weights"] = fw.moves(refs, seen["after_first"], trainable_at_start, frozen)


def intended(case):
    """No weight of the base moved in the first epoch; every weight of the base and of the head moved in the second.

    A result from before the first epoch was recorded has no ``first_epoch_weights``: not observed.
    """
    return {
        "base_held_in_epoch_1": _harness.none_moved([w for w in case.get("first_epoch_weights", []) if w["frozen"]]),
        "base_trains": _harness.all_moved([w for w in case["weights"] if w["frozen"]]),
        "head_trains": _harness.all_moved([w for w in case["weights"] if not w["frozen"]]),
    }


def judge(case):
    """Whether the unfrozen base moved in the second epoch (the head's weights are recorded too), or what was raised."""
    failed = _harness.failure_outcome(case)
    if failed:
        return {"base": failed}
    moved = [w["moved"] for w in case["weights"] if w["frozen"]]
    if all(moved):
        return {"base": MOVED}
    return {"base": STILL if not any(moved) else "partly moved"}


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
