"""Framework: Keras 3 on its own (``import keras``), on the backend the kind named in KERAS_BACKEND.

Keras reads KERAS_BACKEND itself; TensorFlow is imported only where it is the backend.
Valid Python 3.7.
"""

import sys

import _eager
import numpy as np

GRAPH = False
value, assign, create_weights = _eager.value, _eager.assign, _eager.create_weights


def load():
    import keras

    backend = keras.backend.backend()
    tf = None
    if backend == "tensorflow":
        import tensorflow as tf
    version = sys.modules[backend].__version__
    facts = {"eager_enabled_by_probe": False, "backend": backend, "backend_version": version}
    return tf, keras, "keras %s (%s %s)" % (keras.__version__, backend, version), facts


def gradient_step(model, optimizer, x, y):
    """One step of a hand-written loop on the mean squared error, the backend's own way: TensorFlow's tape,
    torch's ``backward()``, or ``jax.grad`` of the model's ``stateless_call``; each hands the gradients to
    Keras's optimizer, so what differs between backends is what Keras does, not the loop."""
    import keras

    loss = keras.losses.MeanSquaredError()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        _eager.gradient_step(model, optimizer, loss, x, y)
        return
    variables = list(model.trainable_variables)
    if backend == "torch":
        import torch

        model.zero_grad()
        loss(y, model(x, training=True)).backward()
        if variables:
            with torch.no_grad():
                optimizer.apply([v.value.grad for v in variables], variables)
    else:
        import jax

        non_trainable = [v.value for v in model.non_trainable_variables]

        def loss_of(trainable):
            predicted, _ = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss(y, predicted)

        if variables:
            optimizer.apply(jax.grad(loss_of)([v.value for v in variables]), variables)


def outputs(model, x, training=None):
    """``model(x)`` as a numpy array, on every backend (a torch tensor may need its grad detached)."""
    import keras

    return np.array(keras.ops.convert_to_numpy(_eager.called(model, x, training)))
