"""Markdown folded at a readable width renders as it did on one line (cmark-gfm, GitHub's markdown)."""

from __future__ import annotations

import re
from pathlib import Path

import cmarkgfm
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import unfolded
from tfmatrix import wrap

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = sorted([*ROOT.glob("reports/*.md"), ROOT / "README.md", *ROOT.glob("docs/*.md")])


def rendered(markdown: str) -> str:
    """GitHub's HTML, with each run of white space as one space: a soft line break shows as a space."""
    return re.sub(r"\s+", " ", cmarkgfm.github_flavored_markdown_to_html(markdown))


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: path.name)
def test_folding_a_committed_document_narrowly_renders_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    narrow = wrap.markdown(text, width=24)
    assert narrow != text
    assert rendered(narrow) == rendered(text)


@pytest.mark.parametrize("path", sorted(ROOT.glob("reports/*.md")), ids=lambda path: path.name)
def test_a_report_line_is_over_the_width_only_where_it_cannot_break(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").split("\n"):
        if len(line) > wrap.WIDTH and not wrap.KEPT.match(line):
            lead = wrap.LEAD.match(line)
            assert len(wrap.split(line[lead.end() if lead else 0 :])) == 1, line


# Words that start a block where they begin a line, or hold spaces a fold must not break.
SPECIAL = st.sampled_from(
    ["-", "+", "*", "1.", "2)", "#", "##", ">", "---", "===", "___", "|", "|---|", ":--", "<div>", "<b>", "\\",
     "`", "``", "`a b`", "`` a ` b ``", "\\`", "[a b](c)", "](x y)", "~~~", "```", "*em", "em*", "_", "a\\"]
)  # fmt: skip
WORD = st.one_of(SPECIAL, st.text(alphabet="ab`\\*_-#>|.1 ", min_size=1, max_size=6))
LINE = st.tuples(st.sampled_from(["", "- ", "1. ", "> ", "  - "]), st.lists(WORD, min_size=1, max_size=30)).map(
    lambda lead_words: lead_words[0] + " ".join(lead_words[1])
)


@given(st.lists(LINE, min_size=1, max_size=6), st.integers(min_value=1, max_value=30))
def test_folding_any_prose_renders_the_same(lines: list[str], width: int) -> None:
    text = "\n".join(lines)
    assert rendered(wrap.markdown(text, width)) == rendered(text)


@given(st.lists(LINE, min_size=1, max_size=6), st.integers(min_value=1, max_value=30))
def test_folding_twice_is_folding_once(lines: list[str], width: int) -> None:
    once = wrap.markdown("\n".join(lines), width)
    assert wrap.markdown(once, width) == once


@pytest.mark.parametrize("path", sorted(ROOT.glob("reports/*.md")), ids=lambda path: path.name)
def test_the_tests_read_a_report_unfolded_as_render_made_it(path: Path) -> None:
    """Tests search a report's prose with ``conftest.unfolded``: it undoes the folding exactly."""
    text = path.read_text(encoding="utf-8")
    assert wrap.markdown(unfolded(text)) == text
    assert unfolded(text).count("\n") < text.count("\n")
