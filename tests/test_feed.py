from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest

from conftest import PROBES, RECORDED, ROOT
from tfmatrix import catalog, explanations, feed, probes, results, summary
from tfmatrix.record import write_text_atomic

DAY = "2026-11-27"
NEXT_DAY = "2026-11-28"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
FLIPPED_ENV = "tensorflow-cpu-2.16.2"
AFTER = {"verdict": "💥 raises", "why": "RuntimeError", "aspects": {"weights": "💥 error"}}


@pytest.fixture(scope="module")
def matrix() -> summary.Summary:
    """The summary of every recorded result, every view, with the committed explanations."""
    known = probes.load_all(PROBES)
    loaded = results.load_all(RECORDED, catalog.load(ROOT / "catalog.toml", dt.date.today()), known)
    return summary.build(loaded, known, explanations.load(ROOT / "explanations.toml", known), {})


def flipped(matrix: summary.Summary) -> tuple[summary.Summary, dict[str, Any], str, str]:
    """A deep copy of ``matrix`` in which one case of one question now has another verdict on FLIPPED_ENV;
    the verdict it had before, as the feed says it."""
    current = copy.deepcopy(matrix)
    question = next(q for q in current["questions"] if any(FLIPPED_ENV in c for c in q["cases"].values()))
    case, outcomes = next((case, o) for case, o in question["cases"].items() if FLIPPED_ENV in o)
    before = feed.answer(outcomes[FLIPPED_ENV])
    outcomes[FLIPPED_ENV] = AFTER
    return current, question, case, before


def label(matrix: summary.Summary, env: str) -> str:
    return str(next(e["label"] for e in matrix["environments"] if e["id"] == env))


def test_the_first_feed_has_one_entry_per_change_point(matrix: summary.Summary, tmp_path: Path) -> None:
    entries, _ = feed.update(tmp_path / "changes.atom", None, matrix, DAY)
    assert len(matrix["change_points"]) > 10
    assert len(entries) == len({e.id for e in entries}) == len(matrix["change_points"])
    assert sorted(e.link for e in entries) == sorted(cp["report"] for cp in matrix["change_points"])
    assert all(e.id.startswith("tag:tfmatrix,2024-06-28:") for e in entries)
    assert all(e.title.startswith("New change point in ") for e in entries)


def test_the_first_feed_is_dated_by_the_release_the_change_came_with(matrix: summary.Summary) -> None:
    dated = copy.deepcopy(matrix)
    first = dated["change_points"][0]["first_seen"][0]["environment"]
    next(e for e in dated["environments"] if e["id"] == first)["released_on"] = "2020-05-15"
    entries = {e.id.removeprefix("tag:tfmatrix,2024-06-28:"): e for e in feed.changes(None, dated, DAY)}
    for cp in dated["change_points"]:
        known = cp["first_seen"][0]["environment"] == first
        assert entries[cp["id"]].updated == ("2020-05-15" if known else DAY)  # the day of the run where unknown
        assert (" (2020-05-15): " in entries[cp["id"]].title) == known


def test_a_flipped_cell_gives_one_entry_naming_the_environment_and_the_outcomes(matrix: summary.Summary) -> None:
    current, question, case, before = flipped(matrix)
    [entry] = feed.changes(matrix, current, DAY)
    assert entry.title == f"{question['question']}: 1 case changed on {label(matrix, FLIPPED_ENV)}"
    assert f"{case}: {before} → 💥 raises: RuntimeError" in entry.summary
    assert entry.link == question["reports"]["tensorflow"]
    assert entry.updated == DAY


def test_the_same_results_give_no_entry(matrix: summary.Summary) -> None:
    assert feed.changes(matrix, copy.deepcopy(matrix), DAY) == []


def test_cells_of_a_failed_attempt_are_no_change_in_behaviour(matrix: summary.Summary) -> None:
    current, *_ = flipped(matrix)
    next(e for e in current["environments"] if e["id"] == FLIPPED_ENV)["status"] = "failed"
    assert feed.changes(matrix, current, DAY) == []


def test_a_new_change_point_gets_an_entry_with_what_to_do(matrix: summary.Summary) -> None:
    previous = copy.deepcopy(matrix)
    gone = next(cp for cp in previous["change_points"] if cp["summary"] and len(cp["cases"]) > 1)
    previous["change_points"].remove(gone)
    [entry] = feed.changes(previous, matrix, DAY)
    env = gone["first_seen"][0]["environment"]
    assert entry.title == f"New change point in {label(matrix, env)}: {gone['summary']}"
    assert f"{len(gone['cases'])} cases changed" in entry.summary
    assert entry.summary.endswith(f"What to do: {gone['advice']}")
    assert entry.link == gone["report"]


def test_a_change_point_not_yet_explained_says_so(matrix: summary.Summary) -> None:
    unexplained = [cp for cp in matrix["change_points"] if cp["summary"] is None]
    assert unexplained
    previous = {**matrix, "change_points": [cp for cp in matrix["change_points"] if cp["summary"]]}
    entries = feed.changes(previous, matrix, DAY)
    assert len(entries) == len(unexplained)
    assert all(e.title.endswith(": not yet explained") and "What to do" not in e.summary for e in entries)


def test_a_new_environment_that_changes_nothing_gets_no_entry(matrix: summary.Summary) -> None:
    named = {f[key] for cp in matrix["change_points"] for f in cp["first_seen"] for key in ("environment", "after")}
    quiet = next(e["id"] for e in reversed(matrix["environments"]) if e["id"] not in named)
    previous = copy.deepcopy(matrix)
    previous["environments"] = [e for e in previous["environments"] if e["id"] != quiet]
    for question in previous["questions"]:
        question["outcomes"].pop(quiet, None)
        for outcomes in question["cases"].values():
            outcomes.pop(quiet, None)
    assert feed.changes(previous, matrix, DAY) == []


def test_update_adds_each_change_once_and_keeps_every_entry(matrix: summary.Summary, tmp_path: Path) -> None:
    path = tmp_path / "changes.atom"
    seeded, _ = feed.update(path, matrix, matrix, DAY)  # no file yet: the history, whatever the previous run
    write_text_atomic(path, feed.render(seeded))
    current, *_ = flipped(matrix)
    once, _ = feed.update(path, matrix, current, NEXT_DAY)
    write_text_atomic(path, feed.render(once))
    assert set(once) - set(seeded) == {e for e in once if e.updated == NEXT_DAY}
    assert set(seeded) < set(once)
    assert len(once) == len(seeded) + 1
    assert feed.update(path, matrix, current, NEXT_DAY) == (once, [])


def test_render_is_deterministic_and_newest_first(matrix: summary.Summary) -> None:
    current, *_ = flipped(matrix)
    entries = feed.changes(None, matrix, DAY) + feed.changes(matrix, current, NEXT_DAY)
    text = feed.render(entries)
    assert text.encode() == feed.render(list(reversed(entries))).encode() == feed.render(entries).encode()
    days = [node.text or "" for node in ET.fromstring(text).findall("a:entry/a:updated", ATOM)]
    assert days == sorted(days, reverse=True)
    assert days[0] == f"{NEXT_DAY}T00:00:00Z"


@pytest.mark.parametrize("seeded", [True, False])
def test_the_feed_is_atom_as_a_feed_reader_reads_it(matrix: summary.Summary, *, seeded: bool) -> None:
    entries = feed.changes(None, matrix, DAY) if seeded else []
    text = feed.render(entries)
    parsed = feedparser.parse(text)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == "tag:tfmatrix,2024-06-28:changes"
    assert parsed.feed.title == "tfmatrix: TensorFlow/Keras behaviour changes"
    assert parsed.feed.author == "tfmatrix"
    assert parsed.feed.updated == f"{max((e.updated for e in entries), default='1970-01-01')}T00:00:00Z"
    assert len(parsed.entries) == len(entries)
    for read in parsed.entries:
        assert {"id", "title", "updated", "link", "summary"} <= set(read)
        assert read.summary_detail.type == "text/plain"
    assert {(r.id, r.title, r.summary, r.link) for r in parsed.entries} == {
        (e.id, e.title, e.summary, e.link) for e in entries
    }


def test_load_reads_back_what_render_wrote(matrix: summary.Summary, tmp_path: Path) -> None:
    current, *_ = flipped(matrix)
    entries = feed.changes(None, matrix, DAY) + feed.changes(matrix, current, NEXT_DAY)
    path = tmp_path / "changes.atom"
    path.write_text(feed.render(entries), encoding="utf-8")
    loaded, problems = feed.load(path)
    assert problems == []
    assert sorted(loaded, key=lambda e: e.id) == sorted(entries, key=lambda e: e.id)
    assert feed.render(loaded) == feed.render(entries)


def test_a_missing_feed_has_no_entries(tmp_path: Path) -> None:
    assert feed.load(tmp_path / "changes.atom") == ([], [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('<?xml version="1.0"?>\n<rss version="2.0">\n<channel/>\n</rss>\n', "is not an Atom feed"),
        ("# Changes\n\nnot XML at all\n", "is not well-formed XML"),
    ],
)
def test_a_file_that_is_not_an_atom_feed_is_rebuilt_from_the_change_points(
    matrix: summary.Summary, tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "changes.atom"
    path.write_text(text, encoding="utf-8")
    entries, problems = feed.update(path, matrix, matrix, DAY)
    assert len(entries) == len(matrix["change_points"])  # the history, as a new feed has it
    assert problem in problems[0]
    assert all("\n" not in said for said in problems)


def test_a_feed_broken_by_a_control_character_keeps_its_history(matrix: summary.Summary, tmp_path: Path) -> None:
    """A feed written with a character XML forbids (as main once wrote one) is mended, not fatal forever."""
    current, *_ = flipped(matrix)
    entries = feed.changes(None, matrix, DAY) + feed.changes(matrix, current, NEXT_DAY)
    path = tmp_path / "changes.atom"
    text = feed.render(entries)
    first = entries[0].summary[:20]
    path.write_text(text.replace(first, first + "\b\f", 1), encoding="utf-8")
    loaded, problems = feed.load(path)
    assert "is not well-formed XML" in problems[0]
    assert {e.id for e in loaded} == {e.id for e in entries}  # every entry kept, flips included
    assert ET.fromstring(feed.render(loaded))  # and written well-formed
    head, first_entry = text.split("<entry>", 1)
    path.write_text(head + "<entry>" + first_entry.replace("<updated>", "<updated>&#8;", 1), encoding="utf-8")
    loaded, problems = feed.load(path)
    assert len(loaded) == len(entries) - 1
    assert any("left out" in said for said in problems)


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ("<title>t</title>", "id"),
        (
            "<id>urn:other:1</id><title>t</title><updated>2024-01-01T00:00:00Z</updated><link href='a.md'/><summary>s</summary>",
            "id",
        ),
        (
            "<id>tag:tfmatrix,2024-06-28:x</id><title>t</title><updated>2024-01-01T00:00:00Z</updated><link href='javascript:alert(1)'/><summary>s</summary>",
            "link",
        ),
        (
            "<id>tag:tfmatrix,2024-06-28:x</id><title>t</title><updated>2021-02-30T00:00:00Z</updated><link href='a.md'/><summary>s</summary>",
            "updated",
        ),
        (
            "<id>tag:tfmatrix,2024-06-28:x</id><title>t\u0085</title><updated>2021-02-03T00:00:00Z</updated><link href='a.md'/><summary>s</summary>",
            "title",
        ),
    ],
)
def test_an_entry_that_render_could_not_have_written_is_left_out_and_named(
    tmp_path: Path, node: str, field: str
) -> None:
    path = tmp_path / "changes.atom"
    path.write_text(f'<feed xmlns="http://www.w3.org/2005/Atom"><entry>{node}</entry></feed>', encoding="utf-8")
    entries, problems = feed.load(path)
    assert entries == []
    assert f"entry[0].{field}" in problems[0]
    assert "\n" not in problems[0]
