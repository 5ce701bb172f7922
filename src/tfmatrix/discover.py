"""Discovery: find the TensorFlow and Keras 3 releases the catalog lacks, by asking the package index pip and uv are configured with.

It adds a catalog entry for every minor line newer than the catalog's, moves an entry to a newer
patch of its line, and adds the matching tf-keras to entries from 2.16 that lack one; each with
today as its resolution date. A new Keras entry takes its Python and torch build from the newest one. It edits the catalog through tomlkit, which keeps its comments and layout.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.version import InvalidVersion, Version
from tomlkit.container import Container
from tomlkit.items import AoT, Date, InlineTable, Item, Table

from tfmatrix.kinds import keras
from tfmatrix.kinds.tensorflow import DISTRIBUTIONS, TF_KERAS_FROM

PYTHONS = ("3.13", "3.12", "3.11", "3.10", "3.9", "3.8", "3.7")  # the interpreters the machines have
FIRST = Version("1.15")


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
    """Ask for every package the catalog installs; an index that offers one of them nothing at all is dead."""
    # keras first: its wheels are pure Python, so an index that offers none of them is not answering.
    # ("Nothing new" must not be what an unreachable index looks like.)
    wheels = {}
    for package in ("keras", *DISTRIBUTIONS, "tf-keras"):
        wheels[package] = {py: index_versions(package, py) for py in PYTHONS}
        if package == "keras" and not any(wheels[package].values()):
            message = "the package index offers no release of keras at all: is it reachable (pip config list)?"
            raise RuntimeError(message)
    return Index(wheels)


def line(version: Version) -> tuple[int, int]:
    return version.major, version.minor


def newest_per_line(versions: set[Version]) -> dict[tuple[int, int], Version]:
    newest: dict[tuple[int, int], Version] = {}
    for version in versions:
        if version >= FIRST and (line(version) not in newest or version > newest[line(version)]):
            newest[line(version)] = version
    return newest


def tf_keras_table(version: Version, index: Index, today: dt.date) -> InlineTable | None:
    """``{ version = "...", resolved_as_of = ... }``: the tf-keras of ``version``'s line, if it applies and exists."""
    matching = [v for v in index.versions("tf-keras") if line(v) == line(version)]
    if version < TF_KERAS_FROM or not matching:
        return None
    table = tomlkit.inline_table()
    table.add(tomlkit.ws(" "))  # spaced inside the braces, like the entries written by hand
    table.append("version", str(max(matching)))
    table.append("resolved_as_of", today)
    table.add(tomlkit.ws(" "))
    return table


def set_release(entry: Table, version: Version, index: Index, today: dt.date) -> bool:
    """Make ``entry`` describe ``version``, or leave it as it is and return False: no wheel for our interpreters."""
    distribution = (
        "tensorflow-cpu" if version in index.versions("tensorflow-cpu") and version >= Version("2.1") else "tensorflow"
    )
    python = index.newest_python(distribution, version)
    if python is None:
        return False
    entry.update({"version": str(version), "distribution": distribution, "python": python, "resolved_as_of": today})
    tf_keras = tf_keras_table(version, index, today)
    if tf_keras is not None:
        entry["tf_keras"] = tf_keras
    elif "tf_keras" in entry:
        del entry["tf_keras"]
    return True


def split(entry: Table) -> tuple[Table, list[Item]]:
    """The entry up to its last key, as a table of its own, and the blank lines and comments after that key.

    tomlkit keeps them in the entry, though they separate it from what follows: after the last entry, that is the
    comment above [nightly]. A key or an entry appended there would land below that comment.
    """
    body = entry.value.body
    end = 1 + max(i for i, (key, _) in enumerate(body) if key is not None)
    head = Table(Container(), entry.trivia, is_aot_element=True)
    for key, item in body[:end]:
        if isinstance(item, InlineTable):
            keep_space_after_date(item)
        head.raw_append(key, item)
    return head, [item for _, item in body[end:]]


def keep_space_after_date(table: InlineTable) -> None:
    """Make tomlkit write ``{ ..., resolved_as_of = 2024-07-05 }`` back as it read it.

    Its parser takes the spaces after a date for the date's own (comment_ws) and an inline table never writes them:
    every tf_keras line would lose the space before its ``}``.
    """
    _, last = table.value.body[-1]
    if isinstance(last, Date) and last.trivia.comment_ws:
        table.add(tomlkit.ws(last.trivia.comment_ws))
        last.trivia.comment_ws = ""


def update(text: str, index: Index, today: dt.date) -> tuple[str, list[str]]:
    """The catalog text (already validated by catalog.load) with what the index has and it lacks.

    Returns the new text and one line per change (releases skipped first). Comments and the layout of the entries
    are kept, new entries come after the newest; nothing new returns ``text`` itself.
    """
    document = tomlkit.parse(text)
    releases = document["release"]
    if not isinstance(releases, AoT):
        message = "discover edits [[release]] tables, not an inline array of them"
        raise TypeError(message)
    split_entries = [split(entry) for entry in releases]
    heads = [head for head, _ in split_entries]
    tails = [tail for _, tail in split_entries]
    entries = {Version(str(head["version"])): head for head in heads}
    catalog_lines = {line(v): v for v in sorted(entries)}  # the newest entry of each line wins
    changes: list[str] = []
    skipped: list[str] = []
    for key, version in sorted(newest_per_line(set().union(*(index.versions(d) for d in DISTRIBUTIONS))).items()):
        current = catalog_lines.get(key)
        if (current is not None and version <= current) or (current is None and key < max(catalog_lines)):
            continue  # known, or an old line the catalog leaves out on purpose
        entry = tomlkit.table() if current is None else entries[current]
        if not set_release(entry, version, index, today):
            skipped.append(f"skipped {version}: no Linux wheel for Python {PYTHONS[-1]} to {PYTHONS[0]}")
        elif current is None:
            heads.append(entry)
            changes.append(f"added {version}")
        else:
            changes.append(f"moved {current} to {version}")
    for head in heads:
        version = Version(str(head["version"]))
        tf_keras = None if "tf_keras" in head else tf_keras_table(version, index, today)
        if tf_keras is not None:
            head["tf_keras"] = tf_keras
            changes.append(f"added tf-keras to {version}")
    changes += update_keras(document, index, today)
    if not changes:
        return text, skipped
    # What followed the last entry (the comment above [nightly]) follows the new last one, a blank line the others.
    blank_lines: list[list[Item]] = [[tomlkit.nl()] for _ in heads[len(tails) :]]
    tails[-1:] = blank_lines + tails[-1:]
    for position, (head, tail) in enumerate(zip(heads, tails, strict=True)):
        for item in tail:
            head.raw_append(None, item)
        if position < len(releases):
            releases[position] = head
        else:
            releases.append(head)
    return tomlkit.dumps(document), skipped + changes


def update_keras(document: tomlkit.TOMLDocument, index: Index, today: dt.date) -> list[str]:
    """Add the Keras 3 minor lines newer than the catalog's ``[[keras]]`` entries, and move entries to newer patches."""
    entries = document.get(keras.TABLE)
    if not isinstance(entries, AoT) or not entries:
        return []  # a catalog without Keras entries leaves Keras out
    by_line = {line(Version(str(entry["version"]))): entry for entry in entries}
    newest = by_line[max(by_line)]
    changes = []
    for key, version in sorted(newest_per_line({v for v in index.versions("keras") if v >= keras.FIRST}).items()):
        entry = by_line.get(key)
        if entry is None and key > max(by_line):
            added = tomlkit.table()
            added.update({"version": str(version), "python": newest["python"], "resolved_as_of": today})
            if "torch" in newest:
                added["torch"] = newest["torch"]
            entries[-1].add(tomlkit.nl())  # a blank line between entries, as in the rest of the catalog
            entries.append(added)
            changes.append(f"added Keras {version}")
        elif entry is not None and version > Version(str(entry["version"])):
            changes.append(f"moved Keras {entry['version']} to {version}")
            entry.update({"version": str(version), "resolved_as_of": today})
    return changes


def retire(results_dir: Path, old_ids: set[str], new_ids: set[str]) -> list[Path]:
    """Delete the results, under every probe's folder, of the variants in ``old_ids`` but not in ``new_ids``."""
    stale = old_ids - new_ids
    retired = sorted(path for path in results_dir.glob("*/*.json") if path.stem in stale)
    for path in retired:
        path.unlink()
    return retired
