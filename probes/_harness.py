"""The harness every probe runs on: arguments, seeding, warnings, errors as data, repeats, JSON output.

A probe is a module next to this file (``freeze.py``, ...) that declares what it asks and how to
ask it; the harness discovers it by name, runs its cases and writes one JSON document per probe.
One process runs every probe it is given, so the framework is imported once per environment.

The harness uses only the standard library and numpy. Probes import their framework in ``setup()``,
never at import time, so ``--describe`` prints every probe's metadata where no framework is
installed, and the report imports the probes to read the same metadata and judge their cases.
Everything here must stay valid Python 3.7 (TensorFlow 1.15 to 2.1 run on nothing newer).

A probe module has:
    NAME         its file name without ``.py``
    TITLE        the question the whole probe answers, as a heading
    DESCRIPTION  what every case does, in a paragraph
    AXES         {axis: {"title": ..., "values": [...]}}, in case-id order
    GROUPS       {group: {"question": ..., "grid": ...}}: each group of cases answers one question
    ASPECTS      {aspect: {"title": ..., ...}}: what the report judges per case, see ``judge``
    INTENT       {group: {"means": ..., "parts": {part: {"means": ..., "wrong": ...}}, "fixes": [...]}}:
                 what a user running a group's recipe means to happen, as parts that can each be
                 checked; each fix is {"do": ..., "case": {axis: value} or None}, the case that shows
                 it working (the user's case with those axes changed), None where no case does
    FIELDS       {field: default}: what the probe records per case besides the harness's fields
    setup()      imports the framework, calling framework_imported() once it has; returns facts
                 about the environment (a dict)
    cases()      [{"group": ..., "axes": {...}}]
    reset(seed)  before each case, once Python's and numpy's generators are seeded: a fresh
                 framework session with its own generators on ``seed``
    run_case(spec, record)  fills ``record`` in; raises NotApplicable where the release lacks a feature
    judge(case)  {aspect: outcome}: one comparable string per aspect (and any extra cell text);
                 repeats of a case are compared by what it says
    intended(case)  {part: True / False / None}: whether each part of INTENT happened in a case
                 that ran to the end; None where the case recorded nothing to tell (see ``verdict``)

Usage:
    python _harness.py --describe [PROBE ...]
    python _harness.py --out DIR [--repeat N] PROBE [PROBE ...]
"""

from __future__ import annotations

import argparse
import copy
import importlib
import itertools
import json
import logging
import os
import random
import re
import sys
import time
import warnings

import numpy as np

SEED = 0
MAX_MESSAGE_CHARS = 500
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
METADATA = ("NAME", "TITLE", "DESCRIPTION", "AXES", "GROUPS", "ASPECTS", "INTENT")
FUNCTIONS = ("setup", "cases", "reset", "run_case", "judge", "intended")
CASE_FIELDS = ("id", "group", "axes", "status", "warnings", "error", "flaky")  # what the harness records
# The runner tells "the framework cannot be imported" from "the probe crashed later" by this line.
IMPORTED_MARK = "tfmatrix-imported"
TIMING_FILE = "_timing.json"  # no probe is named with a leading _


# A case's verdict: did its recipe do what its user meant (the probe's INTENT)? The verdict leads every
# cell; "why" names the parts that differ, the exception, or what was not observed.
WORKS, WRONG, RAISES, NO_EVIDENCE, NOT_APPLICABLE = "works", "silently wrong", "raises", "no evidence", "n/a"
VERDICT_ASPECTS = {
    "verdict": {
        "title": "verdict",
        "matrix": True,
        "symbols": {
            WORKS: "✅ works",
            WRONG: "❌ silently wrong",
            RAISES: "💥 raises",
            NO_EVIDENCE: "❔ no evidence",
            NOT_APPLICABLE: "n/a",
        },
        "legend": {
            WORKS: "every part of what the recipe's user means happened",
            WRONG: "it ran without an error, but a part of what its user means did not happen; the cell says which",
            RAISES: "it raised an exception; the cell names it (and the step, where the probe records one)",
            NO_EVIDENCE: "nothing went wrong that the probe saw, but it could not observe a part (e.g. the weights "
            "that should move were not recorded): no verdict",
            NOT_APPLICABLE: "the release lacks what the case needs",
        },
    },
    "why": {"title": "what differs from what was meant", "matrix": True},
}

IMPORTED = []  # what framework_imported() said, once


class NotApplicable(Exception):
    """The release has no such feature: the case is recorded as not applicable, not as an error."""


class ProbeError(Exception):
    """A probe file that does not declare what the harness needs: names the probe and the attribute."""

    def __init__(self, name, attribute, problem):
        Exception.__init__(self, "probe %s: %s: %s" % (name, attribute, problem))
        self.name, self.attribute, self.problem = name, attribute, problem


def framework_imported(description):
    """Say, once, that the framework is imported: a process that dies after this crashed, not failed to import."""
    if not IMPORTED:
        IMPORTED.append(description)
        sys.stderr.write("%s %s\n" % (IMPORTED_MARK, description))
        sys.stderr.flush()


def load(name):
    """The probe module ``name`` from this directory, checked to declare what the harness needs."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    module = importlib.import_module(name)
    missing = [attr for attr in (*METADATA, "FIELDS", *FUNCTIONS) if not hasattr(module, attr)]
    if missing:
        raise ProbeError(name, missing[0], "missing")
    if name != module.NAME:
        raise ProbeError(name, "NAME", "is %r, expected its file name %r" % (module.NAME, name))
    clashing = sorted(set(module.FIELDS) & set(CASE_FIELDS))
    if clashing:
        raise ProbeError(name, "FIELDS", "%s is a field the harness records itself" % clashing[0])
    taken = sorted(set(module.ASPECTS) & set(VERDICT_ASPECTS))
    if taken:
        raise ProbeError(name, "ASPECTS", "%s is an aspect the harness judges itself" % taken[0])
    check_intent(module)
    return module


def check_intent(module):
    """Every group says what its user means, in parts that each say how they can go wrong; fixes name axes."""
    for group in module.GROUPS:
        intent = module.INTENT.get(group)
        where = "INTENT.%s" % group
        if not isinstance(intent, dict) or not isinstance(intent.get("means"), str) or not intent.get("parts"):
            raise ProbeError(module.NAME, where, "expected {means: ..., parts: {...}, fixes: [...]}")
        for part, spec in intent["parts"].items():
            if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) for k in ("means", "wrong")):
                raise ProbeError(module.NAME, "%s.parts.%s" % (where, part), "expected {means: ..., wrong: ...}")
        for index, fix in enumerate(intent.get("fixes", [])):
            case = fix.get("case") if isinstance(fix, dict) else None
            if not isinstance(fix, dict) or not isinstance(fix.get("do"), str) or "case" not in fix:
                raise ProbeError(module.NAME, "%s.fixes[%d]" % (where, index), "expected {do: ..., case: ...}")
            for axis, value in (case or {}).items():
                if value not in module.AXES.get(axis, {}).get("values", []):
                    raise ProbeError(module.NAME, "%s.fixes[%d].case.%s" % (where, index, axis), "not a value of AXES")
    extra = sorted(set(module.INTENT) - set(module.GROUPS))
    if extra:
        raise ProbeError(module.NAME, "INTENT.%s" % extra[0], "not a group of GROUPS")


def discover():
    """The names of every probe next to this file, sorted; files starting with _ are helpers."""
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(f[:-3] for f in os.listdir(here) if f.endswith(".py") and not f.startswith("_"))


def describe(module):
    """The probe's metadata as plain JSON data."""
    described = {attr.lower(): getattr(module, attr) for attr in METADATA}
    described["aspects"] = aspects(module)
    described["fields"] = sorted(module.FIELDS)
    return described


def aspects(module):
    """What the report judges per case: the verdict first, then the probe's own aspects."""
    found = copy.deepcopy(VERDICT_ASPECTS)
    found.update(module.ASPECTS)
    return found


def verdict(module, case):
    """{"verdict": ..., "why": ...}: did the case's recipe do what its user meant?

    A part that did not happen makes it silently wrong, whatever else was not observed; a part the
    case recorded nothing to tell of (``intended`` says None) makes it no evidence, never "works".
    """
    if case["status"] == "not_applicable":
        return {"verdict": NOT_APPLICABLE, "why": ""}
    if case["status"] == "error":
        phase = case.get("phase_reached")
        return {"verdict": RAISES, "why": case["error"]["type"] + (" at %s" % phase if phase else "")}
    parts = module.INTENT[case["group"]]["parts"]
    found = module.intended(case)
    wrong = [spec["wrong"] for part, spec in parts.items() if found[part] is False]
    if wrong:
        return {"verdict": WRONG, "why": "; ".join(wrong)}
    unseen = ["not observed: %s" % spec["means"] for part, spec in parts.items() if found[part] is None]
    if unseen:
        return {"verdict": NO_EVIDENCE, "why": "; ".join(unseen)}
    return {"verdict": WORKS, "why": ""}


def judged(module, case):
    """Every aspect of a recorded case: the verdict, then what the probe's judge says."""
    found = verdict(module, case)
    found.update(module.judge(case))
    return found


def all_moved(weights):
    """True if every one of ``weights`` moved, False if one did not, None if there were none to see."""
    moved = [w["moved"] for w in weights]
    return all(moved) if moved else None


def none_moved(weights):
    """True if none of ``weights`` moved, False if one did, None if there were none to see."""
    moved = [w["moved"] for w in weights]
    return not any(moved) if moved else None


def grid(axes):
    """Every combination of the axes' values, as a case's axes, in case-id order (the last axis varies fastest)."""
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(axes[name]["values"] for name in names))]


def case_id(module, axes):
    """The axes' values joined by / in the probe's axis order; a case may leave trailing axes out."""
    return "/".join(axes[name] for name in module.AXES if name in axes)


def first_line(text):
    """The line that says what happened, addresses masked: the first one, but where TensorFlow wraps
    an error raised inside a traced function ("in user code:", then a traceback), the last one."""
    lines = str(text).strip().splitlines()
    if len(lines) > 1 and lines[0].strip() == "in user code:":
        lines = [lines[-1].strip()]
    line = ADDRESS.sub("0x?", lines[0] if lines else "")  # object addresses differ run to run
    return line[:MAX_MESSAGE_CHARS]


class WarningRecorder(logging.Handler):
    """Collects WARNING+ log records from the loggers TensorFlow and Keras use."""

    LOGGERS = ("", "tensorflow", "absl", "keras")

    def __init__(self):
        logging.Handler.__init__(self, logging.WARNING)
        self.records = []

    def emit(self, record):
        if all(r is not record for r in self.records):  # propagation delivers a record twice
            self.records.append(record)

    def __enter__(self):
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc_info):
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)


def collected_warnings(caught, records):
    found = []
    for w in caught:
        found.append({"source": "warnings", "category": w.category.__name__, "message": first_line(w.message)})
    for record in records:
        found.append({"source": "logging", "category": record.levelname, "message": first_line(record.getMessage())})
    unique = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def seed_everything(module):
    """Python's and numpy's generators, then the probe's framework (the probe knows which one it has)."""
    random.seed(SEED)
    np.random.seed(SEED)
    module.reset(SEED)


def run_case(module, spec):
    """One case from fresh seeds: the harness's fields, the probe's, and any exception as data."""
    record = {
        "id": case_id(module, spec["axes"]),
        "group": spec["group"],
        "axes": dict(spec["axes"]),
        "status": "ok",
        "warnings": [],
        "error": None,
        "flaky": [],
    }
    record.update(copy.deepcopy(module.FIELDS))
    seed_everything(module)  # outside the capture: a fresh session's own warnings are no finding of the case
    with warnings.catch_warnings(record=True) as caught, WarningRecorder() as recorder:
        warnings.simplefilter("always")
        try:
            module.run_case(spec, record)
        except NotApplicable as exc:
            record["status"] = "not_applicable"
            record["error"] = {"type": "NotApplicable", "message": first_line(exc)}
        except Exception as exc:  # noqa: BLE001 - one failing case must not stop the others
            record["status"] = "error"
            record["error"] = {"type": type(exc).__name__, "message": first_line(exc)}
    record["warnings"] = collected_warnings(caught, recorder.records)
    return record


def failure_outcome(case):
    """How a lead aspect shows a case that did not run to the end: "n/a", "💥 <exception>", or None if it did."""
    if case["status"] == "not_applicable":
        return "n/a"
    if case["status"] == "error":
        return "💥 %s" % case["error"]["type"]
    return None


def signature(module, record):
    """What a repeat of the case must reproduce: its status and every judged aspect."""
    error = record["error"]
    outcomes = judged(module, record)
    found = {aspect: outcomes[aspect] for aspect in aspects(module)}
    found["status"] = [record["status"], error and error["type"]]
    return found


def run_repeated(module, spec, repeat):
    """The case's first run, with the aspects whose outcome differed in any of ``repeat`` runs."""
    first = run_case(module, spec)
    expected = signature(module, first)
    differing = set()
    for _ in range(repeat - 1):
        again = signature(module, run_case(module, spec))
        differing.update(aspect for aspect, value in expected.items() if again[aspect] != value)
    first["flaky"] = sorted(differing)
    return first


def write_json_atomic(path, document):
    partial = path + ".partial"
    with open(partial, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(partial, path)


def main(argv):
    parser = argparse.ArgumentParser(prog="_harness.py", description="Run probes; write one JSON file per probe.")
    parser.add_argument("probes", nargs="*", help="probe names (default with --describe: every probe)")
    parser.add_argument("--describe", action="store_true", help="print the probes' metadata as JSON and exit")
    parser.add_argument("--out", help="directory for <probe>.json and _timing.json")
    parser.add_argument("--repeat", type=int, default=1, help="run every case N times to find flaky outcomes")
    args = parser.parse_args(argv)
    if args.describe:
        try:
            described = [describe(load(name)) for name in args.probes or discover()]
        except ProbeError as exc:
            parser.error(str(exc))
        print(json.dumps(described, indent=2))
        return 0
    if not args.out or not args.probes:
        parser.error("--out and at least one probe are required")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        modules = [load(name) for name in args.probes]
    except ProbeError as exc:
        parser.error(str(exc))
    timing = {"cases_s": {}}
    for module in modules:  # one after the other: a probe that dies takes no earlier probe's results
        began = time.perf_counter()
        environment = module.setup()
        framework_imported(module.NAME)  # for a probe whose setup imports no framework
        timing.setdefault("import_s", round(time.perf_counter() - began, 2))  # the first setup imports it
        document = {
            "probe": module.NAME,
            "environment": environment,
            "repeat": args.repeat,
            "cases": [run_repeated(module, spec, args.repeat) for spec in module.cases()],
        }
        write_json_atomic(os.path.join(args.out, module.NAME + ".json"), document)
        timing["cases_s"][module.NAME] = round(time.perf_counter() - began, 2)
    # Timings go beside the results, not into them: results stay identical run to run.
    write_json_atomic(os.path.join(args.out, TIMING_FILE), timing)
    return 0


if __name__ == "__main__":
    # Run as the module probes import, not as __main__: else a probe's _harness.NotApplicable
    # would be another class than the one this file catches.
    import _harness

    sys.exit(_harness.main(sys.argv[1:]))
