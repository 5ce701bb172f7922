"""Framework: TensorFlow's own ``tf.keras``, eagerly (the tensorflow kind's releases and the nightly).

TF 1.x builds graphs by default; there eager execution is turned on first, as TF 2 runs. With
TF_USE_LEGACY_KERAS=1 (set by the kind's tf-keras track), ``tf.keras`` is the tf-keras package.
Valid Python 3.7.
"""

import _eager
import numpy as np

GRAPH = False
value, assign, create_weights = _eager.value, _eager.assign, _eager.create_weights


def load():
    """TensorFlow and its ``tf.keras``, what to call them, and the facts only this framework has."""
    import tensorflow as tf

    return tf, tf.keras, "tensorflow %s" % tf.__version__, {"eager_enabled_by_probe": _eager.enable(tf)}


def outputs(model, x, training=None):
    """``model(x)`` as a numpy array."""
    return np.array(_eager.called(model, x, training))


def gradient_step(model, optimizer, x, y):
    """One step of a hand-written loop on the mean squared error: TensorFlow's tape."""
    import tensorflow as tf

    _eager.gradient_step(model, optimizer, tf.keras.losses.MeanSquaredError(), x, y)
