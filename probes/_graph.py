"""What the graph frameworks share: Keras on TensorFlow 1.x's default graph and its session.

That is how TF 1.x users ran Keras: no ``enable_eager_execution()``, values read and written through
the session (``keras.backend.get_value``), ``model(x, training=...)`` as the learning phase fed to
a ``keras.backend.function``. What needs eager execution is not applicable here.
Valid Python 3.7.
"""

import sys

import _harness
import numpy as np

GRAPH = True


def backend():
    """The Keras backend module of the framework that is loaded (tf.keras's or standalone Keras's)."""
    return sys.modules["_keras"].keras.backend


def value(variable):
    return np.array(backend().get_value(variable))


def assign(variable, new):
    backend().set_value(variable, new)


def create_weights(model, x):  # noqa: ARG001 - the eager frameworks' signature
    # TF 1.13's graph mode fails compile() after build() and train_on_batch() after a call on a constant.
    raise _harness.NotApplicable(
        "graph mode: a subclassed model's weights are created by its first training step, too late to record"
    )


def outputs(model, x, training=None):
    """``model(x)`` as a numpy array, run in the session with ``training`` as the learning phase."""
    keras_backend = backend()
    phase = [] if training is None else [keras_backend.learning_phase()]
    function = keras_backend.function(list(model.inputs) + phase, list(model.outputs))
    return np.array(function([x] + [int(bool(training))] * len(phase))[0])


def gradient_step(model, optimizer, x, y):  # noqa: ARG001 - the eager frameworks' signature
    raise _harness.NotApplicable("graph mode: a hand-written loop over trainable_variables needs eager execution")
