"""The matrix run's exit status: bad input first, then a probe no case of which ran ok, then failed variants,
then changes in behaviour."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from tfmatrix import status


@pytest.mark.parametrize(
    ("reported", "failed", "none_ok", "expected"),
    [
        (status.OK, False, False, status.OK),
        (status.CHANGED, False, False, status.CHANGED),
        (status.OK, True, False, status.INFRASTRUCTURE),
        (status.CHANGED, True, False, status.INFRASTRUCTURE),
        (status.BAD_INPUT, True, False, status.BAD_INPUT),
        (1, False, False, status.ERROR),  # the report session itself failed
        (status.INFRASTRUCTURE, False, False, status.INFRASTRUCTURE),  # the report found the disk full
        (status.OK, True, True, status.NO_CASE_OK),  # a no-case-ok variant is a failed one too
        (status.CHANGED, True, True, status.NO_CASE_OK),
        (status.INFRASTRUCTURE, True, True, status.NO_CASE_OK),
        (status.BAD_INPUT, True, True, status.BAD_INPUT),
    ],
)
def test_run_status(reported: int, failed: bool, none_ok: bool, expected: int) -> None:
    assert status.of_run(reported, failed=failed, none_ok=none_ok) == expected


def test_the_readme_documents_every_exit_status_of_the_run() -> None:
    """The exit-status table of docs/running.md lists what status.py defines, plus 130 for an interrupt."""
    readme = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \| ", readme, re.MULTILINE)}
    assert documented == {*status.MEANING, 130}
