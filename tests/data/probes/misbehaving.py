"""Stand-in probe for the failure tests: imports TensorFlow as a real probe does, then misbehaves.

TFMATRIX_MISBEHAVE is a JSON object from TensorFlow version to what to do once the harness has
reported the import: "crash" (a real SIGSEGV), "hang" (sleep until killed) or "quiet" (exit 0
without writing output). Its name sorts after "freeze", so beside the real probes it misbehaves
after the freeze probe has written its result. Python 3.7 syntax: it runs inside the oldest
environments.
"""

import json
import os
import signal
import sys
import time

NAME = "misbehaving"
TITLE = "A probe that misbehaves on purpose"
DESCRIPTION = "Crashes, hangs or exits quietly after the import, as TFMATRIX_MISBEHAVE says."
AXES = {"plan": {"title": "plan", "values": ["crash", "hang", "quiet"]}}
GROUPS = {"misbehave": {"question": "Does the runner record how the probe failed?", "grid": "One case."}}
ASPECTS = {"outcome": {"title": "outcome", "matrix": True}}
INTENT = {"misbehave": {"means": "It never gets here.", "parts": {"ran": {"means": "it ran", "wrong": "it did not"}}}}
FIELDS = {}
VERSION = []


def setup():
    import tensorflow as tf

    VERSION.append(tf.__version__)
    return {"tensorflow": tf.__version__}


def reset(seed):
    """Nothing of its own to seed: the harness seeds numpy."""


def cases():
    """Runs after the harness printed that the framework is imported: this is where it misbehaves."""
    plan = json.loads(os.environ["TFMATRIX_MISBEHAVE"]).get(VERSION[0])
    if plan == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif plan == "hang":
        print("hanging", flush=True)
        time.sleep(3600)
    elif plan == "quiet":
        os._exit(0)
    sys.exit("no plan for TensorFlow %s in TFMATRIX_MISBEHAVE" % VERSION[0])


def run_case(spec, record):  # noqa: ARG001 - never reached
    raise AssertionError


def judge(case):  # noqa: ARG001 - never reached
    raise AssertionError


def intended(case):  # noqa: ARG001 - it never gets here
    return {"ran": True}
