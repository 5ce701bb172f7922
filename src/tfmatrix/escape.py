"""Text read from files a pull request can change, made safe for where it goes: markdown, a shell script's
comment lines, XML and a terminal.

Values are checked where they enter (``tfmatrix.untrusted``); these functions are what every output does
anyway, so that no character a check let through (a line break in an error message) changes the output's
structure.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that move the cursor, end a line or reorder what follows: C0 and C1 controls, DEL, the
# Unicode line and paragraph separators, the bidirectional overrides and isolates ("Trojan Source").
INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|#~])")  # ~: strikethrough
# GitHub links bare URLs by scanning text, which a backslash-escaped character splits; an e-mail
# address it finds across escapes, but not across a code span. (Checked with cmark-gfm.)
URL_START = re.compile(r"(https?|ftp):(?=//)|(www)\.", re.IGNORECASE)
CODE_SPAN = re.compile(
    r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)"
)  # as CommonMark: a run of backticks to the next run as long
# What starts a block when it leads a line, or a list item's text: a heading, a quote, a list, a fence, a rule.
BLOCK_START = re.compile(r"^(?:#|>|[-+*](?=\s|$)|([-*_]) *\1 *\1|~~~|```|\d{1,9}(?=[.)](?:\s|$)))")
RULE_CHARACTERS = re.compile(r"[-*_ ]+")
WORD = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Pc"}  # Ruby's \p{Word}, which GitHub's anchors keep
# XML 1.0 allows tab, line feed and carriage return, and no other control character.
NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def visible(text: object) -> str:
    """``text`` with every control character spelt out (``\\x1b``, ``\\n``): one line, nothing a terminal obeys."""
    return INVISIBLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(text))


def one_line(text: object) -> str:
    """Runs of white space, line breaks and control characters as one space."""
    return " ".join(INVISIBLE.sub(" ", str(text)).split())


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: object) -> str:
    """Recorded text inside markdown (a table cell, a heading): one line, no markup, no links, no HTML."""
    no_markup = MARKDOWN_SPECIAL.sub(r"\\\1", html(one_line(text)))
    no_urls = URL_START.sub(lambda m: f"{m[1]}\\:" if m[1] else f"{m[2]}\\.", no_markup)
    return re.sub("@+", lambda m: f"`{m[0]}`", no_urls)


def markdown_prose(text: object) -> str:
    """Prose we write in markdown (advice, evidence, a fix): its code spans and emphasis kept, on one line, with
    no HTML, no link, no table cell ended by ``|`` and no block (a heading, a list) started."""
    line = one_line(text)
    parts = []
    end = 0
    for span in CODE_SPAN.finditer(line):
        parts += [prose_text(line[end : span.start()]), span[0].replace("|", r"\|")]  # GFM splits cells first
        end = span.end()
    parts.append(prose_text(line[end:]))
    joined = "".join(parts)
    lead = BLOCK_START.match(joined) or RULE_CHARACTERS.fullmatch(joined)  # "--" after a list's "- " is a rule
    at = 0 if lead is None or not joined[0].isdigit() else lead.end()  # "1." starts a list: escape the dot
    return joined if lead is None else joined[:at] + "\\" + joined[at:]


def prose_text(text: str) -> str:
    """Prose outside code spans: no HTML, no backslash escape and no link (so code spans are where they seem: a
    backtick in a link's destination starts none), no ``|``. A ``>`` starts nothing but at the start of a line
    (``BLOCK_START``): it stays as written, as in ``a -> b``."""
    escaped = text.replace("\\", "\\\\").replace("[", r"\[").replace("]", r"\]")
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace("|", r"\|")


def anchor(title: str) -> str:
    """GitHub's anchor for a heading that shows ``title``: its text lower-cased, every character but
    letters, marks, digits, connectors, spaces and hyphens dropped, each space a hyphen."""
    kept = (c for c in one_line(title).lower() if c in " -" or unicodedata.category(c) in WORD)
    return "".join(kept).replace(" ", "-")


def shell_comment(text: object) -> str:
    """A ``#`` comment line of a shell script: nothing in ``text`` can end it."""
    return "# " + visible(text)


def xml_text(text: object) -> str:
    """Text an XML 1.0 document can hold: a character it cannot as U+FFFD."""
    return NOT_XML.sub("\ufffd", str(text))
