"""Framework: ``tf.keras`` in TensorFlow 1.x graph mode, as TF 1.x ran it (the tf-graph kind).

Valid Python 3.7.
"""

from _graph import GRAPH, assign, create_weights, gradient_step, outputs, value  # noqa: F401 - this framework's


def load():
    import tensorflow as tf

    if tf.executing_eagerly():
        raise RuntimeError("TensorFlow %s executes eagerly: it has no graph mode to probe" % tf.__version__)
    return tf, tf.keras, "tensorflow %s (graph mode)" % tf.__version__, {"eager_enabled_by_probe": False}
