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
    """Import the framework (once); the environment's facts as a probe result records them.

    With KERAS_BACKEND set, that is Keras 3 on its own (``import keras``) on that backend, and
    TensorFlow only if it is the backend; otherwise TensorFlow and its ``tf.keras``.
    """
    global tf, keras  # noqa: PLW0603 - imported on demand, so that probes can be described without it
    if not FACTS:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # C++ start-up banners are not findings
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        backend = os.environ.get("KERAS_BACKEND")
        if backend:
            import keras

            if backend == "tensorflow":
                import tensorflow as tf
            framework = "keras %s (%s %s)" % (keras.__version__, backend, backend_version(backend))
        else:
            import tensorflow as tf

            keras = tf.keras
            framework = "tensorflow %s" % tf.__version__
        gc.freeze()  # see fresh_session
        _harness.framework_imported(framework)
        FACTS.update(
            python=platform.python_version(),
            tensorflow=tf.__version__ if tf else None,
            keras=keras_version(),
            keras_flavour=keras_major(),  # which Keras tf.keras is; the key predates the word "track"
            numpy=np.__version__,
            eager_enabled_by_probe=enable_eager() if tf else False,
        )
        if backend:
            FACTS.update(backend=backend, backend_version=backend_version(backend))
    return dict(FACTS)


def backend():
    """Keras's backend: tensorflow for tf.keras."""
    return keras.backend.backend()


def backend_version(name):
    return sys.modules[name].__version__


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


def gradient_step(model, optimizer, loss, x, y):
    """One step of a hand-written training loop over ``model.trainable_variables``, the backend's own way.

    TensorFlow: a ``tf.GradientTape``. torch: ``backward()``. jax: ``jax.grad`` of the model's
    ``stateless_call``. Each then hands the gradients to the optimizer (``apply_gradients``, or
    Keras 3's ``apply``), so what differs between backends is what Keras does, not the loop.
    """
    variables = list(model.trainable_variables)
    name = backend()
    if name == "tensorflow":
        with tf.GradientTape() as tape:
            value_ = loss(y, model(x, training=True))
        if variables:
            optimizer.apply_gradients(zip(tape.gradient(value_, variables), variables))
    elif name == "torch":
        import torch

        model.zero_grad()
        loss(y, model(x, training=True)).backward()
        if variables:
            with torch.no_grad():
                optimizer.apply([v.value.grad for v in variables], variables)
    elif name == "jax":
        import jax

        non_trainable = [v.value for v in model.non_trainable_variables]

        def loss_of(trainable):
            predicted, _ = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss(y, predicted)

        if variables:
            optimizer.apply(jax.grad(loss_of)([v.value for v in variables]), variables)
    else:
        raise _harness.NotApplicable("no hand-written training loop for the %s backend" % name)


def to_numpy(tensor):
    """A model's output as a numpy array, on every backend (a torch tensor may need grad detached)."""
    if keras_major() == "keras3":
        return np.array(keras.ops.convert_to_numpy(tensor))
    return np.array(tensor)
