"""Checks shared by the document tests: an HTML page parsed into its parts and the structure every
accessible page has, and the words of a PDF that are pieces of a word split across two lines."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from pypdf import PdfReader

from commissioning.publish.outline import Outline, plain


class Page(HTMLParser):
    """The parts of an HTML page the checks read: tags with attributes, and each table's caption,
    header cells (with scope) and rows."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self._open: list[str] = []
        self._text = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append({"caption": "", "cols": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        if tag in ("h1", "h2", "h3", "caption", "th", "td"):
            self._open.append(tag)
            self._text = ""
            self._scope = dict(attrs).get("scope")

    def handle_data(self, data):
        if self._open:
            self._text += data

    def handle_endtag(self, tag):
        if not self._open or self._open[-1] != tag:
            return
        self._open.pop()
        text = " ".join(self._text.split())
        if tag in ("h1", "h2", "h3"):
            self.headings.append((tag, text))
        elif tag == "caption":
            self.tables[-1]["caption"] = text
        elif tag == "th" and self._scope == "col":
            self.tables[-1]["cols"].append(text)
        else:
            self.tables[-1]["rows"][-1].append((tag, self._scope, text))


def check_page_structure(page: Page, title: str) -> None:
    """The accessible page every document gives: one h1 (the title), a skip link first, captioned
    tables whose columns all have header cells and whose rows each start with a row header."""
    assert page.tags[0] == ("html", {"lang": "en-GB"})
    links = [a for t, a in page.tags if t == "a"]
    assert links[0] == {"class": "skip", "href": "#main"}
    assert ("main", {"id": "main", "tabindex": "-1"}) in page.tags
    assert [h for h in page.headings if h[0] == "h1"] == [("h1", title)]
    assert page.tables
    for table in page.tables:
        assert table["caption"], table
        body = [r for r in table["rows"] if r]        # the header row has only column headers
        assert all(len(r) == len(table["cols"]) for r in body), table["caption"]
        assert all(r[0][:2] == ("th", "row") for r in body), table["caption"]


def outline_words(outline: Outline) -> set[str]:
    """Every word the outline's text holds, and the pieces a long word may be broken into after a
    hyphen or slash (where :func:`commissioning.publish.outline._fit` breaks it on purpose)."""
    words: set[str] = set()

    def add(text) -> None:
        for word in plain(text).split():
            pieces = re.split(r"(?<=[-/])(?=.)", word)
            words.update("".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1))

    for block in outline.blocks:
        kind = block[0]
        if kind == "keep":
            words |= outline_words(block[1])
        elif kind in ("heading", "notice", "para", "box"):
            add(block[1])
        elif kind == "bullets":
            for item in block[1]:
                add(item)
        elif kind == "table":
            add(block[1].caption)
            for row in block[1].rows:
                for cell in row:
                    add(cell)
        elif kind == "figure":
            add(block[3])
    return words


def split_words(pdf: bytes, outline: Outline, *furniture: str) -> list[str]:
    """Words in the PDF's text found in neither the outline nor the page furniture (running header,
    footer, "Page n of N"): the pieces of a word reportlab split across two lines."""
    known = outline_words(outline) | {w for text in furniture for w in text.split()} | {"Page", "of", "•"}
    return [w for page in PdfReader(io.BytesIO(pdf)).pages for w in page.extract_text().split()
            if w not in known and not w.isdigit()]
