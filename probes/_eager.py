"""What the eager frameworks share: a training loop on TensorFlow's tape, a model called on numpy.

Valid Python 3.7.
"""

import numpy as np


def enable(tf):
    """Eager execution, turned on where the release builds graphs by default (TF 1.x); whether it had to be."""
    if tf.executing_eagerly():
        return False
    tf.compat.v1.enable_eager_execution()
    return True


def gradient_step(model, optimizer, loss, x, y):
    """One step of a hand-written loop over ``model.trainable_variables``: a ``tf.GradientTape``, then
    ``apply_gradients``."""
    import tensorflow as tf

    variables = list(model.trainable_variables)
    with tf.GradientTape() as tape:
        loss_value = loss(y, model(x, training=True))
    if variables:
        optimizer.apply_gradients(zip(tape.gradient(loss_value, variables), variables))


def called(model, x, training=None):
    """``model(x)``, with ``training`` where it is given."""
    return model(x) if training is None else model(x, training=training)


def create_weights(model, x):
    """A subclassed model's weights, created by calling it on ``x``."""
    model(x)


def value(variable):
    """A variable's value as a numpy array, on every release."""
    if hasattr(variable, "numpy"):
        return np.array(variable.numpy())
    return np.array(variable)


def assign(variable, new):
    variable.assign(new)
