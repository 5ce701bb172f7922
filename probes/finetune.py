"""Finetune probe: two-phase fine-tuning as the transfer-learning guide does it, and in reverse.

A base sub-model (Dense 7 -> BatchNormalization -> Dense 4) is called as ``base(inputs, training=False)``
under a Dense 1 head. Phase 1 trains one step; then (part of) the base is unfrozen, or frozen, with no
``compile()``, ``compile()`` with the same optimizer object, or with a new one; phase 2 trains one more
step. Judged on phase 2: did the switch take effect, did the other weights do as their flags say, did
the BatchNormalization's moving statistics stay, did the optimizer keep its step count. Runs on the
harness (``_harness.py``): standard library, numpy and the framework only, valid Python 3.7.
"""

from __future__ import annotations

import inspect
import sys

import _harness
import _keras as fw
import numpy as np

NAME = "finetune"
TITLE = "Fine-tuning matrix: does unfreezing (or freezing) between two training phases take effect?"
DESCRIPTION = (
    "Every case builds the transfer-learning guide's shape: a base sub-model (Dense 7 → BatchNormalization → "
    "Dense 4) called as `base(inputs, training=False)` under a Dense 1 head, on batches of 8. Phase 1 trains "
    "one step; then part of the base changes its `trainable` flag and phase 2 trains one more step, which is "
    "what is judged. A weight *moved* if it is not `numpy.allclose` to its value before phase 2."
)
AXES = {
    "direction": {
        "title": "between the phases",
        "values": ["unfreeze", "freeze"],
        "description": "unfreeze: phase 1 trains the head on a frozen base, then the base is unfrozen; "
        "freeze: phase 1 trains everything, then the base is frozen.",
    },
    "part": {
        "title": "part of the base",
        "values": ["all", "top", "all_but_batchnorm"],
        "description": "all_but_batchnorm (unfreeze only): base.trainable = True, then its BatchNormalization back "
        "to False; all: base.trainable; top: only the base's last Dense layer (unfreeze: base.trainable = True, "
        "then every other layer of the base back to False).",
    },
    "recompile": {
        "title": "before phase 2",
        "values": ["none", "same_optimizer", "new_optimizer"],
        "description": "none: no compile(); same_optimizer: compile() with the optimizer object of phase 1; "
        "new_optimizer: compile() with a new Adam.",
    },
    "train_api": {"title": "training step", "values": ["fit", "train_on_batch"]},
}
GROUPS = {
    "unfreeze": {
        "question": "Phase 2 of the guide: does unfreezing the base after training the head take effect?",
        "grid": "Base frozen, compile, one step; unfreeze all of the base or its top layer; "
        "no compile / compile with the same optimizer / with a new one; one more step; `fit` and `train_on_batch`.",
    },
    "freeze": {
        "question": "The reverse: does freezing the base after training everything take effect?",
        "grid": "Everything trainable, compile, one step; freeze all of the base or its top layer; "
        "no compile / compile with the same optimizer / with a new one; one more step; `fit` and `train_on_batch`.",
    },
}
TOOK_EFFECT, NO_EFFECT, PARTLY, NOT_APPLICABLE = "took_effect", "no_effect", "partly", "n/a"
ASPECTS = {
    "switched": {
        "title": "switched layers in phase 2",
        "matrix": True,
        "symbols": {
            TOOK_EFFECT: "✅ took effect",
            NO_EFFECT: "❌ no effect",
            PARTLY: "⚠️ partly",
            NOT_APPLICABLE: "n/a",
        },
        "legend": {
            TOOK_EFFECT: "every weight whose flag changed did as its new flag says in phase 2 (unfrozen: moved; "
            "frozen: held)",
            NO_EFFECT: "every weight whose flag changed behaved as before the change",
            PARTLY: "some did, some did not",
            "💥 <exception>": "phase 2 (or the compile() before it) raised it; the result file has the message",
            "· head stalled, · frozen moved, ...": "the weights whose flag did not change did not do as it says",
            "· BN statistics updated": "the BatchNormalization's moving statistics changed in phase 2, despite "
            "`training=False`",
            "· optimizer restarted": "the optimizer of phase 2 counts its steps from 0, though it is the one of "
            "phase 1 (no compile, or the same object)",
        },
    },
    "others": {"title": "weights whose flag did not change", "matrix": True},
    "batchnorm": {"title": "BatchNormalization statistics", "matrix": True},
    "optimizer": {"title": "optimizer state", "matrix": True},
}
PARTS = {
    "switched_obey": {
        "means": "the layers whose flag changed do as the new flag says in phase 2",
        "wrong": "a layer whose flag changed does as before",
    },
    "others_obey": {
        "means": "the other weights do as their flags say",
        "wrong": "a weight whose flag did not change does not do as it says",
    },
    "statistics_still": {
        "means": "the BatchNormalization, called with training=False, keeps its moving statistics",
        "wrong": "the BatchNormalization's moving statistics update despite training=False",
    },
}
FIXES = [
    {"do": "Call `compile()` with a new optimizer after changing `trainable`.", "case": {"recompile": "new_optimizer"}},
    {
        "do": "Call `compile()` with a new optimizer after changing `trainable`, and keep the base's "
        "BatchNormalization layers frozen when you unfreeze it.",
        "case": {"recompile": "new_optimizer", "part": "all_but_batchnorm"},
    },
]
INTENT = {
    "unfreeze": {
        "means": "In phase 2 the unfrozen layers train, the head goes on training, and the BatchNormalization "
        "(called with training=False) keeps its statistics.",
        "parts": PARTS,
        "fixes": FIXES,
    },
    "freeze": {
        "means": "In phase 2 the frozen layers stay still, the rest goes on training, and the BatchNormalization "
        "(called with training=False) keeps its statistics.",
        "parts": PARTS,
        "fixes": FIXES,
    },
}
# The base's Dense right before its BatchNormalization: in training mode the BatchNormalization subtracts the
# batch mean, so this bias has a zero gradient and moves by float noise alone (Adam scales it up). Not evidence.
FEEDS_BATCHNORM = "dense"
FIELDS = {"weights": [], "phase_reached": None, "optimizer_after_phase1": None, "optimizer_after_phase2": None}
BATCH = 8


setup = fw.load
reset = fw.fresh_session


def cases():
    """Every combination; keeping the BatchNormalization frozen is a way to unfreeze, not to freeze."""
    return [
        {"group": axes["direction"], "axes": axes}
        for axes in _harness.grid(AXES)
        if not (axes["direction"] == "freeze" and axes["part"] == "all_but_batchnorm")
    ]


def build():
    keras = fw.keras
    base = keras.models.Sequential(
        [keras.layers.Dense(7, input_dim=3), keras.layers.BatchNormalization(), keras.layers.Dense(4)], name="base"
    )
    can_call_with_training(base)
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(1, name="head")(base(inputs, training=False))
    return keras.Model(inputs, outputs), base


def can_call_with_training(model):
    """Whether the guide's ``base(inputs, training=False)`` can be written: standalone Keras 2's models take no
    ``training`` argument, so no case of this probe can be asked there."""
    parameters = inspect.signature(model.call).parameters.values()
    if not any(p.name == "training" or p.kind == p.VAR_KEYWORD for p in parameters):
        raise _harness.NotApplicable("Model.call takes no training argument: base(inputs, training=False) fails")


def set_base(base, part, trainable):
    """Freeze or unfreeze all of the base, or only its top layer (the rest keeps the opposite flag)."""
    if part == "all":
        base.trainable = trainable
    elif part == "all_but_batchnorm":
        base.trainable = True
        for layer in base.layers:
            if "batch_normalization" in layer.name:
                layer.trainable = False
    elif trainable:
        base.trainable = True
        for layer in base.layers[:-1]:
            layer.trainable = False
    else:
        base.layers[-1].trainable = False


def run_case(spec, record):
    axes = spec["axes"]
    unfreezing = axes["direction"] == "unfreeze"
    model, base = build()
    if unfreezing:
        set_base(base, "all", False)
    optimizer = fw.keras.optimizers.Adam()
    model.compile(loss="mse", optimizer=optimizer)
    rng = np.random.RandomState(_harness.SEED)
    x = rng.standard_normal((BATCH, 3)).astype("float32") * 3 + 1
    y = rng.standard_normal((BATCH, 1)).astype("float32")
    record["phase_reached"] = "phase 1"
    fw.train_step(model, x, y, axes["train_api"])
    record["optimizer_after_phase1"] = fw.optimizer_state(model.optimizer)
    refs = fw.weight_refs(model)
    trainable_before = {id(v) for v in model.trainable_weights}
    set_base(base, axes["part"], unfreezing)
    trainable_after = {id(v) for v in model.trainable_weights}
    record["phase_reached"] = "recompile"
    if axes["recompile"] != "none":
        same = axes["recompile"] == "same_optimizer"
        model.compile(loss="mse", optimizer=optimizer if same else fw.keras.optimizers.Adam())
    before = fw.values(refs)
    record["phase_reached"] = "phase 2"
    fw.train_step(model, x, y, axes["train_api"])
    record["phase_reached"] = "done"
    record["optimizer_after_phase2"] = fw.optimizer_state(model.optimizer)
    frozen = {id(v) for _, _, v in refs} - trainable_after
    record["weights"] = fw.moves(refs, before, trainable_before, frozen)
    for weight, (_, _, variable) in zip(record["weights"], refs):
        weight["switched"] = (id(variable) in trainable_before) != (id(variable) in trainable_after)


def is_statistic(weight):
    return "moving_" in weight["path"]


def intended(case):
    """The switched weights and the others did as their flags say; the statistics stayed still."""
    weights = [w for w in case["weights"] if not is_statistic(w) and not is_noise(w)]
    return {
        "switched_obey": as_flagged([w for w in weights if w["switched"]]),
        "others_obey": as_flagged([w for w in weights if not w["switched"]]),
        "statistics_still": _harness.none_moved([w for w in case["weights"] if is_statistic(w)]),
    }


def as_flagged(weights):
    """Whether every one of ``weights`` moved if trainable and held if frozen; None where there were none."""
    return all(w["moved"] != w["frozen"] for w in weights) if weights else None


def is_noise(weight):
    return weight["layer"] == FEEDS_BATCHNORM and weight["path"].endswith("bias")


def judge(case):
    """Phase 2 judged: the switched weights, the others, the BatchNormalization's statistics, the optimizer."""
    failed = _harness.failure_outcome(case)
    if failed:
        return {"switched": failed, "others": "", "batchnorm": "", "optimizer": ""}
    weights = [w for w in case["weights"] if not is_statistic(w) and not is_noise(w)]
    obeyed = [w["moved"] != w["frozen"] for w in weights if w["switched"]]
    switched = TOOK_EFFECT if all(obeyed) else NO_EFFECT if not any(obeyed) else PARTLY
    return {
        "switched": switched,
        "others": others_outcome([w for w in weights if not w["switched"]]),
        "batchnorm": "BN statistics updated" if any(w["moved"] for w in case["weights"] if is_statistic(w)) else "",
        "optimizer": optimizer_outcome(case),
    }


def others_outcome(weights):
    """What went wrong with the weights whose flag did not change: the head, and the rest of the base."""
    wrong = []
    for name, mine in (("head", lambda w: w["layer"] == "head"), ("base", lambda w: w["layer"] != "head")):
        if any(w["frozen"] and w["moved"] for w in weights if mine(w)):
            wrong.append("frozen %s moved" % name)
        if any(not w["frozen"] and not w["moved"] for w in weights if mine(w)):
            wrong.append("%s stalled" % name)
    return ", ".join(wrong)


def optimizer_outcome(case):
    """Whether the optimizer of phase 2 counted on from phase 1 (no compile, same object) or from 0 (a new one)."""
    steps = case["optimizer_after_phase2"]["iterations"]
    expected = 1 if case["axes"]["recompile"] == "new_optimizer" else 2
    if steps == expected:
        return ""
    return "optimizer restarted" if steps == 1 else "optimizer at step %d" % steps


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
