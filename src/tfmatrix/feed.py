"""The feed ``reports/changes.atom`` (Atom, RFC 4287): one entry per semantic change a matrix run finds.

Entries come from two matrix summaries (``tfmatrix.summary.build``), the last run's and this one's; the
feed keeps every entry it ever had, so a reader sees the history, newest first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfmatrix import untrusted
from tfmatrix.errors import InputError
from tfmatrix.escape import xml_text
from tfmatrix.summary import Summary
from tfmatrix.vocabulary import State

ATOM = "http://www.w3.org/2005/Atom"
TAG = "tag:tfmatrix,2024-06-28:"  # RFC 4151: fixed forever, or every reader sees every entry as new
TITLE = "tfmatrix: TensorFlow/Keras behaviour changes"
EPOCH = "1970-01-01"  # the feed's <updated> while it has no entry: fixed, so an empty feed renders alike
SHOWN = 3  # cases a summary lists; the report has the rest
NAMESPACES = {"a": ATOM}
CHARACTER_REFERENCE = re.compile(r"&#(x)?([0-9a-fA-F]{1,8});")
LINK = re.compile(r"[\w.-]+\.md(#[\w-]*)?")  # a report of reports/, and a heading's anchor: no scheme
FIELDS = {"id": "a:id", "title": "a:title", "updated": "a:updated", "link": "a:link", "summary": "a:summary"}


@dataclass(frozen=True)
class Entry:
    """One change, as the feed shows it: ``updated`` is an ISO day, ``link`` relative to the feed."""

    id: str
    title: str
    updated: str
    link: str
    summary: str


def changes(previous: Summary | None, current: Summary, day: str) -> list[Entry]:
    """The entries for what changed from ``previous`` to ``current``; with no ``previous``, the known history."""
    envs = {env["id"]: env for env in current["environments"]}
    if previous is None:
        return [
            change_point(cp, envs, envs[cp["first_seen"][0]["environment"]]["released_on"] or day)
            for cp in current["change_points"]
        ]
    # A change point's id names the releases it was first seen in, so a new environment that changes
    # something brings a new id: no entry of its own besides that one.
    known = {cp["id"] for cp in previous["change_points"]}
    fresh = [change_point(cp, envs, day) for cp in current["change_points"] if cp["id"] not in known]
    return fresh + flips(previous, current, day)


def change_point(cp: dict[str, Any], envs: dict[str, Any], day: str) -> Entry:
    """The entry for a change point, dated ``day``."""
    first = envs[cp["first_seen"][0]["environment"]]
    released = f" ({first['released_on']})" if first["released_on"] else ""
    labels = ", ".join(dict.fromkeys(envs[f["environment"]]["label"] for f in cp["first_seen"]))
    since = ", ".join(
        f"{envs[f['environment']]['label']} (after {envs[f['after']]['label']})" for f in cp["first_seen"]
    )
    # A case id is the same in every environment: say which one changed.
    shown = [
        f"{c['case']} ({c['aspect']}, {envs[c['environment']]['label']}): {arrow(c['before'], c['after'])}"
        for c in cp["cases"]
    ]
    summary = [
        cp["summary"] or "Not yet explained.",
        f"First seen in {since}.",
        f"{count(shown)} changed: {listing(shown)}.",
        *([f"What to do: {cp['advice']}"] if cp["advice"] else []),
    ]
    return Entry(
        id=f"{TAG}{cp['id']}",
        title=f"New change point in {labels}{released}: {cp['summary'] or 'not yet explained'}",
        updated=day,
        link=cp["report"],
        summary=" ".join(summary),
    )


def flips(previous: Summary, current: Summary, day: str) -> list[Entry]:
    """One entry per (environment, question) whose cases changed verdict (or why) since ``previous``."""
    before = {env["id"]: env for env in previous["environments"]}
    # A failed attempt without findings to keep shows its failure in every cell: that is no behaviour change.
    stable = [
        e
        for e in current["environments"]
        if e["status"] == State.OK and before.get(e["id"], {}).get("status") == State.OK
    ]
    old = {q["id"]: q["cases"] for q in previous["questions"]}
    found = []
    for env in stable:
        for question in current["questions"]:
            was = old.get(question["id"], {})
            flipped = [
                f"{case}: {arrow(answer(was[case][env['id']]), answer(now[env['id']]))}"
                for case, now in question["cases"].items()
                if env["id"] in now
                and answer(was.get(case, {}).get(env["id"], now[env["id"]])) != answer(now[env["id"]])
            ]
            if flipped:
                reports = question["reports"]
                found.append(
                    Entry(
                        id=f"{TAG}flip/{day}/{env['id']}/{question['id']}",
                        title=f"{question['question']}: {count(flipped)} changed on {env['label']}",
                        updated=day,
                        link=reports.get(env.get("kind"), next(iter(reports.values()))),
                        summary=f"In the run of {day}, on {env['label']} ({env['track_title']}): {listing(flipped)}.",
                    )
                )
    return found


def answer(findings: dict[str, Any]) -> str:
    """A case's verdict and why, as the report's cells lead with them."""
    return str(findings["verdict"]) + (f": {findings['why']}" if findings["why"] else "")


def arrow(before: str, after: str) -> str:
    """``before → after``, an empty cell shown as the report shows it."""
    return f"{before or '—'} → {after or '—'}"


def count(items: list[Any]) -> str:
    return "1 case" if len(items) == 1 else f"{len(items)} cases"


def listing(items: list[str]) -> str:
    rest = len(items) - SHOWN
    return "; ".join(items[:SHOWN]) + (f"; and {rest} more" if rest > 0 else "")


def load(path: Path) -> tuple[list[Entry], list[str]]:
    """The entries of the feed at ``path`` (none if there is no file), and what was wrong with it: a feed
    that is not well-formed Atom is read entry by entry, and every entry that can be read is kept."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise InputError(path, "", f"cannot be read: {exc.strerror}") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return salvaged(path, data, f"is not well-formed XML ({exc})")
    if root.tag != f"{{{ATOM}}}feed":
        return salvaged(path, data, f"is not an Atom feed (its root element is {root.tag})")
    return read_entries(path, root.findall("a:entry", NAMESPACES))


def salvaged(path: Path, data: bytes, why: str) -> tuple[list[Entry], list[str]]:
    """The entries of a feed that cannot be parsed whole, each read on its own with the characters XML
    cannot hold replaced: a broken feed must not end the history, nor every later report."""
    problems = [f"{path}: {why}: rebuilt from the entries it holds and the change points"]
    nodes = []
    for n, block in enumerate(entry_blocks(data.decode("utf-8", errors="replace"))):
        wrapped = f'<feed xmlns="{ATOM}">{legal(block)}</feed>'
        try:
            nodes.append(ET.fromstring(wrapped)[0])
        except ET.ParseError as exc:
            problems.append(f"{path}: entry {n + 1} cannot be read ({exc}): left out")
    entries, more = read_entries(path, nodes)
    return entries, problems + more


def entry_blocks(text: str) -> Iterator[str]:
    """Each ``<entry ...>...</entry>`` of ``text`` in one pass (a pattern would try every unclosed one to the end)."""
    end = 0
    while (start := text.find("<entry", end)) >= 0:
        end = text.find("</entry>", start)
        if end < 0:
            return
        end += len("</entry>")
        yield text[start:end]


def legal(text: str) -> str:
    """``text`` without what XML 1.0 forbids: characters, and references to them, become U+FFFD."""
    return xml_text(CHARACTER_REFERENCE.sub(legal_reference, text))


def legal_reference(found: re.Match[str]) -> str:
    code = int(found[2], 16 if found[1] else 10)
    return found[0] if code <= 0x10FFFF and xml_text(chr(code)) == chr(code) else "&#xFFFD;"


def read_entries(path: Path, nodes: list[ET.Element]) -> tuple[list[Entry], list[str]]:
    """The entries that can be read, and why each other one was left out."""
    entries, problems = [], []
    for n, node in enumerate(nodes):
        try:
            entries.append(read_entry(path, f"entry[{n}]", node))
        except InputError as exc:
            problems.append(f"{exc}: left out")
    return entries, problems


def read_entry(path: Path, where: str, node: ET.Element) -> Entry:
    """One <entry> of a feed, with the fields ``render`` writes, each as ``render`` could have written it."""
    values = {}
    for name, query in FIELDS.items():
        found = node.find(query, NAMESPACES)
        value = None if found is None else found.get("href") if name == "link" else found.text
        if not value:
            raise InputError(path, f"{where}.{name}", "is missing or empty")
        untrusted.text(path, value, f"{where}.{name}")
        values[name] = value
    if not values["id"].startswith(TAG):
        raise InputError(path, f"{where}.id", f"expected a tag of this feed, {TAG}...")
    if not LINK.fullmatch(values["link"]):
        raise InputError(path, f"{where}.link", f"expected a report's file name and anchor, got {values['link']!r:.80}")
    untrusted.day(path, f"{where}.updated", values["updated"][:10])
    values["updated"] = values["updated"][:10]
    return Entry(**values)


def newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(sorted(entries, key=lambda e: e.id), key=lambda e: e.updated, reverse=True)


def render(entries: list[Entry]) -> str:
    """The whole feed as Atom XML; the same entries give the same bytes, in any order."""
    ordered = newest_first(entries)
    # The namespace as a plain attribute: ET.register_namespace would change every other user of ElementTree.
    feed = ET.Element("feed", {"xmlns": ATOM})
    ET.SubElement(feed, "id").text = f"{TAG}changes"
    ET.SubElement(feed, "title").text = TITLE
    ET.SubElement(feed, "updated").text = stamp(ordered[0].updated if ordered else EPOCH)
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "tfmatrix"
    ET.SubElement(feed, "link", {"rel": "self", "href": "changes.atom"})
    for entry in ordered:
        node = ET.SubElement(feed, "entry")
        ET.SubElement(node, "id").text = xml_text(entry.id)
        ET.SubElement(node, "title").text = xml_text(entry.title)
        ET.SubElement(node, "updated").text = stamp(entry.updated)
        ET.SubElement(node, "link", {"rel": "alternate", "href": xml_text(entry.link)})
        ET.SubElement(node, "summary", {"type": "text"}).text = xml_text(entry.summary)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def stamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def update(path: Path, previous: Summary | None, current: Summary, day: str) -> tuple[list[Entry], list[str]]:
    """The feed at ``path`` with the new entries of ``changes`` added, its history seeded where there is no
    file or it had to be rebuilt; and what was wrong with the file."""
    had, problems = load(path)
    known = {entry.id for entry in had}
    fresh = changes(previous, current, day) if path.exists() else []
    if problems or not path.exists():
        fresh = changes(None, current, day) + fresh
    return newest_first(had + list({e.id: e for e in fresh if e.id not in known}.values())), problems
