"""The rules every value read from a file a pull request can change keeps, checked once, where it enters.

- ids and names are identifiers (``[A-Za-z0-9._+-]``), never a path;
- versions are PEP 440 (a local label such as ``+nv24.03`` allowed);
- days are real days (``YYYY-MM-DD``);
- text has no control character but line breaks and tabs (no escape sequence, no bidirectional override).

Each rule raises an InputError naming the file, the field and what was expected. What passes is still
escaped for each output it goes to (``tfmatrix.escape``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from tfmatrix.errors import InputError

IDENTIFIER = re.compile(r"[A-Za-z0-9._+-]{1,200}")
# Line feed and tab are text; every other control character is not (see escape.INVISIBLE), nor is a lone surrogate.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
LONGEST_VERSION = 64  # far beyond any release's; a 5000-digit one is no version
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def identifier(path: Path | str, field: str, value: Any) -> str:
    """An id or name: letters, digits and ``._+-``, and no ``.`` or ``..`` (which a path would read as a folder)."""
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value) or value in (".", ".."):
        raise InputError(
            path, field, f"expected an identifier of letters, digits and ._+- (no path), got {value!r:.80}"
        )
    return value


def version(path: Path | str, field: str, value: Any) -> Version:
    """A PEP 440 version, local labels allowed."""
    if isinstance(value, str) and len(value) <= LONGEST_VERSION:
        try:
            return Version(value)
        except InvalidVersion:
            pass
    raise InputError(path, field, f"expected a version such as 2.15.1 (PEP 440), got {value!r:.80}")


def day(path: Path | str, field: str, value: Any) -> str:
    """A day of the calendar, as ``YYYY-MM-DD``."""
    if isinstance(value, str) and DAY.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise InputError(path, field, f"expected a real day as YYYY-MM-DD, got {value!r:.80}")


def text(path: Path | str, document: Any, where: str = "") -> None:
    """Every string in ``document`` (keys too, at any depth) is text: the first that is not is an InputError."""
    stack = [(where, document)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            found = CONTROL.search(value)
            if found is not None:
                character = f"U+{ord(found[0]):04X}"
                raise InputError(path, field, f"expected text without control characters, found {character}")
        elif isinstance(value, dict):
            for key, item in value.items():
                stack += [(f"{field}.{key}".lstrip("."), key), (f"{field}.{key}".lstrip("."), item)]
        elif isinstance(value, list):
            stack += [(f"{field}[{index}]", item) for index, item in enumerate(value)]
