"""Saving probe: is a frozen layer still frozen after save and load, and does training honour it?

The seed notebook's model (Dense 7 -> Dense 4 -> Dense 1 on 3 inputs) with its middle layer frozen,
before ``compile()`` or after it (keras-team/keras#9589), trained one step, saved in one format and
loaded with the default ``load_model(path)``. Judged: which ``trainable`` flags the loaded model has,
whether one training step on it moves the frozen layer, whether it comes back compiled. Runs on the
harness (``_harness.py``): standard library, numpy and the framework only, valid Python 3.7.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
import tempfile
import zipfile

import _harness
import _keras as fw
import numpy as np

NAME = "saving"
TITLE = "Saving matrix: does a frozen layer come back frozen from save and load?"
DESCRIPTION = (
    "Every case builds the seed notebook's model (Dense 7 → Dense 4 → Dense 1 on 3 inputs), freezes the "
    "middle layer before or after `compile()` (Adam, mean squared error), trains one step, saves the model "
    "in one format and loads it with the default `keras.models.load_model(path)`. The loaded model trains one "
    "step (compiled first with a new Adam if it came back uncompiled). A weight *moved* if it is not "
    "`numpy.allclose` to its value as loaded."
)
AXES = {
    "format": {
        "title": "format",
        "values": ["h5", "savedmodel", "keras"],
        "description": "h5: model.save('model.h5'); savedmodel: model.save('model', save_format='tf'); "
        "keras: model.save('model.keras'), the zip archive of Keras 2.12+ and Keras 3.",
    },
    "order": {
        "title": "frozen",
        "values": ["freeze_then_compile", "compile_then_freeze"],
        "description": "compile_then_freeze: frozen after compile() and the training step, right before saving "
        "(keras-team/keras#9589).",
    },
    "load": {
        "title": "loaded by",
        "values": ["load_model", "compile_false"],
        "description": "load_model: load_model(path), as saved (left out of the case id); compile_false: "
        "load_model(path, compile=False), then compile() with a new Adam.",
    },
}
GROUPS = {
    "saving": {
        "question": "Does the loaded model keep the flag, honour it in training, and come back compiled?",
        "grid": "Every format the release can save × freezing the middle layer before or after `compile()` × "
        "loading as saved or with `compile=False` and `compile()`.",
    },
}
KEPT, LOST, NOT_APPLICABLE = "kept", "lost", "n/a"
ASPECTS = {
    "flags": {
        "title": "trainable flags as loaded",
        "matrix": True,
        "symbols": {
            KEPT: "✅ kept",
            LOST: "❌ not kept",
            NOT_APPLICABLE: "n/a",
        },
        "legend": {
            KEPT: "every layer's `trainable` as loaded is what it was when saved",
            LOST: "some layer's `trainable` as loaded differs from its flag at save time (the result file has "
            "the flags at compile, at save and as loaded)",
            NOT_APPLICABLE: "the release cannot save this format (see the result file for why)",
            "💥 <exception> at <phase>": "it was raised while saving (save), loading (load) or training the loaded "
            "model (step); the result file has the message",
            "· frozen layer trained": "one training step on the loaded model moved the layer frozen at save time",
            "· not compiled": "`load_model` returned a model without an optimizer (the probe compiled it to train)",
        },
    },
    "step": {"title": "training step on the loaded model", "matrix": True},
    "compiled": {"title": "loaded compiled", "matrix": True},
}
INTENT = {
    "saving": {
        "means": "The loaded model keeps every layer's flag and its compiled state, and a training step moves "
        "every layer but the frozen one.",
        "parts": {
            "flags_kept": {
                "means": "every layer's trainable flag is as saved",
                "wrong": "a layer's trainable flag is not kept",
            },
            "compiled": {
                "means": "load_model returns it compiled (unless loaded with compile=False)",
                "wrong": "it comes back not compiled",
            },
            "frozen_held": {"means": "the frozen layer stays still in a step", "wrong": "the frozen layer trains"},
            "others_train": {"means": "the other layers train", "wrong": "a layer that should train does not"},
        },
        "fixes": [
            {"do": "Load with `load_model(path, compile=False)`, then `compile()`.", "case": {"load": "compile_false"}},
            {"do": "Save in the `.keras` format.", "case": {"format": "keras"}},
            {
                "do": "Set `trainable` before `compile()`, and save after that.",
                "case": {"order": "freeze_then_compile"},
            },
        ],
    },
}
FIELDS = {
    "flags_at_compile": None,
    "flags_at_save": None,
    "flags_loaded": None,
    "loaded_compiled": None,
    "weights": [],
    "phase_reached": None,
}
FROZEN = "middle"


setup = fw.load
reset = fw.fresh_session


def cases():
    """Loaded as saved, the cases keep the ids they had before compile=False was probed: the axis is left out."""
    found = []
    for load in AXES["load"]["values"]:
        for axes in _harness.grid({name: AXES[name] for name in ("format", "order")}):
            if load != "load_model":
                axes["load"] = load
            found.append({"group": "saving", "axes": axes})
    return found


def build():
    layers = fw.keras.layers
    return fw.keras.models.Sequential(
        [layers.Dense(7, input_dim=3, name="first"), layers.Dense(4, name=FROZEN), layers.Dense(1, name="last")]
    )


def flags(model):
    return {layer.name: bool(layer.trainable) for layer in model.layers}


def save(model, form, folder):
    """Save ``model`` in ``form`` under ``folder``; the path to load. Not applicable where the release lacks it."""
    if form == "h5":
        path = os.path.join(folder, "model.h5")
        model.save(path)
    elif form == "savedmodel":
        if fw.keras_major() == "keras3":
            raise _harness.NotApplicable("Keras 3 saves .keras and .h5 only; a SavedModel comes from export()")
        if "save_format" not in inspect.signature(model.save).parameters:
            raise _harness.NotApplicable("Model.save takes no save_format: it saves HDF5 only")
        path = os.path.join(folder, "model")
        model.save(path, save_format="tf")
    else:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        if not zipfile.is_zipfile(path):  # before the format existed, the name was no hint
            wrote = "a SavedModel directory" if os.path.isdir(path) else "an HDF5 file"
            raise _harness.NotApplicable("model.save('model.keras') wrote %s, not a .keras archive" % wrote)
    return path


def run_case(spec, record):
    axes = spec["axes"]
    model = build()
    middle = model.get_layer(FROZEN)
    freeze_first = axes["order"] == "freeze_then_compile"
    if freeze_first:
        middle.trainable = False
    model.compile(loss="mse", optimizer=fw.keras.optimizers.Adam())
    record["flags_at_compile"] = flags(model)
    rng = np.random.RandomState(_harness.SEED)
    x = rng.standard_normal((4, 3)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    model.train_on_batch(x, y)
    if not freeze_first:
        middle.trainable = False
    record["flags_at_save"] = flags(model)
    folder = tempfile.mkdtemp(prefix="tfmatrix-saving-")
    try:  # kept to the end: in graph mode, a SavedModel's variables are restored when first read
        loaded_and_trained(model, axes, folder, (x, y), record)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def loaded_and_trained(model, axes, folder, batch, record):
    """Save ``model`` under ``folder``, load it, and record how one training step on the loaded model went."""
    x, y = batch
    record["phase_reached"] = "save"
    path = save(model, axes["format"], folder)
    record["phase_reached"] = "load"
    uncompiled = axes.get("load") == "compile_false"
    loaded = fw.keras.models.load_model(path, compile=False) if uncompiled else fw.keras.models.load_model(path)
    record["flags_loaded"] = flags(loaded)
    record["loaded_compiled"] = getattr(loaded, "optimizer", None) is not None
    if uncompiled or not record["loaded_compiled"]:
        loaded.compile(loss="mse", optimizer=fw.keras.optimizers.Adam())
    refs = fw.weight_refs(loaded)
    before = fw.values(refs)
    record["phase_reached"] = "step"
    loaded.train_on_batch(x, y)
    record["phase_reached"] = "done"
    frozen = {id(v) for v in loaded.get_layer(FROZEN).weights}
    record["weights"] = fw.moves(refs, before, {id(v) for v in loaded.trainable_weights}, frozen)


def intended(case):
    """Flags as saved, compiled unless asked not to be, the frozen layer still and the others moved."""
    return {
        "flags_kept": case["flags_loaded"] == case["flags_at_save"],
        "compiled": case["loaded_compiled"] or case["axes"].get("load") == "compile_false",
        "frozen_held": _harness.none_moved([w for w in case["weights"] if w["frozen"]]),
        "others_train": _harness.all_moved([w for w in case["weights"] if not w["frozen"]]),
    }


def judge(case):
    """The flags as loaded lead; the step on the loaded model and its compiled state are said only when wrong."""
    failed = _harness.failure_outcome(case)
    if failed:  # where it was raised tells a file that cannot be read from a model that cannot train
        where = " at %s" % case["phase_reached"] if case["status"] == "error" else ""
        return {"flags": failed + where, "step": "", "compiled": ""}
    kept = KEPT if case["flags_loaded"] == case["flags_at_save"] else LOST
    frozen_moved = any(w["moved"] for w in case["weights"] if w["frozen"])
    stalled = not all(w["moved"] for w in case["weights"] if not w["frozen"])
    step = ", ".join(
        text for text, wrong in (("frozen layer trained", frozen_moved), ("others stalled", stalled)) if wrong
    )
    asked = case["axes"].get("load") == "compile_false"  # loaded uncompiled on purpose
    return {"flags": kept, "step": step, "compiled": "" if case["loaded_compiled"] or asked else "not compiled"}


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
