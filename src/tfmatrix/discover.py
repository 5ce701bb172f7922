"""Find the TensorFlow releases the catalog lacks, by asking the package index pip and uv are configured with.

It adds a catalog entry for every minor line newer than the catalog's, moves an entry to a newer
patch of its line, and adds the matching tf-keras to entries from 2.16 that lack one; each with
today as its resolution date. Standard library and ``packaging`` only: the noxfile runs it.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

PYTHONS = ("3.13", "3.12", "3.11", "3.10", "3.9", "3.8", "3.7")  # the interpreters the machines have
FIRST = Version("1.15")
TF_KERAS_FROM = Version("2.16")


def index_versions(package: str, python: str) -> set[Version]:
    """Final releases of ``package`` with a wheel for ``python`` on this platform, from pip's configured index."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package, "--python-version", python, "--only-binary=:all:"],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"^Available versions: (.+)$", done.stdout, re.MULTILINE)
    if match is None:
        if "No matching distribution" in done.stderr:
            return set()
        lines = done.stderr.strip().splitlines() or ["no output"]
        message = f"pip index versions {package} failed: {lines[-1]}"
        raise RuntimeError(message)
    versions = set()
    for text in match.group(1).split(", "):
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not (version.is_prerelease or version.is_devrelease or version.is_postrelease):
            versions.add(version)
    return versions


@dataclass(frozen=True)
class Index:
    """What the index offers: for each distribution, the final versions with wheels for each Python."""

    wheels: dict[str, dict[str, set[Version]]]

    def versions(self, package: str) -> set[Version]:
        return set().union(*self.wheels.get(package, {}).values())

    def newest_python(self, package: str, version: Version) -> str | None:
        return next((py for py in PYTHONS if version in self.wheels.get(package, {}).get(py, set())), None)


def ask_index() -> Index:
    packages = ("tensorflow", "tensorflow-cpu", "tf-keras")
    return Index({package: {py: index_versions(package, py) for py in PYTHONS} for package in packages})


def line(version: Version) -> tuple[int, int]:
    return version.major, version.minor


def newest_per_line(versions: set[Version]) -> dict[tuple[int, int], Version]:
    newest: dict[tuple[int, int], Version] = {}
    for version in versions:
        if version >= FIRST and (line(version) not in newest or version > newest[line(version)]):
            newest[line(version)] = version
    return newest


def tf_keras_entry(version: Version, index: Index, today: dt.date) -> str:
    matching = [v for v in index.versions("tf-keras") if line(v) == line(version)]
    if version < TF_KERAS_FROM or not matching:
        return ""
    return f'tf_keras = {{ version = "{max(matching)}", resolved_as_of = {today.isoformat()} }}\n'


def release_block(version: Version, index: Index, today: dt.date) -> str | None:
    distribution = (
        "tensorflow-cpu" if version in index.versions("tensorflow-cpu") and version >= Version("2.1") else "tensorflow"
    )
    python = index.newest_python(distribution, version)
    if python is None:
        return None  # no wheel for an interpreter the machines have: nothing to probe it on
    return (
        f'[[release]]\nversion = "{version}"\ndistribution = "{distribution}"\npython = "{python}"\n'
        f"resolved_as_of = {today.isoformat()}\n{tf_keras_entry(version, index, today)}"
    )


def update(text: str, index: Index, today: dt.date) -> tuple[str, list[str]]:
    """The catalog text (already validated by catalog.load) with what the index has and it lacks.

    Returns the new text and one line per change. Entries come out oldest first, comments above
    the first entry are kept.
    """
    head, *rest = text.split("[[release]]\n")
    entries = {}
    for block in rest:
        match = re.search(r'^version = "([^"]+)"', block, re.MULTILINE)
        if match:
            entries[Version(match.group(1))] = "[[release]]\n" + block.strip("\n") + "\n"
    catalog_lines = {line(v): v for v in sorted(entries)}  # the newest entry of each line wins
    changes = []
    for key, version in sorted(
        newest_per_line(index.versions("tensorflow") | index.versions("tensorflow-cpu")).items()
    ):
        current = catalog_lines.get(key)
        if (current is not None and version <= current) or (current is None and key < max(catalog_lines)):
            continue  # known, or an old line the catalog leaves out on purpose
        entry = release_block(version, index, today)
        if entry is None:
            changes.append(f"skipped {version}: no Linux wheel for Python {PYTHONS[-1]} to {PYTHONS[0]}")
            continue
        if current is not None:
            del entries[current]
        entries[version] = entry
        changes.append(f"added {version}" if current is None else f"moved {current} to {version}")
    for version, block in entries.items():
        extra = "" if "tf_keras" in block else tf_keras_entry(version, index, today)
        if extra:
            entries[version] = block + extra
            changes.append(f"added tf-keras to {version}")
    return head + "\n".join(entries[v] for v in sorted(entries)), changes
