"""A document's content built once, rendered to PDF (reportlab) and to accessible HTML.

An :class:`Outline` collects blocks in reading order: headings, paragraphs, bullets, notices,
tables, figures and page breaks. Text is plain (escaped by each renderer, so data never injects
markup; a newline is a line break); a bold run is marked with :class:`B`, e.g. ``o.para(B("Need"), " is the benchmark ...")``.
:func:`to_story` gives reportlab flowables in the shared report style and :func:`to_html` one
self-contained HTML page (:class:`commissioning.publish.html.Document`). Page breaks and column
widths only matter to the PDF; captions only show in the HTML (the PDF prints them above the table
when ``caption_in_pdf``).

    o = Outline()
    o.heading("Headline")
    o.para(B("Closing the gaps"), " takes 52.8 FTE ...")
    o.table([["Service", "FTE"], ["IDVA", "52.8"]], caption="Gaps", widths=[0.7, 0.3], align_right=[1])
    story, page = to_story(o), to_html(o, title="Needs assessment")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from commissioning.publish.html import Document, csv_link, linked
from commissioning.publish.wording import illustrative_words


class B(str):
    """A bold run of text inside a paragraph, bullet or cell."""


Text = str | Sequence[str]      # plain text, or runs of str and B
NOTICE_KINDS = ("illustrative", "estimated")


def _runs(text: Text) -> list[str]:
    return [text] if isinstance(text, str) else list(text)


def plain(text: Text) -> str:
    """The text without its formatting."""
    return "".join(_runs(text))


@dataclass
class Table:
    rows: list[list[Text]]          # header rows first
    caption: str
    widths: list[float]             # fractions of the PDF content width
    align_right: set[int] = field(default_factory=set)
    fills: list[tuple[int, int, str]] = field(default_factory=list)   # (col, row, status) for RAG cells
    header_rows: int = 1
    total_row: bool = False
    caption_in_pdf: bool = False
    row_heights: list | None = None
    pdf_style: list = field(default_factory=list)   # extra reportlab TableStyle commands (spans, group shading)
    split_in_row: bool = False                     # a row taller than a page continues on the next
    size: float | None = None                      # PDF text size in points (None: style.cell_size)
    fit_words: bool = False                        # widths are weights once each column holds its longest word


@dataclass
class Outline:
    """The blocks of one document; see the module docstring."""

    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 1) -> Outline:
        """A section heading: level 1 (PDF chapter, HTML h2) or 2 (PDF section, HTML h3)."""
        if level not in (1, 2):
            raise ValueError(f"heading level must be 1 or 2, got {level}")
        self.blocks.append(("heading", text, level))
        return self

    def para(self, *runs: str, style: str = "body") -> Outline:
        """A paragraph of runs (``str`` or :class:`B`); ``style`` "small" for notes, "title"/"subtitle"/"cover"
        on covers, "pdf_note" for a note only the PDF needs."""
        self.blocks.append(("para", list(runs), style))
        return self

    def bullets(self, items: Sequence[Text]) -> Outline:
        self.blocks.append(("bullets", [_runs(i) for i in items]))
        return self

    def notice(self, text: str, kind: str = "illustrative") -> Outline:
        """A boxed notice: ``kind`` "illustrative" (illustrative data, not for publication; yellow) or
        "estimated" (figures estimated from real ones, forecasts; blue)."""
        if kind not in NOTICE_KINDS:
            raise ValueError(f"notice kind must be one of {NOTICE_KINDS}, got {kind!r}")
        self.blocks.append(("notice", text, kind))
        return self

    def illustrative(self, notes: Sequence[str]) -> Outline:
        """The "Illustrative data" notice naming what is illustrative (nothing when ``notes`` is empty)."""
        if notes:
            self.notice(illustrative_words(notes))
        return self

    def box(self, *runs: str, status: str = "green") -> Outline:
        """A boxed statement filled with a status colour (a check met or not met); the words carry the result."""
        self.blocks.append(("box", list(runs), status))
        return self

    def table(self, rows: list[list[Text]], *, caption: str, widths: Sequence[float], align_right=(), fills=(),
              header_rows: int = 1, total_row: bool = False, caption_in_pdf: bool = False,
              row_heights=None, pdf_style=(), split_in_row: bool = False, size: float | None = None) -> Outline:
        """A table, header rows first; ``widths`` fractions of the PDF content width; ``size`` the PDF
        text size in points (default: 10, or 9 when a word would not fit its column at 10)."""
        n = len(rows[0])
        if len(widths) != n or any(len(r) != n for r in rows):
            raise ValueError(f"table {caption!r}: every row and the widths need {n} cells")
        self.blocks.append(("table", Table([list(r) for r in rows], caption, list(widths), set(align_right),
                                           list(fills), header_rows, total_row, caption_in_pdf, row_heights,
                                           list(pdf_style), split_in_row, size)))
        return self

    def frame_table(self, frame, *, caption: str, widths: Sequence[float] | None = None, numeric=(),
                    fit_words: bool = False, **options) -> Outline:
        """A table of a DataFrame of display strings: its columns are the header row; ``numeric``
        names the right-aligned columns; ``widths`` default to equal; with ``fit_words`` they are
        only weights for the room left once every column holds its longest word
        (``publish.pdf.style.fitted_widths``, applied by ``publish.pdf.story.to_story``); ``options`` as :meth:`table`."""
        columns = [str(c) for c in frame.columns]
        rows = [columns] + [[str(v) for v in r] for r in frame.itertuples(index=False)]
        widths = widths or [1 / len(columns)] * len(columns)
        self.table(rows, caption=caption, widths=widths,
                   align_right=[i for i, c in enumerate(columns) if c in numeric], **options)
        self.blocks[-1][1].fit_words = fit_words
        return self

    def figure(self, png: bytes, *, alt: str, caption: Text, data, width: float = 1.0,
               max_height: float | None = None) -> Outline:
        """An image with its text alternative ``alt`` (required), a visible caption (runs: bold
        shows in the PDF) and ``data``, the DataFrame of the figures it draws (the HTML links it as
        CSV); ``width`` a fraction of the PDF content width, ``max_height`` in points."""
        if not alt.strip():
            raise ValueError("a figure needs alt text")
        self.blocks.append(("figure", png, alt, caption, width, max_height, data))
        return self

    def page_break(self) -> Outline:
        self.blocks.append(("page_break",))
        return self

    def cond_break(self, points: float) -> Outline:
        """A PDF page break unless ``points`` of space are left."""
        self.blocks.append(("cond_break", points))
        return self

    def spacer(self, points: float) -> Outline:
        self.blocks.append(("spacer", points))
        return self

    def contents(self) -> Outline:
        """The table of contents: the PDF's with page numbers, the HTML's linked to each heading (an
        HTML page without one gets its list before its first heading)."""
        self.blocks.append(("contents",))
        return self

    def keep(self, other: Outline) -> Outline:
        """``other``'s blocks kept on one PDF page when they fit (a heading with its table)."""
        self.blocks.append(("keep", other))
        return self

    def extend(self, other: Outline) -> Outline:
        self.blocks += other.blocks
        return self


#: Paragraph styles that only the PDF prints: "cover" (the cover's publication line, which the HTML
#: page's header already gives) and "pdf_note" (e.g. where the accessible version is).
PDF_STYLES = {"cover": "body", "pdf_note": "small"}


# ---------------------------------------------------------------- HTML


def _html_runs(text: Text) -> str:
    return linked("".join(f"<strong>{escape(r)}</strong>" if isinstance(r, B) else escape(r)
                          for r in _runs(text)).replace("\n", "<br>"))


def _contents(headings: list[tuple[str, int, str]]) -> str:
    """The page's contents list: each chapter (h2) linked, its sections (h3) nested under it."""
    items, open_sub = [], False
    for text, level, anchor in headings:
        link = f'<a href="#{anchor}">{escape(text)}</a>'
        if level == 1:
            items.append(("</ol></li>" if open_sub else "</li>" if items else "") + f"<li>{link}")
            open_sub = False
        else:
            items.append(("" if open_sub else "<ol>") + f"<li>{link}</li>")
            open_sub = True
    close = "</ol></li>" if open_sub else "</li>" if items else ""
    return ('<nav class="contents" aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>'
            + "".join(items) + close + "</ol></nav>")


def to_html(outline: Outline, *, title: str, subtitle: str = "", footer: str = "") -> str:
    """The outline as one self-contained, accessible HTML page (see :mod:`commissioning.publish.html`)."""
    doc = Document(title, subtitle=subtitle, footer=footer)
    blocks = list(outline.blocks)
    while any(b[0] == "keep" for b in blocks):   # page grouping means nothing in HTML
        i = next(i for i, b in enumerate(blocks) if b[0] == "keep")
        blocks[i:i + 1] = blocks[i][1].blocks
    contents_at = next((i for i, b in enumerate(blocks) if b[0] == "contents"), None)
    if contents_at is None:       # a document without a contents page: the list goes before its first heading
        contents_at = next((i for i, b in enumerate(blocks) if b[0] == "heading"), len(blocks))
        blocks.insert(contents_at, ("contents",))
    elif contents_at and blocks[contents_at - 1][0] == "heading":    # the PDF's "Contents" heading: the list has its own
        del blocks[contents_at - 1]
    anchors = [(b[1], b[2], f"s{n}") for n, b in enumerate(b for b in blocks if b[0] == "heading")]
    headings = iter(anchors)
    for block in blocks:
        kind = block[0]
        if kind == "contents":
            doc.html(_contents(anchors))
        elif kind == "heading":
            doc.heading(block[1], block[2] + 1, anchor=next(headings)[2])
        elif kind == "para":
            if block[2] in ("title", "subtitle", *PDF_STYLES):     # the page header already shows them
                continue
            doc.html(f"<p>{_html_runs(block[1])}</p>" if block[2] != "small"
                     else f'<p class="small">{_html_runs(block[1])}</p>')
        elif kind == "bullets":
            doc.html("<ul>" + "".join(f"<li>{_html_runs(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "notice":
            doc.notice(block[1], kind=block[2])
        elif kind == "box":
            doc.html(f'<div class="notice" role="note"><p>{_html_runs(block[1])}</p></div>')
        elif kind == "table":
            t: Table = block[1]
            header = [" ".join(plain(t.rows[h][c]) for h in range(t.header_rows) if plain(t.rows[h][c]))
                      for c in range(len(t.widths))]
            header = [h or "Item" for h in header]      # every column needs a header cell
            body = [[plain(c) for c in r] for r in t.rows]
            for command in t.pdf_style:          # a first cell spanning rows in the PDF heads each of them here
                if command[0] == "SPAN" and command[1][0] == 0 and command[2][0] == 0:
                    for r in range(command[1][1] + 1, command[2][1] + 1):
                        body[r][0] = body[r][0] or body[command[1][1]][0]
            body = body[t.header_rows:]
            doc.table(body, caption=t.caption, columns=header,
                      numeric=[header[c] for c in sorted(t.align_right)], row_headers=True)
            doc.html(csv_link(header, [[" ".join(c.split()) for c in r] for r in body], t.caption))
        elif kind == "figure":
            doc.figure(block[1], alt=block[2], caption=plain(block[3]))
            data = block[6]
            doc.html(csv_link([str(c) for c in data.columns], data.astype(str).values.tolist(),
                              f"the figures in the chart: {plain(block[3])}"))
    return doc.render()
