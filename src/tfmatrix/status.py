"""Exit statuses of ``tfmatrix`` and of the matrix run, so scripts can tell failures from findings.

Standard library only: the noxfile uses it in nox's own interpreter.
"""

from __future__ import annotations

OK = 0
ERROR = 1  # something went wrong that is not one of the below: a bug, or nox itself
BAD_INPUT = 2  # catalog, results, explanations or options; nothing was probed or written
INFRASTRUCTURE = 3  # some variants failed (install, import, crash, timeout, results not written), or a full disk
CHANGED = 4  # the results behave differently from those the run started from

MEANING = {
    OK: "every variant probed ok, no semantic change",
    ERROR: "the report could not be written",
    BAD_INPUT: "bad input",
    INFRASTRUCTURE: "some variants failed (install, import, crash, timeout; the report shows them), "
    "or their results or the report could not be written (a full disk; the console said where)",
    CHANGED: "the results changed in behaviour; the report shows where",
}


def of_run(reported: int, *, failed: bool) -> int:
    """The matrix run's status from its report's and whether any variant failed; bad input comes first.

    A report that could not be written for want of disk space is infrastructure, as failed variants are.
    """
    if reported == BAD_INPUT:
        return BAD_INPUT
    if reported not in (OK, CHANGED, INFRASTRUCTURE):
        return ERROR
    if failed or reported == INFRASTRUCTURE:
        return INFRASTRUCTURE
    return reported
