"""tfmatrix: what does ``trainable = False`` do, release by release, in TensorFlow/Keras?

Data flows one way: catalog -> environments (nox + uv) -> probe JSON -> aggregate -> report.
"""

__version__ = "0.2.0"
