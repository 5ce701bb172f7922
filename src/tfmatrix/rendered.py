"""What the last report step wrote, and from what: so that a run with nothing new writes nothing.

The record (one JSON file, kept beside the report venv) holds the digest of everything the report step
read and the sha256 of every file it wrote. While both still hold, rendering again would write the
same bytes. Inputs are files and folders (every file below them), tfmatrix's own code and data, every
installed distribution's version and the Python running it, so a new matplotlib renders again. A
missing or unreadable record, or an output edited by hand, means: render.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from tfmatrix.record import write_json_atomic


def inputs_digest(paths: Iterable[Path], settings: Mapping[str, object]) -> str | None:
    """One digest of these files and folders (a missing one counts as missing), tfmatrix itself, the
    installed distributions and ``settings`` (what else decides the output, such as where it goes); None
    if a file went away while it was read (a writer's temporary file): then the report renders."""
    try:
        read = {
            str(path.resolve()): {str(file.relative_to(path)): sha256(file) for file in files_of(path)}
            for path in [*paths, Path(__file__).parent]
        }
    except OSError:
        return None
    installed = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions())
    document = {"read": read, "installed": installed, "python": sys.version, "settings": settings}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def files_of(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(file for file in path.rglob("*") if file.is_file() and "__pycache__" not in file.parts)
    return [path] if path.is_file() else []


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def up_to_date(record: Path, inputs: str) -> int | None:
    """How many files the report step wrote from these same inputs, each still as it wrote it; None if it
    must render (other inputs, a file changed or gone, no record)."""
    try:
        document = json.loads(record.read_text(encoding="utf-8"))
        outputs: Mapping[str, str] = document["outputs"]
        if document["inputs"] != inputs or not outputs:
            return None
        return len(outputs) if all(sha256(Path(name)) == want for name, want in outputs.items()) else None
    except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return None


def save(record: Path, inputs: str, written: Iterable[Path]) -> None:
    """Remember that these files, as they are now, were written from ``inputs``."""
    outputs = {str(path.resolve()): sha256(path) for path in written}
    write_json_atomic(record, {"inputs": inputs, "outputs": outputs})
