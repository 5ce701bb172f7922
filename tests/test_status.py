"""The matrix run's exit status: bad input first, then failed variants, then changes in behaviour."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from tfmatrix import status


@pytest.mark.parametrize(
    ("reported", "failed", "expected"),
    [
        (status.OK, False, status.OK),
        (status.CHANGED, False, status.CHANGED),
        (status.OK, True, status.INFRASTRUCTURE),
        (status.CHANGED, True, status.INFRASTRUCTURE),
        (status.BAD_INPUT, True, status.BAD_INPUT),
        (1, False, status.ERROR),  # the report session itself failed
        (status.INFRASTRUCTURE, False, status.INFRASTRUCTURE),  # the report found the disk full
    ],
)
def test_run_status(reported: int, failed: bool, expected: int) -> None:
    assert status.of_run(reported, failed=failed) == expected


def test_the_readme_documents_every_exit_status_of_the_run() -> None:
    """The exit-status table of docs/running.md lists what status.py defines, plus 130 for an interrupt."""
    readme = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \| ", readme, re.MULTILINE)}
    assert documented == {*status.MEANING, 130}
