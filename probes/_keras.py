"""What probes ask of the framework under test, which the kind names (TFMATRIX_FRAMEWORK), imported on demand.

Each framework is a module ``_fw_<name>.py`` beside this one: ``tf_keras`` (TensorFlow's tf.keras, eagerly),
``tf_graph`` (tf.keras in TF 1.x graph mode), ``keras3`` (Keras 3 on its own, on a backend) and ``keras2``
(standalone Keras 2 on TF 1.x). ``load()`` imports it; until then ``tf``, ``keras`` and ``framework`` are
None, so that probes can be described (and the report can read their metadata) where nothing is installed.
Standard library, numpy and the framework only; valid Python 3.7.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import os
import platform
import re

import _harness
import numpy as np

FRAMEWORK_VARIABLE = "TFMATRIX_FRAMEWORK"  # set by the harness's caller from the variant's kind
tf = None
keras = None
framework = None  # the _fw_<name> module
FACTS = {}  # the environment's facts, found by the first load()


def load():
    """Import the framework (once); the environment's facts as a probe result records them."""
    global tf, keras, framework  # noqa: PLW0603 - imported on demand, so that probes can be described without it
    if not FACTS:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ start-up banners are not findings
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        name = os.environ.get(FRAMEWORK_VARIABLE)
        if not name:
            raise RuntimeError("%s names no framework: the variant's kind sets it" % FRAMEWORK_VARIABLE)
        framework = importlib.import_module("_fw_" + name)
        tf, keras, description, facts = framework.load()
        gc.freeze()  # see fresh_session
        _harness.framework_imported(description)
        FACTS.update(
            python=platform.python_version(),
            tensorflow=tf.__version__ if tf else None,
            keras=keras_version(),
            keras_flavour=keras_major(),  # which Keras tf.keras is; the key predates the word "track"
            numpy=np.__version__,
            **facts,
        )
    return dict(FACTS)


def keras_version():
    version = getattr(keras, "__version__", None)
    if version is None:  # from TF 2.13, tf.keras is an API module of the keras (or tf_keras) package
        package = importlib.import_module(keras.__name__.split(".")[0])
        version = getattr(package, "__version__", None)
    return str(version)


def keras_major():
    return "keras3" if keras_version().startswith("3.") else "keras2"


def fresh_session(seed):
    """Same layer names in every case and release, and the framework's generators on ``seed``.

    With Keras 3, what survives a case's garbage is moved out of the collector's sight, as the
    import's objects are: else every automatic full collection walks all that earlier cases left
    behind (a third of Keras 3's time on tensorflow). Garbage is collected first, so what a case
    has already dropped is freed; what it drops later is never collected, which is little.
    Keras 2 gains nothing from it (its full collections are short), so there it is left as it was.
    """
    keras.backend.clear_session()
    if keras_major() == "keras3":
        gc.collect()
        gc.freeze()
        keras.utils.set_random_seed(seed)  # Keras 3 draws from its own SeedGenerator
    elif hasattr(tf.random, "set_seed"):
        # Not keras.utils.set_random_seed: in tf-keras 2.16-2.18 on Python 3.12 it makes every
        # later layer creation fail (tf_keras/src/backend.py: generator.randint(1, 1e9)).
        tf.random.set_seed(seed)
    else:
        tf.compat.v1.set_random_seed(seed)


def built(model, features):
    """``model``, built for inputs of ``features`` if it is not yet: Keras 3.0-3.4 build a Sequential whose
    first layer is a model only in fit(), so its weights could not be recorded before training."""
    if not model.built:
        model.build((None, features))
    return model


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
    """A variable's value as a numpy array."""
    return framework.value(variable)


def assign(variable, new):
    framework.assign(variable, new)


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
    variables = getattr(optimizer, "variables", None)
    if variables is None:  # Keras before 2.3 and TF 1.13: the optimizer's weights
        variables = optimizer.weights
    if callable(variables):  # a method in Keras 2's OptimizerV2, a property from the 2.11 optimizer on
        variables = variables()
    return {"iterations": int(value(optimizer.iterations)), "variables": len(variables)}


def compile_model(model, optimizer, run_eagerly, loss="mse"):
    """``compile(loss=loss)``, eagerly where ``run_eagerly`` is "true"; not applicable where the release cannot."""
    if run_eagerly != "true":
        model.compile(loss=loss, optimizer=optimizer)
        return
    if framework.GRAPH:
        raise _harness.NotApplicable("graph mode: there is no eager execution to run in")
    try:
        model.compile(loss=loss, optimizer=optimizer, run_eagerly=True)
    except TypeError as exc:
        if "run_eagerly" in str(exc):
            raise _harness.NotApplicable("Model.compile does not take run_eagerly") from exc
        raise
    if getattr(model, "run_eagerly", None) is not True:
        raise _harness.NotApplicable("Model.compile ignored run_eagerly=True")


def gradient_step(model, optimizer, x, y):
    """One step of a hand-written training loop over ``model.trainable_variables`` on the mean squared error,
    the framework's own way."""
    framework.gradient_step(model, optimizer, x, y)


def create_weights(model, x):
    """A subclassed model's weights, created for inputs like the numpy array ``x``."""
    framework.create_weights(model, x)


def outputs(model, x, training=None):
    """``model(x)`` (with ``training`` where it is given) as a numpy array."""
    return framework.outputs(model, x, training)


def rated(optimizer_class, learning_rate, **options):
    """``optimizer_class`` at ``learning_rate``, which Keras before 2.3 and TF 1.13 called ``lr``."""
    named = "learning_rate" if "learning_rate" in inspect.signature(optimizer_class.__init__).parameters else "lr"
    return optimizer_class(**{named: learning_rate}, **options)
