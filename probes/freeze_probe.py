"""Freeze probe: what does ``trainable = False`` really do in this TensorFlow?

Runs inside one release's environment and writes one JSON document: what the
environment is and one record per case. It must stay importable on Python 3.7
with TensorFlow 1.15 and work up to the newest Python, TensorFlow and Keras 3,
so it uses only the standard library, numpy and TensorFlow.

Usage: python freeze_probe.py OUTPUT.json [--repeat N]

--repeat N runs every case N times and lists, per case, the aspects whose outcome differed
between runs ("flaky"); the case's record is that of its first run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import sys
import time
import warnings

STARTED = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ start-up banners are not findings
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import tensorflow as tf

IMPORTED = time.perf_counter()
# The runner tells "the release cannot be imported" from "the probe crashed later" by this line.
sys.stderr.write("tfmatrix-imported tensorflow %s\n" % tf.__version__)
sys.stderr.flush()

PROBE = "freeze"
SEED = 0
MAX_MESSAGE_CHARS = 500
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")

# Axis order in a case id. The seed's cases carry only the first four axes, so their ids stay
# exactly as the seed notebook's matrix first published them.
AXES = ("api", "target", "order", "train_api", "layer", "optimizer", "run_eagerly")
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


def case(group, **axes):
    full = dict(BASELINE)
    full.update(axes)
    return {"group": group, "axes": full}


def grid():
    """Every case, grouped by the question it answers. See the report's "Grid" section."""
    cases = []
    # The seed notebook's eight cases, in the notebook's order, with the seed's four axes only.
    for order in ("freeze_then_compile", "compile_then_freeze"):
        for target in ("model", "layer"):
            for api in ("sequential", "functional"):
                axes = {"api": api, "target": target, "order": order, "train_api": "train_on_batch"}
                cases.append({"group": "seed", "axes": axes})
    # When you freeze x how you train x run_eagerly: the interactions users hit most.
    for order in ORDERS:
        for train_api in TRAIN_APIS:
            for run_eagerly in ("false", "true"):
                cases.append(
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
            cases.append(case("nested", api=api, target="nested", order=order, train_api="train_on_batch"))
    # Subclassed models, against the seed's sequential/functional baseline.
    for target in ("model", "layer"):
        for order in ("freeze_then_compile", "compile_then_freeze"):
            cases.append(case("subclassed", api="subclassed", target=target, order=order, train_api="train_on_batch"))
    # A frozen BatchNormalization: parameters, moving statistics and inference mode.
    for order in ("freeze_then_compile", "compile_then_freeze"):
        for train_api in ("train_on_batch", "fit"):
            cases.append(
                case("batchnorm", api="sequential", target="layer", order=order, train_api=train_api, layer="batchnorm")
            )
    # Momentum carried from an earlier step.
    for train_api in TRAIN_APIS:
        for order in ("freeze_after_first_step", "freeze_then_compile"):
            cases.append(
                case(
                    "momentum",
                    api="sequential",
                    target="layer",
                    order=order,
                    train_api=train_api,
                    optimizer="sgd_momentum",
                )
            )
    return cases


def case_id(axes):
    return "/".join(axes[name] for name in AXES if name in axes)


def keras_module():
    return tf.keras


def keras_flavour():
    keras = keras_module()
    return "keras3" if keras_version(keras).startswith("3.") else "keras2"


def enable_eager():
    """TF 1.x builds graphs by default; the probe reads weights eagerly."""
    if tf.executing_eagerly():
        return False
    tf.compat.v1.enable_eager_execution()
    return True


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    if keras_flavour() == "keras3":
        keras_module().utils.set_random_seed(seed)  # Keras 3 draws from its own SeedGenerator
    elif hasattr(tf.random, "set_seed"):
        # Not keras.utils.set_random_seed: in tf-keras 2.16-2.18 on Python 3.12 it makes every
        # later layer creation fail (tf_keras/src/backend.py: generator.randint(1, 1e9)).
        tf.random.set_seed(seed)
    else:
        tf.compat.v1.set_random_seed(seed)


class NotApplicable(Exception):
    """The release has no such feature: the case is recorded as not applicable, not as an error."""


def middle_layer(kind):
    layers = keras_module().layers
    return layers.BatchNormalization() if kind == "batchnorm" else layers.Dense(4)


def make_model(axes):
    keras = keras_module()
    Dense = keras.layers.Dense
    api, target, kind = axes["api"], axes["target"], axes.get("layer", "dense")
    if target == "nested":
        inner = keras.models.Sequential([Dense(7, input_dim=3), Dense(4)], name="inner")
        if api == "functional":
            x = keras.layers.Input((3,))
            return keras.models.Model(inputs=x, outputs=Dense(1)(inner(x)))
        return keras.models.Sequential([inner, Dense(1)])
    if api == "functional":
        x = keras.layers.Input((3,))
        y = Dense(7)(x)
        y = Dense(4)(y)
        y = Dense(1)(y)
        return keras.models.Model(inputs=x, outputs=y)
    if api == "subclassed":
        model = subclassed_model_class()()
        model(np.zeros((1, 3), dtype="float32"))  # creates the weights
        return model
    return keras.models.Sequential([Dense(7, input_dim=3), middle_layer(kind), Dense(1)])


def subclassed_model_class():
    keras = keras_module()

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
    return [layers[1]]


def variable_path(variable):
    # Keras 3 names a variable just "kernel" and keeps the scoped name in .path.
    path = getattr(variable, "path", None) or variable.name
    return re.sub(r":\d+$", "", path)


def variable_value(variable):
    if hasattr(variable, "numpy"):
        return np.array(variable.numpy())
    return np.array(variable)


def owners(model):
    """id(variable) -> name of the innermost layer that owns it."""
    found = {}
    for layer in model.layers:
        if getattr(layer, "layers", None):  # a nested model: its own layers own the variables
            found.update(owners(layer))
        for variable in layer.weights:
            found.setdefault(id(variable), layer.name)
    return found


def weight_refs(model):
    """(layer name, variable path, variable) for model.weights, in that order."""
    owner = owners(model)
    return [(owner.get(id(v), ""), variable_path(v), v) for v in model.weights]


def weight_labels(model):
    return ["%s:%s" % (layer, path) for layer, path, _ in weight_refs(model)]


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
    optimizers = keras_module().optimizers
    if name == "sgd_momentum":
        return optimizers.SGD(learning_rate=0.01, momentum=0.9)
    return optimizers.Adam()


def compile_model(model, axes):
    optimizer = make_optimizer(axes.get("optimizer", "adam"))
    if axes.get("run_eagerly") != "true":
        model.compile(loss="mse", optimizer=optimizer)
        return
    try:
        model.compile(loss="mse", optimizer=optimizer, run_eagerly=True)
    except TypeError as exc:
        if "run_eagerly" in str(exc):
            raise NotApplicable("Model.compile does not take run_eagerly") from exc
        raise
    if getattr(model, "run_eagerly", None) is not True:
        raise NotApplicable("Model.compile ignored run_eagerly=True")


class Trainer:
    """One training step through the case's entry point; the custom loop is the reference."""

    def __init__(self, model, axes, batch_size):
        self.model = model
        self.api = axes["train_api"]
        self.optimizer = None
        self.rng = np.random.RandomState(SEED)
        self.batch_size = batch_size
        self.loss = keras_module().losses.MeanSquaredError()
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
        variables = list(self.model.trainable_variables)
        with tf.GradientTape() as tape:
            loss = self.loss(y, self.model(x, training=True))
        if variables:
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables))


def batchnorm_check(model, layer, batch_size):
    """Does the frozen BatchNormalization normalise with moving statistics even when training=True?"""
    x = np.random.RandomState(SEED + 1).standard_normal((batch_size, 3)).astype("float32") * 3 + 1
    before = [variable_value(v) for v in layer.weights]
    training = np.array(model(x, training=True))
    inference = np.array(model(x, training=False))
    for variable, value in zip(layer.weights, before):  # a training-mode call may update moving stats
        variable.assign(value)
    return {"inference_mode_in_training": bool(np.allclose(training, inference))}


class WarningRecorder(logging.Handler):
    """Collects WARNING+ log records from the loggers TensorFlow and Keras use."""

    LOGGERS = ("", "tensorflow", "absl", "keras")

    def __init__(self):
        logging.Handler.__init__(self, logging.WARNING)
        self.records = []

    def emit(self, record):
        if all(r is not record for r in self.records):  # propagation delivers a record twice
            self.records.append(record)

    def __enter__(self):
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc_info):
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)


def first_line(text):
    lines = str(text).strip().splitlines()
    line = ADDRESS.sub("0x?", lines[0] if lines else "")  # object addresses differ run to run
    return line[:MAX_MESSAGE_CHARS]


def collected_warnings(caught, records):
    found = []
    for w in caught:
        found.append({"source": "warnings", "category": w.category.__name__, "message": first_line(w.message)})
    for record in records:
        found.append({"source": "logging", "category": record.levelname, "message": first_line(record.getMessage())})
    unique = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def empty_result(spec):
    axes = spec["axes"]
    return {
        "id": case_id(axes),
        "group": spec["group"],
        "axes": dict(axes),
        "status": "ok",
        "frozen_layers": [],
        "weights": [],
        "summary_text": None,
        "summary_printed": None,
        "summary_computed": None,
        "weight_order_before": [],
        "weight_order_after": [],
        "batchnorm": None,
        "warnings": [],
        "error": None,
        "flaky": [],
    }


def run_case(spec):
    """Build a fresh model, perform the case's steps, and record what happened."""
    keras = keras_module()
    keras.backend.clear_session()  # same layer names in every case and release
    seed_everything(SEED)
    axes = spec["axes"]
    result = empty_result(spec)
    batch_size = 8 if axes.get("layer") == "batchnorm" else 1  # batch statistics need a batch
    with warnings.catch_warnings(record=True) as caught, WarningRecorder() as recorder:
        warnings.simplefilter("always")
        try:
            model = make_model(axes)
            targets = targets_of(model, axes["target"])
            result["frozen_layers"] = [layer.name for layer in targets]
            trainer = Trainer(model, axes, batch_size)
            refs = weight_refs(model)
            trainable_at_start = {id(v) for v in model.trainable_weights}
            before = [variable_value(v) for _, _, v in refs]
            result["weight_order_before"] = weight_labels(model)
            frozen_now = False
            for step in ORDERS[axes["order"]]:
                if step in ("freeze", "unfreeze"):
                    frozen_now = step == "freeze"
                    for layer in targets:
                        layer.trainable = not frozen_now
                    if step == "freeze":
                        result["weight_order_after"] = weight_labels(model)
                elif step == "compile":
                    compile_model(model, axes)
                elif step == "summary":
                    result["summary_text"] = summary_text(model)
                    result["summary_printed"] = printed_counts(result["summary_text"])
                    result["summary_computed"] = computed_counts(model)
                    if axes.get("layer") == "batchnorm":
                        result["batchnorm"] = batchnorm_check(model, targets[0], batch_size)
                elif step == "mark":
                    before = [variable_value(v) for _, _, v in refs]
                elif step == "train":
                    trainer.step()
            frozen = {id(v) for layer in targets for v in layer.weights} if frozen_now else set()
            for (layer, path, variable), old in zip(refs, before):
                new = variable_value(variable)
                result["weights"].append(
                    {
                        "layer": layer,
                        "path": path,
                        "trainable_at_start": id(variable) in trainable_at_start,
                        "frozen": id(variable) in frozen,
                        "moved": not np.allclose(old, new),
                        "max_abs_change": float(np.max(np.abs(new - old))) if old.size else 0.0,
                    }
                )
        except NotApplicable as exc:
            result["status"] = "not_applicable"
            result["error"] = {"type": "NotApplicable", "message": first_line(exc)}
        except Exception as exc:  # noqa: BLE001 - one failing case must not stop the others
            result["status"] = "error"
            result["error"] = {"type": type(exc).__name__, "message": first_line(exc)}
    result["warnings"] = collected_warnings(caught, recorder.records)
    return result


def outcome_signature(result):
    """What a repeat of the case must reproduce, per aspect; names and float deltas may differ."""
    error = result["error"]
    return {
        "status": (result["status"], error and error["type"]),
        "weights": [weight["moved"] for weight in result["weights"]],
        "printed": result["summary_printed"],
        "batchnorm": result["batchnorm"],
    }


def run_repeated(spec, repeat):
    """The case's first run, with the aspects whose outcome differed in any of ``repeat`` runs."""
    first = run_case(spec)
    expected = outcome_signature(first)
    differing = set()
    for _ in range(repeat - 1):
        again = outcome_signature(run_case(spec))
        differing.update(aspect for aspect, value in expected.items() if again[aspect] != value)
    first["flaky"] = sorted(differing)
    return first


def keras_version(keras):
    version = getattr(keras, "__version__", None)
    if version is None:  # from TF 2.13, tf.keras is an API module of the keras (or tf_keras) package
        package = sys.modules.get(keras.__name__.split(".")[0])
        version = getattr(package, "__version__", None)
    return str(version)


def main(argv):
    parser = argparse.ArgumentParser(prog="freeze_probe.py")
    parser.add_argument("output", help="where to write the JSON document")
    parser.add_argument("--repeat", type=int, default=1, help="run every case N times to find flaky outcomes")
    args = parser.parse_args(argv[1:])
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    output, repeat = args.output, args.repeat
    eager_enabled_by_probe = enable_eager()
    document = {
        "probe": PROBE,
        "environment": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras_version(keras_module()),
            "keras_flavour": keras_flavour(),
            "numpy": np.__version__,
            "eager_enabled_by_probe": eager_enabled_by_probe,
        },
        "repeat": repeat,
        "cases": [run_repeated(spec, repeat) for spec in grid()],
    }
    # Timings go to stderr, not into the result: results stay identical run to run.
    sys.stderr.write(
        "tfmatrix-timing import_s=%.2f cases_s=%.2f\n" % (IMPORTED - STARTED, time.perf_counter() - IMPORTED)
    )
    partial = output + ".partial"
    with open(partial, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(partial, output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
