"""The one error type for bad input: it names the file, the field and what was expected."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A catalog, probe output or result file that is not what it should be."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}".replace("\n", " "))
