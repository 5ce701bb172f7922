"""Exit statuses of ``tfmatrix`` and of the matrix run, so scripts can tell failures from findings.

Standard library only: the noxfile uses it in nox's own interpreter.
"""

from __future__ import annotations

OK = 0
ERROR = 1  # something went wrong that is not one of the below: a bug, or nox itself
BAD_INPUT = 2  # catalog, results, explanations or options; nothing was probed or written
INFRASTRUCTURE = 3  # some variants failed (install, import, crash, timeout); the others ran
CHANGED = 4  # the results behave differently from those the run started from

MEANING = {
    OK: "every variant probed ok, no semantic change",
    ERROR: "the report could not be written",
    BAD_INPUT: "bad input",
    INFRASTRUCTURE: "some variants failed (install, import, crash, timeout); the report shows them",
    CHANGED: "the results changed in behaviour; the report shows where",
}


def of_run(reported: int, *, failed: bool) -> int:
    """The matrix run's status from its report's and whether any variant failed; bad input comes first."""
    if reported == BAD_INPUT:
        return BAD_INPUT
    if reported not in (OK, CHANGED):
        return ERROR
    if failed:
        return INFRASTRUCTURE
    return reported
