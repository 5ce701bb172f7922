"""Markdown folded at a readable width, so that a diff of a report shows what changed: a paragraph's or a list
item's text goes on over several lines, which GitHub renders as one.

Only what can be folded without changing what it renders is: a table row and its head, a heading, a line of
HTML, a fence and what it holds, an indented line, and the lines after a run of backticks that a code span may
continue, up to a blank line, stay as they are. A line is broken only at a space outside a code span and a
link's destination; never before a word that would start a block there (a list marker, a quote, a heading,
HTML), never where what is left would be one (a rule, a table's delimiter), never after a backslash.
"""

from __future__ import annotations

import re

from tfmatrix.escape import BLOCK_START

WIDTH = 100
KEPT = re.compile(r"^(?:\||#|<|```|~~~| )")
FENCE = re.compile(r"^(?:```|~~~)")
LEAD = re.compile(r"^(?:(?:[-+*]|\d{1,9}[.)]|>) +)+")  # list items' markers and quotes', nested on one line
UNSAFE_START = re.compile(r"^(?:[-+*_=|:]+$|[<|])")  # the same as a word, and a table row or HTML
BACKTICKS = re.compile(r"`+")
MARKS = re.compile(r"^[-+*_=|: ]+$")  # a line of these alone is a rule, a setext underline or a table delimiter
DESTINATION = re.compile(r"\]\([^)]*\)")


def markdown(text: str, width: int = WIDTH) -> str:
    """``text`` with each line of prose longer than ``width`` folded."""
    lines = []
    fenced = held = False  # held: a code span may go on over the lines up to the next blank one
    given = text.split("\n")
    for line, following in zip(given, [*given[1:], ""], strict=True):
        fenced ^= bool(FENCE.match(line))
        held = held and line.strip() != ""
        head = MARKS.match(LEAD.sub("", following))  # of a table: its cells are its line's
        kept = fenced or held or head or FENCE.match(line) or KEPT.match(line)
        held = held or (not fenced and code_spans(line) is None)
        lines += [line] if kept or held else folded(line, width)
    return "\n".join(lines)


def folded(line: str, width: int) -> list[str]:
    if len(line) <= width or line.endswith(" "):  # two spaces at the end break the line: kept as it is
        return [line]
    lead = LEAD.match(line)
    first = lead[0] if lead else ""
    if KEPT.match(line[len(first) :]) or BLOCK_START.match(line[len(first) :]):  # a heading in a list item, say
        return [line]
    then = re.sub("[^>]", " ", first)  # a quote goes on with its marker, a list item with its indent
    words = split(line[len(first) :])
    lines = [first + words[0]]
    for word in words[1:]:
        fits = len(lines[-1]) + 1 + len(word) <= width
        alone = lines[-1].removeprefix(then if len(lines) > 1 else first)  # what the line would hold on its own
        if fits or alone.endswith("\\") or MARKS.match(alone) or BLOCK_START.match(word) or UNSAFE_START.match(word):
            lines[-1] += " " + word
        else:
            lines.append(then + word)
    return lines


def split(text: str) -> list[str]:
    """``text``'s words: split at runs of spaces outside code spans and link destinations."""
    kept = [*(code_spans(text) or []), *(found.span() for found in DESTINATION.finditer(text))]
    words, start = [], 0
    for space in re.finditer(" +", text):
        if not any(begin <= space.start() < end for begin, end in kept):
            words.append(text[start : space.start()])
            start = space.end()
    words.append(text[start:])
    return [word for word in words if word] or [""]


def code_spans(text: str) -> list[tuple[int, int]] | None:
    """Where ``text``'s code spans are, as CommonMark finds them: a run of backticks no backslash escapes, to
    the next run exactly as long; None if a run has no such end."""
    spans = []
    at = 0
    while at < len(text):
        if text[at] == "\\":
            at += 2
            continue
        run = BACKTICKS.match(text, at)
        if run is None:
            at += 1
            continue
        end = re.compile(rf"(?<!`){run[0]}(?!`)").search(text, run.end())
        if end is None:
            return None
        spans.append((at, end.end()))
        at = end.end()
    return spans
