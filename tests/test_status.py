"""The matrix run's exit status: bad input first, then failed variants, then changes in behaviour."""

from __future__ import annotations

import pytest

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
    ],
)
def test_run_status(reported: int, failed: bool, expected: int) -> None:
    assert status.of_run(reported, failed=failed) == expected
    assert expected in status.MEANING
