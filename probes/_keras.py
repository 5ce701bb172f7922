"""Which TensorFlow and Keras this environment has, imported on demand, and what probes ask of them.

``load()`` imports the framework; until then ``tf`` and ``keras`` are None, so that probes can be
described (and the report can read their metadata) where no framework is installed.
Standard library, numpy and the framework only; valid Python 3.7.
"""

from __future__ import annotations

import gc
import os
import platform
import re
import sys

import _harness
import numpy as np

tf = None
keras = None
FACTS = {}  # the environment's facts, found by the first load()


def load():
    """Import TensorFlow and its Keras (once); the environment's facts as a probe result records them."""
    global tf, keras  # noqa: PLW0603 - imported on demand, so that probes can be described without it
    if not FACTS:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ start-up banners are not findings
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        import tensorflow as tf

        # The framework's millions of objects live as long as the process: moved out of the garbage
        # collector's sight, they no longer make each clear_session()'s gc.collect() take 0.15 s.
        gc.freeze()
        _harness.framework_imported("tensorflow %s" % tf.__version__)
        keras = tf.keras
        FACTS.update(
            python=platform.python_version(),
            tensorflow=tf.__version__,
            keras=keras_version(),
            keras_flavour=keras_major(),  # which Keras tf.keras is; the key predates the word "track"
            numpy=np.__version__,
            eager_enabled_by_probe=enable_eager(),
        )
    return dict(FACTS)


def keras_version():
    version = getattr(keras, "__version__", None)
    if version is None:  # from TF 2.13, tf.keras is an API module of the keras (or tf_keras) package
        package = sys.modules.get(keras.__name__.split(".")[0])
        version = getattr(package, "__version__", None)
    return str(version)


def keras_major():
    return "keras3" if keras_version().startswith("3.") else "keras2"


def enable_eager():
    """TF 1.x builds graphs by default; probes read weights eagerly."""
    if tf.executing_eagerly():
        return False
    tf.compat.v1.enable_eager_execution()
    return True


def fresh_session(seed):
    """Same layer names in every case and release, and the framework's generators on ``seed``."""
    keras.backend.clear_session()
    if keras_major() == "keras3":
        keras.utils.set_random_seed(seed)  # Keras 3 draws from its own SeedGenerator
    elif hasattr(tf.random, "set_seed"):
        # Not keras.utils.set_random_seed: in tf-keras 2.16-2.18 on Python 3.12 it makes every
        # later layer creation fail (tf_keras/src/backend.py: generator.randint(1, 1e9)).
        tf.random.set_seed(seed)
    else:
        tf.compat.v1.set_random_seed(seed)


def variable_path(variable):
    # Keras 3 names a variable just "kernel" and keeps the scoped name in .path.
    path = getattr(variable, "path", None) or variable.name
    return re.sub(r":\d+$", "", path)


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


def value(variable):
    """A variable's value as a numpy array, on every release."""
    if hasattr(variable, "numpy"):
        return np.array(variable.numpy())
    return np.array(variable)


def values(refs):
    """Every variable's value, in the order of ``refs`` (from weight_refs)."""
    return [value(variable) for _, _, variable in refs]


def moves(refs, before, trainable_at_start, frozen, exact=False):
    """One record per weight of ``refs``: against its value in ``before``, did it move, and by how much.

    ``trainable_at_start`` and ``frozen`` are sets of ``id(variable)``. Moved means not
    ``numpy.allclose``, or with ``exact`` any change at all (a decay step is far below allclose's tolerance).
    """
    found = []
    for (layer, path, variable), old in zip(refs, before):
        new = value(variable)
        found.append(
            {
                "layer": layer,
                "path": path,
                "trainable_at_start": id(variable) in trainable_at_start,
                "frozen": id(variable) in frozen,
                "moved": not np.array_equal(old, new) if exact else not np.allclose(old, new),
                "max_abs_change": float(np.max(np.abs(new - old))) if old.size else 0.0,
            }
        )
    return found


def train_step(model, x, y, train_api):
    """One training step on the whole batch, by ``fit`` (one epoch) or ``train_on_batch``."""
    if train_api == "fit":
        model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    else:
        model.train_on_batch(x, y)


def optimizer_state(optimizer):
    """What an optimizer has done so far: its step count and how many variables (step, slots, ...) it holds."""
    variables = optimizer.variables
    if callable(variables):  # a method in Keras 2's OptimizerV2, a property from the 2.11 optimizer on
        variables = variables()
    return {"iterations": int(value(optimizer.iterations)), "variables": len(variables)}


def compile_model(model, optimizer, run_eagerly, loss="mse"):
    """``compile(loss=loss)``, eagerly where ``run_eagerly`` is "true"; not applicable where the release cannot."""
    if run_eagerly != "true":
        model.compile(loss=loss, optimizer=optimizer)
        return
    try:
        model.compile(loss=loss, optimizer=optimizer, run_eagerly=True)
    except TypeError as exc:
        if "run_eagerly" in str(exc):
            raise _harness.NotApplicable("Model.compile does not take run_eagerly") from exc
        raise
    if getattr(model, "run_eagerly", None) is not True:
        raise _harness.NotApplicable("Model.compile ignored run_eagerly=True")
