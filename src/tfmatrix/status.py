"""Exit statuses of ``tfmatrix`` and of the matrix run, so scripts can tell failures from findings.

Standard library only: the noxfile uses it in nox's own interpreter.
"""

from __future__ import annotations

OK = 0
ERROR = 1  # something went wrong that is not one of the below: a bug, or nox itself
BAD_INPUT = 2  # catalog, results, explanations or options; nothing was probed or written
INFRASTRUCTURE = 3  # some variants failed (install, import, crash, timeout, results not written), or a full disk
CHANGED = 4  # the results behave differently from those the run started from
NO_CASE_OK = 5  # in some variant the probes ran, but no case of any ran ok: the harness does not drive it

MEANING = {
    OK: "every variant probed ok, no semantic change",
    ERROR: "the report could not be written",
    BAD_INPUT: "bad input",
    INFRASTRUCTURE: "some variants failed (install, import, crash, timeout; the report shows them), "
    "or their results or the report could not be written (a full disk; the console said where)",
    CHANGED: "the results changed in behaviour; the report shows where",
    NO_CASE_OK: "in some variant the probes ran but no case of any ran ok (no-case-ok; the report's Failed "
    "attempts say which and why): the harness does not drive that framework",
}


def of_run(reported: int, *, failed: bool, none_ok: bool = False) -> int:
    """The matrix run's status from its report's, whether any variant failed, and whether one ran with no case
    ok; bad input comes first, then a variant the harness cannot drive (a defect of ours, never transient).

    A report that could not be written for want of disk space is infrastructure, as failed variants are.
    """
    if reported == BAD_INPUT:
        return BAD_INPUT
    if reported not in (OK, CHANGED, INFRASTRUCTURE):
        return ERROR
    if none_ok:
        return NO_CASE_OK
    if failed or reported == INFRASTRUCTURE:
        return INFRASTRUCTURE
    return reported
