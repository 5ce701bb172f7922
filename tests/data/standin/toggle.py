"""A stand-in probe for the stand-in kind: does a frozen thing hold? It holds from stand-in 2 on.

Python 3.7 syntax, like every probe.
"""

import os

NAME = "toggle"
TITLE = "Does a frozen thing hold?"
DESCRIPTION = "Freezes a thing and reads whether it held."
AXES = {"when": {"title": "frozen", "values": ["before", "after"]}}
GROUPS = {"freezing": {"question": "Does a frozen thing hold?", "grid": "Frozen before or after."}}
ASPECTS = {"held": {"title": "held", "matrix": True}}
INTENT = {
    "freezing": {
        "means": "The frozen thing holds.",
        "parts": {"held": {"means": "it held", "wrong": "it moved"}},
        "fixes": [{"do": "Freeze it before.", "case": {"when": "before"}}],
    }
}
FIELDS = {"held": None}


def setup():
    return {"standin": os.environ["STANDIN_VERSION"]}


def reset(seed):
    """Nothing to seed."""


def cases():
    return [{"group": "freezing", "axes": {"when": when}} for when in AXES["when"]["values"]]


def run_case(spec, record):
    record["held"] = spec["axes"]["when"] == "before" or int(os.environ["STANDIN_VERSION"].split(".")[0]) >= 2


def judge(case):
    return {"held": str(case["held"]) if case["status"] == "ok" else case["status"]}


def intended(case):
    return {"held": case["held"]}
