"""Freeze probe: what does ``trainable = False`` really do in this TensorFlow?

Runs inside one release's environment and writes one JSON document: what the
environment is and one record per case. It must stay importable on Python 3.7
with TensorFlow 1.15 and work up to the newest Python, TensorFlow and Keras 3,
so it uses only the standard library, numpy and TensorFlow.

Usage: python freeze_probe.py OUTPUT.json
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ start-up banners are not findings
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import tensorflow as tf

PROBE = "freeze"
SEED = 0
MAX_MESSAGE_CHARS = 500
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")

# The seed notebook's steps, in the order each case performs them.
ORDERS = {
    "freeze_then_compile": ("freeze", "compile", "summary", "train"),
    "compile_then_freeze": ("compile", "freeze", "summary", "train"),
}


def seed_cases():
    """The eight cases of the seed notebook, in the notebook's order."""
    cases = []
    for order in ("freeze_then_compile", "compile_then_freeze"):
        for target in ("model", "layer"):
            for api in ("sequential", "functional"):
                axes = {"api": api, "target": target, "order": order, "train_api": "train_on_batch"}
                cases.append(axes)
    return cases


def case_id(axes):
    return "/".join(axes[name] for name in ("api", "target", "order", "train_api"))


def keras_module():
    return tf.keras


def enable_eager():
    """TF 1.x builds graphs by default; the probe reads weights eagerly."""
    if tf.executing_eagerly():
        return False
    tf.compat.v1.enable_eager_execution()
    return True


def seed_everything(seed):
    keras = keras_module()
    np.random.seed(seed)
    if hasattr(keras.utils, "set_random_seed"):
        keras.utils.set_random_seed(seed)
    elif hasattr(tf.random, "set_seed"):
        tf.random.set_seed(seed)
    else:
        tf.compat.v1.set_random_seed(seed)


def make_model(api):
    keras = keras_module()
    Dense = keras.layers.Dense
    if api == "functional":
        x = keras.layers.Input((3,))
        y = Dense(7)(x)
        y = Dense(4)(y)
        y = Dense(1)(y)
        return keras.models.Model(inputs=x, outputs=y)
    return keras.models.Sequential([Dense(7, input_dim=3), Dense(4), Dense(1)])


def frozen_layers(model, target):
    """What the case sets ``trainable = False`` on: the model, or the middle Dense layer."""
    if target == "model":
        return [model]
    dense = [layer for layer in model.layers if isinstance(layer, keras_module().layers.Dense)]
    return [dense[1]]


def variable_path(variable):
    # Keras 3 names a variable just "kernel" and keeps the scoped name in .path.
    path = getattr(variable, "path", None) or variable.name
    return re.sub(r":\d+$", "", path)


def variable_value(variable):
    if hasattr(variable, "numpy"):
        return np.array(variable.numpy())
    return np.array(variable)


def weight_refs(model):
    """(layer name, variable path, variable) for model.weights, in that order."""
    owners = {}
    for layer in model.layers:
        for variable in layer.weights:
            owners.setdefault(id(variable), layer.name)
    return [(owners.get(id(v), ""), variable_path(v), v) for v in model.weights]


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


def train_batch(model, rng):
    x = rng.standard_normal((1, 3)).astype("float32")
    y = rng.standard_normal((1, 1)).astype("float32")
    model.train_on_batch(x, y)


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


def run_case(axes):
    """Build a fresh model, perform the case's steps, and record what happened."""
    keras = keras_module()
    keras.backend.clear_session()  # same layer names in every case and release
    seed_everything(SEED)
    rng = np.random.RandomState(SEED)
    result = {
        "id": case_id(axes),
        "axes": dict(axes),
        "status": "ok",
        "frozen_layers": [],
        "weights": [],
        "summary_text": None,
        "summary_printed": None,
        "summary_computed": None,
        "weight_order_before": [],
        "weight_order_after": [],
        "warnings": [],
        "error": None,
    }
    with warnings.catch_warnings(record=True) as caught, WarningRecorder() as recorder:
        warnings.simplefilter("always")
        try:
            model = make_model(axes["api"])
            targets = frozen_layers(model, axes["target"])
            result["frozen_layers"] = [layer.name for layer in targets]
            refs = weight_refs(model)
            before = [variable_value(v) for _, _, v in refs]
            result["weight_order_before"] = weight_labels(model)
            for step in ORDERS[axes["order"]]:
                if step == "freeze":
                    for layer in targets:
                        layer.trainable = False
                    result["weight_order_after"] = weight_labels(model)
                elif step == "compile":
                    model.compile(loss="mse", optimizer="adam")
                elif step == "summary":
                    result["summary_text"] = summary_text(model)
                    result["summary_printed"] = printed_counts(result["summary_text"])
                    result["summary_computed"] = computed_counts(model)
                elif step == "train":
                    train_batch(model, rng)
            frozen = {id(v) for layer in targets for v in layer.weights}
            for (layer, path, variable), old in zip(refs, before):
                new = variable_value(variable)
                result["weights"].append(
                    {
                        "layer": layer,
                        "path": path,
                        "frozen": id(variable) in frozen,
                        "moved": not np.allclose(old, new),
                        "max_abs_change": float(np.max(np.abs(new - old))) if old.size else 0.0,
                    }
                )
        except Exception as exc:  # noqa: BLE001 - one failing case must not stop the others
            result["status"] = "error"
            result["error"] = {"type": type(exc).__name__, "message": first_line(exc)}
    result["warnings"] = collected_warnings(caught, recorder.records)
    return result


def keras_version():
    keras = keras_module()
    version = getattr(keras, "__version__", None)
    if version is None and hasattr(keras, "version"):
        version = keras.version()
    return str(version)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: python freeze_probe.py OUTPUT.json\n")
        return 2
    output = argv[1]
    eager_enabled_by_probe = enable_eager()
    document = {
        "probe": PROBE,
        "environment": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras_version(),
            "numpy": np.__version__,
            "eager_enabled_by_probe": eager_enabled_by_probe,
        },
        "cases": [run_case(axes) for axes in seed_cases()],
    }
    partial = output + ".partial"
    with open(partial, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(partial, output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
