"""The one error type for bad input: it names the file, the field and what was expected."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class InputError(Exception):
    """A catalog, probe output or result file that is not what it should be."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}".replace("\n", " "))


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML input file; an unreadable or malformed one is an InputError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "", f"is not valid TOML: {exc}") from None
