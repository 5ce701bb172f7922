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
}
GROUPS = {
    "recipe": {
        "question": "Does the discriminator hold in the gan step, and train in its own?",
        "grid": "Each recipe × `run_eagerly` off and on (for both models); two rounds of "
        "discriminator step (real, then fake) and gan step.",
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
FIELDS = {"steps": []}
BATCH = 8
ROUNDS = 2


setup = fw.load
reset = fw.fresh_session


def cases():
    return [{"group": "recipe", "axes": axes} for axes in _harness.grid(AXES)]


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
    for round_number in range(1, ROUNDS + 1):
        noise = rng.standard_normal((BATCH, 2)).astype("float32")
        fake = fw.to_numpy(generator(noise))
        if toggling:
            discriminator.trainable = True

        def discriminator_step(fake=fake):
            discriminator.train_on_batch(real, ones)
            discriminator.train_on_batch(fake, zeros)

        step(record, refs, mine, round_number, "discriminator", discriminator_step)
        if toggling:
            discriminator.trainable = False
        step(record, refs, mine, round_number, "gan", lambda noise=noise: gan.train_on_batch(noise, ones))


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
