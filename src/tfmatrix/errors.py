"""The one error type for bad input: it names the file, the field and what was expected."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from tfmatrix.escape import visible


class InputError(Exception):
    """A catalog, probe output or result file that is not what it should be."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(visible(f"{where}: {problem}".replace("\n", " ")))  # one line, nothing a terminal obeys


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML input file; an unreadable or malformed one is an InputError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "", "is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, toml_key_at(text, str(exc)), f"is not valid TOML: {exc}") from None


def read_json_object(path: Path, shape: str) -> dict[str, Any]:
    """A JSON object kept between runs; {} where the file does not exist yet. One that cannot be read,
    or is no object (``shape`` says what it should map), is an InputError naming it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, "", f"cannot be read as JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(path, "", f"expected an object: {shape}")
    return document


def toml_key_at(text: str, message: str) -> str:
    """The key on the line a TOML error points at, e.g. ``line 16: resolved_as_of``; empty if there is none."""
    where = re.search(r"\(at line (\d+), column \d+\)", message)
    if where is None:
        return ""
    number = int(where.group(1))
    lines = text.splitlines()
    key = re.match(r"\s*([\w.\"-]+)\s*=", lines[number - 1]) if number <= len(lines) else None
    return f"line {number}: {key.group(1)}" if key else f"line {number}"
