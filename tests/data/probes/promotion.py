"""A second probe, for the tests: what adding a probe takes is this one file in probes/.

It asks numpy, not a deep-learning framework, so the fast tests can run it anywhere: does a
float32 scalar stay float32 when a Python float is added to it? NumPy 1.x promotes by value and
answers float64; NumPy 2 (NEP 50) keeps float32. Python 3.7 syntax, like every probe.
"""

import numpy as np

NAME = "promotion"
TITLE = "Does a float32 scalar stay float32?"
DESCRIPTION = "Adds a Python number to a numpy scalar and records the dtype of the sum."
AXES = {
    "scalar": {"title": "numpy scalar", "values": ["float32", "int8"]},
    "operand": {"title": "Python operand", "values": ["float", "int"]},
}
GROUPS = {"scalars": {"question": "Which dtype does scalar + Python number have?", "grid": "Each scalar × operand."}}
ASPECTS = {"dtype": {"title": "dtype of the sum", "matrix": True}}
INTENT = {
    "scalars": {
        "means": "The sum keeps the scalar's dtype.",
        "parts": {"kept": {"means": "the sum keeps the scalar's dtype", "wrong": "the sum is promoted"}},
        "fixes": [{"do": "Make the Python number a numpy scalar of the same dtype.", "case": None}],
    }
}
FIELDS = {"dtype": None}
OPERANDS = {"float": 3.0, "int": 3}


def setup():
    return {"numpy": np.__version__}


def reset(seed):
    """Nothing of its own to seed: the harness seeds numpy."""


def cases():
    return [
        {"group": "scalars", "axes": {"scalar": scalar, "operand": operand}}
        for scalar in AXES["scalar"]["values"]
        for operand in AXES["operand"]["values"]
    ]


def run_case(spec, record):
    scalar = getattr(np, spec["axes"]["scalar"])(1)
    record["dtype"] = str((scalar + OPERANDS[spec["axes"]["operand"]]).dtype)


def judge(case):
    return {"dtype": case["dtype"] or case["status"]}


def intended(case):
    return {"kept": case["dtype"] == case["axes"]["scalar"]}
