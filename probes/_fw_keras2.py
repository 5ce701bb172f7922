"""Framework: standalone multi-backend Keras 2 (``import keras``) on TensorFlow 1.x, in graph mode (the keras2 kind).

The kind sets KERAS_BACKEND=tensorflow, so that no ``~/.keras/keras.json`` chooses another backend.
Valid Python 3.7.
"""

from _graph import GRAPH, assign, create_weights, gradient_step, outputs, value  # noqa: F401 - this framework's


def load():
    import keras
    import tensorflow as tf

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError("keras %s runs on %s, not tensorflow" % (keras.__version__, backend))
    facts = {"eager_enabled_by_probe": False, "backend": backend, "backend_version": tf.__version__}
    return tf, keras, "keras %s (tensorflow %s, graph mode)" % (keras.__version__, tf.__version__), facts
