"""When each release was uploaded, as the package index pip is configured with says (``reports/release-dates.json``).

The day a version's first file was uploaded is its release date. The index is asked through its
JSON simple API (PEP 691), whose files carry ``upload-time`` (PEP 700); an index that answers in
HTML only, or a local folder, has no dates, and the release is then named without one. Dates are
facts that do not change: the file keeps every date it has learnt, and asking again only adds. It
lies beside the results folder (``reports/results`` -> ``reports/release-dates.json``).
Standard library and ``packaging`` only: the matrix session runs it in nox's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from tfmatrix import untrusted
from tfmatrix.errors import InputError, read_json_object
from tfmatrix.record import write_json_atomic

FILE_NAME = "release-dates.json"
JSON_API = "application/vnd.pypi.simple.v1+json"
Dates = dict[str, dict[str, str]]  # distribution -> version -> day


def configured_indexes(python: str = sys.executable) -> list[str]:
    """The simple-API base URLs pip is configured with (environment, then its configuration files), in its order.

    Where nothing sets ``index-url``, pip's own default is asked of pip itself, not written here.
    """
    listed = ""
    pip_on_path = shutil.which("pip")
    for command in [[python, "-m", "pip"], *([[pip_on_path]] if pip_on_path else [])]:
        try:
            done = subprocess.run([*command, "config", "list"], capture_output=True, text=True, check=False)
        except OSError:
            continue
        if done.returncode == 0:
            listed = done.stdout
            break
    settings: dict[str, list[str]] = {"index-url": [], "extra-index-url": []}
    for name, value in re.findall(r"^\S*?\.?(index-url|extra-index-url)='(.*)'$", listed, re.MULTILINE):
        settings[name] += [url for url in re.split(r"\s+|\\n", value) if url]
    configured = settings["index-url"][-1] if settings["index-url"] else None  # the last scope read wins
    main = os.environ.get("PIP_INDEX_URL") or configured or pip_default_index(python)
    extra = os.environ.get("PIP_EXTRA_INDEX_URL", "").split() or settings["extra-index-url"]
    return list(dict.fromkeys(url for url in [main, *extra] if url))


def pip_default_index(python: str) -> str | None:
    """pip's built-in index, as the installed pip names it; None where no pip answers."""
    ask = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    for interpreter in dict.fromkeys([python, sys.executable]):
        try:
            done = subprocess.run([interpreter, "-c", ask], capture_output=True, text=True, check=False)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return None


def version_of(filename: str) -> Version | None:
    """The version a distribution file carries, or None for a file that is neither a wheel nor an sdist."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (ValueError, InvalidVersion):  # packaging's InvalidWheelFilename and friends are ValueErrors
        return None


def real_day(text: str) -> bool:
    try:
        untrusted.day("", "", text)
    except InputError:
        return False
    return True


def upload_days(page: Mapping[str, Any]) -> dict[str, str]:
    """version -> the day its first file was uploaded, from one PEP 691 project page."""
    first: dict[str, str] = {}
    for entry in page.get("files", []):
        uploaded = entry.get("upload-time") if isinstance(entry, dict) else None
        version = version_of(str(entry.get("filename", ""))) if isinstance(entry, dict) else None
        if not isinstance(uploaded, str) or version is None or not real_day(uploaded[:10]):
            continue
        day = uploaded[:10]
        key = str(version)
        if key not in first or day < first[key]:
            first[key] = day
    return first


def ask(package: str, indexes: Iterable[str], timeout: float = 60) -> dict[str, str]:
    """Every upload day the indexes give for ``package``; an index that cannot answer gives none."""
    days: dict[str, str] = {}
    for base in indexes:
        if not base.startswith(("https://", "http://")):
            continue  # a local folder: its files carry no upload time
        url = f"{base.rstrip('/')}/{canonicalize_name(package)}/"
        request = urllib.request.Request(url, headers={"Accept": JSON_API})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if not response.headers.get("Content-Type", "").startswith(JSON_API):
                    continue  # HTML only: no upload times
                page = json.load(response)
        except (OSError, ValueError):  # unreachable, not found, not JSON: this index gives nothing
            continue
        for version, day in upload_days(page).items():
            if version not in days or day < days[version]:
                days[version] = day
    return days


def load(path: Path) -> Dates:
    """The dates learnt so far; none where the file does not exist yet."""
    document = read_json_object(path, "distribution -> version -> day")
    for distribution, versions in document.items():
        untrusted.identifier(path, "", distribution)
        if not isinstance(versions, dict):
            raise InputError(path, distribution, "expected an object: version -> day (YYYY-MM-DD)")
        for version, day in versions.items():
            untrusted.version(path, distribution, version)
            untrusted.day(path, f"{distribution}.{version}", day)
    return document


def learn(path: Path, wanted: Mapping[str, Iterable[str]], indexes: list[str]) -> list[str]:
    """Ask the index for the upload days of the ``wanted`` versions (distribution -> versions) not yet in ``path``,
    and add what it answers, with the day of every other release it lists then (not its nightly builds): the
    page offers every release. Returns the versions it could not date. Nothing known is ever dropped."""
    dates = load(path)
    undated = []
    found: dict[str, dict[str, str]] = {}
    for distribution, versions in sorted(wanted.items()):
        missing = sorted(set(versions) - set(dates.get(distribution, {})))
        if not missing:
            continue
        answered = ask(distribution, indexes)
        found[distribution] = {
            version: day
            for version, day in answered.items()
            if version in missing or not Version(version).is_devrelease
        }
        undated += [f"{distribution} {version}" for version in missing if version not in answered]
    add(path, found)
    return undated


def add(path: Path, found: Mapping[str, Mapping[str, str]]) -> None:
    """Add upload days the index gave (distribution -> version -> day) to those in ``path``; none is dropped."""
    dates = load(path)
    merged = {d: {**dates.get(d, {}), **dict(found.get(d, {}))} for d in {*dates, *found}}
    if merged != dates:
        write_json_atomic(path, merged)


def beside(results_dir: Path) -> Path:
    """Where the release dates of the results in ``results_dir`` are kept."""
    return results_dir.parent / FILE_NAME


def probed(results_dir: Path) -> dict[str, set[str]]:
    """distribution -> the versions the result files in ``results_dir`` are of (unreadable ones are the loader's)."""
    found: dict[str, set[str]] = {}
    for path in sorted(results_dir.glob("*/*.json")):
        try:
            release = json.loads(path.read_text(encoding="utf-8"))["release"]
            found.setdefault(str(release["distribution"]), set()).add(str(release["version"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found
