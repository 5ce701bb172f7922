"""Text from files a pull request can change, escaped for markdown, a shell comment, XML and a terminal."""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as ET

import cmarkgfm
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import commands_run_by, github_anchors
from tfmatrix import escape

MARKDOWN_BITS = [
    *("www.", "http://", "https://", "a@b.io", "@@", "~~", "&amp;", "&#64;", "<!--", "```", "# ", "1. ", "- "),
    *("[a](", "](", "[x]: ", "<details>"),
    *"ab:/.@~*_`|\\<>&#[]()! -\n\r\t\x1b\x85\u2028\u202e",
]
hostile = st.lists(st.sampled_from(MARKDOWN_BITS)).map("".join) | st.text()
TAGS_OF_A_TABLE = {"table", "thead", "tr", "th", "tbody", "td", "code"}


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # overrides and isolates: "Trojan Source"


def controlling(c: str) -> bool:
    """A character that moves the cursor, ends a line or reorders the text after it."""
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI


def squeezed(text: str) -> str:
    """What a reader should see of ``text`` on one line: every control character a space, runs of spaces one."""
    return " ".join("".join(" " if controlling(c) else c for c in text).split())


@given(hostile)
def test_recorded_text_stays_in_its_cell(text: str) -> None:
    """Rendered as GitHub renders markdown: one cell, no link, no strikethrough, no HTML of its own."""
    escaped = escape.markdown_text(text)
    assert not set(escaped) & set("\n\r<>")
    assert re.search(r"(?<!\\)\|", escaped) is None  # every pipe is escaped
    rendered = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n| --- |\n| {escaped} |\n")
    assert rendered.count("<td") == 1
    assert set(re.findall(r"<(\w+)", rendered)) <= TAGS_OF_A_TABLE


@given(hostile | st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF)))
def test_recorded_text_reads_as_it_was_written(text: str) -> None:
    """What GitHub shows in the cell is the text itself, whitespace squeezed: nothing lost, nothing added."""
    rendered = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n| --- |\n| {escape.markdown_text(text)} |\n")
    cell = re.search(r"<td>(.*)</td>", rendered, re.DOTALL)
    shown = html.unescape(re.sub(r"<[^>]+>", "", cell[1] if cell else ""))
    assert shown == squeezed(text).replace("\x00", "\ufffd")


def test_recorded_text_examples() -> None:
    assert escape.markdown_text("a|b\nc") == r"a\|b c"
    assert escape.markdown_text("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    said = escape.markdown_text("~~gone~~ at HTTPS://x.io/a_b or www.x.io")
    assert said == r"\~\~gone\~\~ at HTTPS\://x.io/a\_b or www\.x.io"
    assert escape.markdown_text("mail a@b.io") == "mail a`@`b.io"


@given(hostile)
@example("--")  # with the list marker before it, a rule (found by hypothesis)
def test_prose_keeps_the_structure_around_it(text: str) -> None:
    """Advice or evidence as a list item and in a table cell: one item, one cell, the heading after it still a
    heading, and no HTML but what markdown makes of code, emphasis and links."""
    prose = escape.markdown_prose(text)
    listed = cmarkgfm.github_flavored_markdown_to_html(f"- {prose}\n\n## After\n\nend\n")
    assert listed.count("<li>") == 1
    assert listed.count("<h2>") == 1
    assert listed.rstrip().endswith("<p>end</p>")
    assert set(re.findall(r"<(\w+)", listed)) <= {"ul", "li", "h2", "p", "code", "em", "strong", "a", "del"}
    tabled = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n| --- |\n| {prose} |\n")
    assert tabled.count("<td") == 1


def test_prose_keeps_code_spans_and_emphasis() -> None:
    said = "Call `compile()` again, *not* `a<b` nor `metadata['trainable']`."
    assert escape.markdown_prose(said) == said
    assert escape.markdown_prose("[a](`)<details>`") == r"\[a\](`)<details>`"  # no link: the span is a span
    assert escape.markdown_prose("[x]: http://e.com") == r"\[x\]: http://e.com"  # no link reference definition
    assert escape.markdown_prose("x\n<!-- hidden") == "x &lt;!-- hidden"
    assert escape.markdown_prose("# heading") == r"\# heading"
    assert escape.markdown_prose("1. item") == r"1\. item"
    assert escape.markdown_prose("2.16 is fine") == "2.16 is fine"


@given(hostile)
def test_an_anchor_is_what_github_makes_of_the_heading(text: str) -> None:
    """GitHub lower-cases the heading's text, keeps letters, marks, digits, ``_``, ``-`` and spaces, and hyphenates
    the spaces; the text it has is the heading as rendered, its whitespace squeezed."""
    assert [escape.anchor(text)] == github_anchors(f"## {escape.markdown_text(text)}\n")


def test_anchor_examples() -> None:
    assert escape.anchor("2.2.3: model.summary()  stopped\ncounting") == "223-modelsummary-stopped-counting"
    assert escape.anchor("Does `trainable = False` stop training?") == "does-trainable--false-stop-training"


@given(hostile)
def test_a_comment_line_runs_nothing(text: str) -> None:
    """bash reads the line as one comment, however the recorded text ends or breaks: it runs nothing."""
    script = escape.shell_comment(text) + "\n"
    assert script.count("\n") == 1
    assert commands_run_by(script + "echo after\n") == ["echo after"]


@given(hostile)
def test_visible_text_has_nothing_a_terminal_obeys(text: str) -> None:
    shown = escape.visible(text)
    assert not [
        c
        for c in shown
        if unicodedata.category(c) in ("Cc", "Zl", "Zp")
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    ]


@given(hostile)
def test_xml_text_is_well_formed(text: str) -> None:
    node = ET.Element("summary")
    node.text = escape.xml_text(text)
    assert ET.fromstring(ET.tostring(node, encoding="unicode")).tag == "summary"
