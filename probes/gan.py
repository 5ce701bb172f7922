"""GAN probe: the Keras FAQ's recipe for freezing a discriminator inside a combined model, and two variants.

``discriminator.compile()``; ``discriminator.trainable = False``; ``gan = Sequential([generator,
discriminator])``; ``gan.compile()``; then two rounds of ``discriminator.train_on_batch`` on real and on
fake samples and ``gan.train_on_batch`` on noise. Judged per step: does the discriminator train in its own
step, does the generator train in the gan step, does the discriminator stay still in the gan step.
Runs on the harness (``_harness.py``): standard library, numpy and the framework only, valid Python 3.7.
"""

from __future__ import annotations

import sys

import _harness
import _keras as fw
import numpy as np

NAME = "gan"
TITLE = "GAN matrix: does the FAQ's frozen discriminator train in its own step and hold in the combined one?"
DESCRIPTION = (
    "Every case builds a generator (Dense 4 → Dense 3 on 2 noise inputs) and a discriminator (Dense 5 → "
    "Dense 1, sigmoid), compiles the discriminator, freezes it, stacks both in `gan = Sequential([generator, "
    "discriminator])` and compiles that (binary cross-entropy, Adam). Two rounds follow: "
    "`discriminator.train_on_batch` on 8 real and then 8 generated samples, then `gan.train_on_batch` on "
    "8 noise vectors. A weight *moved* in a step if it is not `numpy.allclose` to its value before the step."
)
AXES = {
    "recipe": {
        "title": "recipe",
        "values": ["faq", "toggle", "recompile"],
        "description": "faq: freeze once, after compiling the discriminator and before compiling the gan; "
        "toggle: also discriminator.trainable = True before its own step and False before the gan step, "
        "never recompiling; recompile: also compile the discriminator again right after freezing it.",
    },
    "run_eagerly": {"title": "run_eagerly", "values": ["false", "true"]},
    "train_api": {
        "title": "training step",
        "values": ["train_on_batch", "fit"],
        "description": "train_on_batch, as the FAQ does (left out of the case id); fit: one epoch of fit() "
        "on the same batch instead of each train_on_batch.",
    },
}
GROUPS = {
    "recipe": {
        "question": "Does the discriminator hold in the gan step, and train in its own?",
        "grid": "Each recipe × `run_eagerly` off and on (for both models) × `train_on_batch` or `fit`; two "
        "rounds of discriminator step (real, then fake) and gan step.",
    },
}
HELD, TRAINED, PARTLY, NOT_APPLICABLE = "held", "trained", "partly", "n/a"
ASPECTS = {
    "discriminator_in_gan": {
        "title": "discriminator in the gan step",
        "matrix": True,
        "symbols": {HELD: "✅ held", TRAINED: "❌ trained", PARTLY: "⚠️ partly", NOT_APPLICABLE: "n/a"},
        "legend": {
            HELD: "in both gan steps no weight of the discriminator moved",
            TRAINED: "in both gan steps every weight of the discriminator moved: the generator's loss trained it",
            PARTLY: "some of its weights moved; where the two rounds differ, the cell says what each did",
            "💥 <exception>": "a step raised it; the result file has the message",
            "· discriminator frozen in its own step": "`discriminator.train_on_batch` did not move it",
            "· generator stalled": "`gan.train_on_batch` did not move the generator",
        },
    },
    "discriminator_step": {"title": "discriminator in its own step", "matrix": True},
    "generator": {"title": "generator in the gan step", "matrix": True},
}
INTENT = {
    "recipe": {
        "means": "The discriminator learns in its own step; in the gan step it stays fixed and the generator learns.",
        "parts": {
            "discriminator_learns": {
                "means": "the discriminator learns in its own step",
                "wrong": "the discriminator does not learn in its own step",
            },
            "discriminator_fixed": {
                "means": "the discriminator stays fixed in the gan step",
                "wrong": "the discriminator trains in the gan step",
            },
            "generator_learns": {
                "means": "the generator learns in the gan step",
                "wrong": "the generator does not learn in the gan step",
            },
        },
        "fixes": [
            {
                "do": "Set `discriminator.trainable = True` before its own step and `False` before the gan step, "
                "without compiling again.",
                "case": {"recipe": "toggle"},
            },
            {
                "do": "Write the training step yourself: gradients of each loss over the trainable variables of the "
                "model that step should train, as the keras.io DCGAN example does.",
                "case": None,
            },
        ],
    },
}
FIELDS = {"steps": []}
BATCH = 8
ROUNDS = 2


setup = fw.load
reset = fw.fresh_session


def cases():
    """The FAQ's train_on_batch cases keep the ids they had before fit was probed: the axis is left out."""
    found = []
    for train_api in AXES["train_api"]["values"]:
        for axes in _harness.grid({name: AXES[name] for name in ("recipe", "run_eagerly")}):
            if train_api != "train_on_batch":
                axes["train_api"] = train_api
            found.append({"group": "recipe", "axes": axes})
    return found


def build():
    keras = fw.keras
    generator = keras.models.Sequential([keras.layers.Dense(4, input_dim=2), keras.layers.Dense(3)], name="generator")
    discriminator = keras.models.Sequential(
        [keras.layers.Dense(5, input_dim=3), keras.layers.Dense(1, activation="sigmoid")], name="discriminator"
    )
    return generator, discriminator


def compile_for(model, run_eagerly):
    fw.compile_model(model, fw.keras.optimizers.Adam(), run_eagerly, loss="binary_crossentropy")


def run_case(spec, record):
    axes = spec["axes"]
    generator, discriminator = build()
    compile_for(discriminator, axes["run_eagerly"])
    discriminator.trainable = False
    if axes["recipe"] == "recompile":
        compile_for(discriminator, axes["run_eagerly"])
    gan = fw.keras.models.Sequential([generator, discriminator])
    compile_for(gan, axes["run_eagerly"])
    refs = fw.weight_refs(gan)
    mine = {id(v): "generator" for v in generator.weights}
    mine.update({id(v): "discriminator" for v in discriminator.weights})
    rng = np.random.RandomState(_harness.SEED)
    real = rng.standard_normal((BATCH, 3)).astype("float32") + 2
    ones, zeros = np.ones((BATCH, 1), "float32"), np.zeros((BATCH, 1), "float32")
    toggling = axes["recipe"] == "toggle"
    train_api = axes.get("train_api", "train_on_batch")

    def train(model, x, y):
        fw.train_step(model, x, y, train_api)

    for round_number in range(1, ROUNDS + 1):
        noise = rng.standard_normal((BATCH, 2)).astype("float32")
        fake = fw.outputs(generator, noise)
        if toggling:
            discriminator.trainable = True

        def discriminator_step(fake=fake):
            train(discriminator, real, ones)
            train(discriminator, fake, zeros)

        step(record, refs, mine, round_number, "discriminator", discriminator_step)
        if toggling:
            discriminator.trainable = False
        step(record, refs, mine, round_number, "gan", lambda noise=noise: train(gan, noise, ones))


def step(record, refs, mine, round_number, name, train):
    """Run one step, recording every weight's move; a step that raises is recorded as begun, then re-raised."""
    before = fw.values(refs)
    entry = {"round": round_number, "step": name, "weights": []}
    record["steps"].append(entry)
    train()
    frozen = {i for i, owner in mine.items() if owner == "discriminator"} if name == "gan" else set()
    entry["weights"] = fw.moves(refs, before, set(mine), frozen)
    for weight, (_, _, variable) in zip(entry["weights"], refs):
        weight["model"] = mine[id(variable)]


def moved_in(case, step, model):
    """Per round, whether each weight of ``model`` moved in ``step``."""
    return [[w["moved"] for w in s["weights"] if w["model"] == model] for s in case["steps"] if s["step"] == step]


def over_rounds(rounds):
    """held / trained / partly, or per round where the rounds differ."""
    each = [HELD if not any(r) else TRAINED if all(r) else PARTLY for r in rounds]
    if len(set(each)) == 1:
        return each[0]
    return ", ".join("round %d %s" % (n, outcome) for n, outcome in enumerate(each, 1))


def intended(case):
    """Every discriminator weight moved in each of its own steps and in no gan step; every generator weight moved."""
    return {
        "discriminator_learns": every_weight(moved_in(case, "discriminator", "discriminator"), True),
        "discriminator_fixed": every_weight(moved_in(case, "gan", "discriminator"), False),
        "generator_learns": every_weight(moved_in(case, "gan", "generator"), True),
    }


def every_weight(rounds, moved):
    """Whether every weight in every round moved (or stayed still); None where none was recorded."""
    seen = [m for each in rounds for m in each]
    return all(m == moved for m in seen) if seen else None


def judge(case):
    """The discriminator in the gan step leads; its own step and the generator are said only when wrong."""
    failed = _harness.failure_outcome(case)
    if failed:
        return {"discriminator_in_gan": failed, "discriminator_step": "", "generator": ""}
    in_gan = over_rounds(moved_in(case, "gan", "discriminator"))
    own = over_rounds(moved_in(case, "discriminator", "discriminator"))
    generator = over_rounds(moved_in(case, "gan", "generator"))
    return {
        "discriminator_in_gan": in_gan,
        "discriminator_step": "" if own == TRAINED else "discriminator %s in its own step" % own,
        "generator": "" if generator == TRAINED else "generator %s in the gan step" % generator,
    }


if __name__ == "__main__":
    sys.exit(_harness.main([*sys.argv[1:], NAME]))
