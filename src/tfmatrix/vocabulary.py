"""The words every part of tfmatrix uses for what happened, in one place: how an attempt at a variant ended, how
a case ended, the verdicts a case is judged to, and the shapes of the names of a cell (its repro command) and
of a pinpointed change point.

The side that runs things and the side that reports both read them here; the report side imports nothing that
runs things (a test reads the imports). The probes (Python 3.7, in the environment under test) write the same
strings; a test holds the two to each other. Standard library only.
"""

from __future__ import annotations

import enum
import shlex


class State(enum.StrEnum):
    """How an attempt at a variant ended: a result's ``status``."""

    OK = "ok"  # the probe ran, and at least one case ran to its end
    INSTALL_FAILED = "install-failed"  # the release or its dependencies could not be resolved or installed
    IMPORT_FAILED = "import-failed"  # the probe process ended before the framework was imported
    CRASHED = "crashed"  # it ended abnormally after the import: a signal, a non-zero exit, no output
    TIMEOUT = "timeout"  # a step ran past its time limit and was killed with its whole process group
    NO_CASE_OK = "no-case-ok"  # the probes ran, but no case of any of them ran ok: the harness cannot drive this
    # framework; never findings (one probe that raises in every case, beside others that ran, is a finding)


FAILURES = tuple(state for state in State if state is not State.OK)


class CaseStatus(enum.StrEnum):
    """How one case ended: a case record's ``status``."""

    OK = "ok"
    ERROR = "error"  # it raised: the exception is a finding
    NOT_APPLICABLE = "not_applicable"  # the release lacks what the case needs (the reason is recorded)


# The aspects the harness judges for every probe, from its INTENT, and the verdicts a case is judged to.
VERDICT, WHY = "verdict", "why"
WORKS, WRONG, RAISES, NO_EVIDENCE, NOT_APPLICABLE = "works", "silently wrong", "raises", "no evidence", "n/a"
SYMBOLS = {WORKS: "✅", WRONG: "❌", RAISES: "💥", NO_EVIDENCE: "❔"}  # as a verdict is shown, before its words


def shown(verdict: str) -> str:
    """A verdict as every report shows it: ``✅ works``."""
    return f"{SYMBOLS[verdict]} {verdict}"


def repro_command(case: str, variant: str, probe: str) -> str:
    """The one command, run in a checkout, that reproduces a cell: uv installs tfmatrix, which prints the
    commands; bash runs them (the recorded outcome, printed first, is a comment)."""
    return shlex.join(["uv", "run", "tfmatrix", "repro", case, "--variant", variant, "--probe", probe]) + " | bash"


def pinpoint_key(change: str, environment: str) -> str:
    """How a pinpointed verdict is found: the change point, and the release it was first seen in (one per track)."""
    return f"{change}@{environment}"
