"""Shared look and plumbing of the PDF reports: fonts, styles, tables, page furniture, output.

Fonts are DejaVu Sans from matplotlib's bundled fonts (Bitstream Vera licence, free to embed);
reportlab embeds a subset of every TrueType font it uses, so the PDFs are self-contained.
Colours: dark blue headings, and red/amber/green status cells that also carry the word, so a
greyscale print reads the same.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from commissioning.publish.wording import (  # noqa: F401 (re-exported)
    MINUS,
    estimated_words,
    fmt,
    illustrative_words,
)
from commissioning.safeio import write_atomic

FONT = "DejaVuSans"
PAGE = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN
TOP_MARGIN, BOTTOM_MARGIN = MARGIN + 6 * mm, MARGIN + 2 * mm     # room for the running header and footer
FRAME_HEIGHT = PAGE[1] - TOP_MARGIN - BOTTOM_MARGIN
#: A table broken across pages keeps at least this many rows under its header on each page.
MIN_SPLIT_ROWS = 2

INK = colors.HexColor("#1a1a1a")
BLUE = colors.HexColor("#1d3557")
GREY = colors.HexColor("#5c5c5c")
RULE = colors.HexColor("#b8b8b8")
ZEBRA = colors.HexColor("#f2f4f7")
HEADER_FILL = colors.HexColor("#dfe5ee")
MARK_FILL = colors.HexColor("#fff1c2")
MARK_EDGE = colors.HexColor("#8a6d00")
ESTIMATE_FILL, ESTIMATE_EDGE = colors.HexColor("#e8f1f8"), colors.HexColor("#1d70b8")   # blue, apart from the mark
NOTICE_COLOURS = {"illustrative": (MARK_FILL, MARK_EDGE), "estimated": (ESTIMATE_FILL, ESTIMATE_EDGE)}
RAG_FILL = {"red": colors.HexColor("#f4b6b0"), "amber": colors.HexColor("#fbd79a"),
            "green": colors.HexColor("#b9e0b4"), "n/a": colors.white,
            "no need": colors.white}
#: Table text in points: 10 (as the body) where every word fits its column, else 9.
CELL_SIZE, CELL_SIZE_TIGHT = 10.0, 9.0
CELL_PADDING = 8   # points: left and right padding of a table cell together
RAG_WORD = {"red": "Red", "amber": "Amber", "green": "Green", "n/a": "n/a", "no need": "No need"}

#: callable(fraction 0..1, message) that the app passes to drive a progress bar
Progress = Callable[[float, str], None]


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register DejaVu Sans (regular, bold, italic, bold italic) once; return the family name."""
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {FONT: "DejaVuSans.ttf", f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
             f"{FONT}-Oblique": "DejaVuSans-Oblique.ttf", f"{FONT}-BoldOblique": "DejaVuSans-BoldOblique.ttf"}
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=f"{FONT}-Bold", italic=f"{FONT}-Oblique",
                                  boldItalic=f"{FONT}-BoldOblique")
    return FONT


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles by name: title, subtitle, h1, h2, body, bullet, small, mark, toc1, toc2 (table
    cells: :func:`cell_styles`)."""
    register_fonts()
    # no embeddedHyphenation: reportlab 5 drops the hyphen of a word it tried to split and then
    # moved whole ("Learningdisability"); narrow table cells break after hyphens instead (outline.py)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, textColor=INK, spaceAfter=5,
                          bulletFontName=FONT)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=f"{FONT}-Bold", fontSize=24, leading=30,
                                textColor=BLUE, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=13, leading=18, textColor=GREY,
                                   spaceAfter=14),
        "h1": ParagraphStyle("h1", parent=body, fontName=f"{FONT}-Bold", fontSize=15, leading=19,
                             textColor=BLUE, spaceBefore=4, spaceAfter=8, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=f"{FONT}-Bold", fontSize=11.5, leading=15,
                             textColor=BLUE, spaceBefore=8, spaceAfter=5, keepWithNext=1),
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=12, bulletIndent=2),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=GREY),
        "mark": ParagraphStyle("mark", parent=body, fontName=f"{FONT}-Bold", fontSize=10, leading=14,
                               textColor=colors.HexColor("#4d3d00")),
        "toc1": ParagraphStyle("toc1", parent=body, fontSize=10.5, leading=16, leftIndent=6),
        "toc2": ParagraphStyle("toc2", parent=body, fontSize=9, leading=12.5, leftIndent=22),
    }


@lru_cache(maxsize=4)
def cell_styles(size: float = CELL_SIZE) -> dict[tuple[bool, bool], ParagraphStyle]:
    """Table cell styles at ``size`` points, by (bold, right-aligned)."""
    cell = ParagraphStyle(f"cell{size:g}", parent=styles()["body"], fontSize=size, leading=size * 1.2,
                          spaceAfter=0)
    return {(bold, right): ParagraphStyle(f"{cell.name}{'_b' * bold}{'_r' * right}", parent=cell,
                                          fontName=f"{FONT}-Bold" if bold else FONT,
                                          alignment=TA_RIGHT if right else cell.alignment)
            for bold in (False, True) for right in (False, True)}


def esc(text) -> str:
    """Escape text for a reportlab Paragraph (which reads a small XML markup)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para(text: str, style: str = "body") -> Paragraph:
    """A Paragraph from markup text (escape user data with :func:`esc` first)."""
    return Paragraph(text, styles()[style])


def heading(text: str, level: int = 1) -> Paragraph:
    """A section heading that is listed in the contents (level 1 or 2)."""
    p = Paragraph(esc(text), styles()[f"h{level}"])
    p.toc_level = level - 1
    return p


def bullets(items: Sequence[str]) -> list[Paragraph]:
    return [Paragraph(item, styles()["bullet"], bulletText="•") for item in items]


def notice_box(markup: str, fill=MARK_FILL, edge=MARK_EDGE) -> list:
    """A full-width boxed notice of ``markup`` in bold (yellow for illustrative data by default)."""
    box = Table([[para(markup, "mark")]], colWidths=[CONTENT_WIDTH])
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("BACKGROUND", (0, 0), (-1, -1), fill),
                             ("BOX", (0, 0), (-1, -1), 1.2, edge),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return [box, Spacer(1, 8)]


def bold_rows(n: int, header_rows: int, total_row: bool) -> list[bool]:
    """Which of a table's ``n`` rows are set in bold: the header rows and, with ``total_row``, the last."""
    return [r < header_rows or (total_row and r == n - 1) for r in range(n)]


class WholeTable(Table):
    """A table that breaks across pages only where each part keeps its header with at least
    :data:`MIN_SPLIT_ROWS` rows (no header alone at a page's foot, no total row alone at the next
    page's top), and whose continuation fills at least a quarter of its page; a table that cannot be
    broken so and fits on one page moves to the next page whole. A table whose rows may themselves
    break across pages (``splitInRow``, rows of long comments) breaks as reportlab breaks it."""

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        if self.splitInRow:
            return parts
        while len(parts) == 2:
            first, rest = parts
            header = self.repeatRows if isinstance(self.repeatRows, int) else len(self.repeatRows)
            if len(first._cellvalues) - header < MIN_SPLIT_ROWS:
                return []
            if (len(rest._cellvalues) - header >= MIN_SPLIT_ROWS
                    and rest.wrap(availWidth, FRAME_HEIGHT)[1] >= FRAME_HEIGHT / 4):
                return parts
            if self._height <= FRAME_HEIGHT:
                return []
            first.wrap(availWidth, availHeight)
            availHeight -= first._rowHeights[-1]        # break one row earlier
            parts = super().split(availWidth, availHeight)
        return parts


def data_table(rows: Sequence[Sequence], widths: Sequence[float], *, header_rows: int = 1,
               align_right: Sequence[int] = (), fills: Sequence[tuple] = (), total_row: bool = False,
               row_heights: Sequence[float | None] | None = None, split_in_row: bool = False,
               size: float | None = None) -> Table:
    """A zebra-striped table; strings are wrapped in cell paragraphs, the header repeats on each page.

    ``widths`` are fractions of the content width; ``align_right`` lists numeric column indexes;
    ``fills`` are extra ``(col, row, colour)`` cell backgrounds (status cells); ``row_heights`` in
    points (None = fit the content). ``split_in_row``: let a row taller than the space left (a
    long comment) continue on the next page instead of failing the layout. ``size``: text size in
    points (default :func:`cell_size`, 10 unless a word would not fit its column).
    """
    bold = bold_rows(len(rows), header_rows, total_row)
    size = size or cell_size(rows, widths, bold_rows=bold)
    cell = cell_styles(size)
    body = [[Paragraph(value, cell[bold[r], c in align_right]) if isinstance(value, str) else value
             for c, value in enumerate(row)] for r, row in enumerate(rows)]
    table = WholeTable(body, colWidths=[w * CONTENT_WIDTH for w in widths], rowHeights=row_heights,
                       repeatRows=header_rows, splitInRow=int(split_in_row))
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # the cell default (Helvetica) would not be embedded
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, BLUE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2),
    ]
    for r in range(header_rows, len(rows)):
        if (r - header_rows) % 2 == 1:
            commands.append(("BACKGROUND", (0, r), (-1, r), ZEBRA))
    if total_row:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, BLUE))
    for c, r, colour in fills:
        commands.append(("BACKGROUND", (c, r), (c, r), colour))
    table.setStyle(TableStyle(commands))
    return table


def cell_size(rows: Sequence[Sequence], widths: Sequence[float], *, bold_rows: Sequence[bool],
              spans: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (), break_after: str = "") -> float:
    """:data:`CELL_SIZE` when every word of every cell (markup strings; bold in ``bold_rows`` and
    inside ``<b>``) fits its column at that size, else :data:`CELL_SIZE_TIGHT`. ``spans``: cells
    ``((first col, first row), (last col, last row))`` drawn as one; ``break_after``: characters a
    long word may be broken after (see ``outline._fit``), so only the pieces between them must fit."""
    register_fonts()
    room = {}
    for (c0, r0), (c1, r1) in spans:
        room[(c0 % len(widths), r0 % len(rows))] = sum(widths[c0 % len(widths):c1 % len(widths) + 1])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            width = room.get((c, r), widths[c]) * CONTENT_WIDTH - CELL_PADDING
            if widest_word(value, CELL_SIZE, bold=bold_rows[r], break_after=break_after) > width:
                return CELL_SIZE_TIGHT
    return CELL_SIZE


def fitted_widths(rows: Sequence[Sequence[str]], weights: Sequence[float]) -> list[float]:
    """Column widths (fractions of the content width) where every word of ``rows`` (the first row
    bold, as a header) fits its column at :data:`CELL_SIZE`, or else at :data:`CELL_SIZE_TIGHT`
    (which :func:`cell_size` then picks); the room left is shared out by ``weights``. When the words
    need more than the page even at the tighter size, ``weights`` (normalised) is returned."""
    register_fonts()
    total = sum(weights)
    for size in (CELL_SIZE, CELL_SIZE_TIGHT):
        least = [(max(widest_word(str(row[c]), size, bold=r == 0) for r, row in enumerate(rows)) + CELL_PADDING + 1)
                 / CONTENT_WIDTH for c in range(len(weights))]
        if sum(least) < 1:
            left = 1 - sum(least)
            return [m + left * w / total for m, w in zip(least, weights)]
    return [w / total for w in weights]


def widest_word(markup: str, size: float, *, bold: bool = False, break_after: str = "") -> float:
    """Width in points of the widest word of cell ``markup`` at ``size`` (bold when ``bold`` or
    inside ``<b>``; a word may break after any of ``break_after``)."""
    widest, bold_now = 0.0, bold
    pieces = [("", False)]
    for token in re.split(r"(<b>|</b>|<br/>)", markup):
        if token in ("<b>", "</b>"):
            bold_now = bold or token == "<b>"
            continue
        text = "\n" if token == "<br/>" else token.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        for ch in text:
            if ch.isspace() or (pieces[-1][0] and pieces[-1][0][-1] in break_after):
                pieces.append(("", False))
            if not ch.isspace():
                pieces[-1] = (pieces[-1][0] + ch, pieces[-1][1] or bold_now)
    for word, in_bold in pieces:
        widest = max(widest, pdfmetrics.stringWidth(word, f"{FONT}-Bold" if in_bold else FONT, size))
    return widest


def rag(status: str) -> str:
    """The status word for a cell ("Red", "Amber", "Green", "No need", "n/a")."""
    return RAG_WORD.get(str(status), str(status))


def contents() -> TableOfContents:
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [styles()["toc1"], styles()["toc2"]]
    toc.tableStyle = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    return toc


def today_text(day: dt.date | None = None) -> str:
    day = day or dt.date.today()
    return f"{day.day} {day:%B %Y}"


class _Doc(BaseDocTemplate):
    """A4 portrait document whose headings feed the table of contents."""

    def __init__(self, buffer, **kwargs):
        super().__init__(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=TOP_MARGIN, bottomMargin=BOTTOM_MARGIN, **kwargs)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def afterFlowable(self, flowable) -> None:
        level = getattr(flowable, "toc_level", None)
        if level is not None:
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=level > 0)
            self.notify("TOCEntry", (level, esc(flowable.getPlainText()), self.page, key))


def _numbered_canvas(header: str, footer: str):
    """A canvas class that draws the running header and 'Page n of N' on every page but the cover."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT  # not Helvetica: not embedded
            super().__init__(*args, **kwargs)
            self._states = []

        def showPage(self):
            self._states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._states)
            for state in self._states:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = PAGE
            self.saveState()
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawString(MARGIN, height - MARGIN + 2 * mm, header)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, height - MARGIN + 0.5 * mm, width - MARGIN, height - MARGIN + 0.5 * mm)
            self.drawString(MARGIN, MARGIN - 4 * mm, footer)
            self.drawRightString(width - MARGIN, MARGIN - 4 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


def render(story: list, *, title: str, subject: str, author: str, header: str, footer: str = "",
           keywords: Sequence[str] = (), toc: bool = True) -> bytes:
    """Lay out ``story`` into PDF bytes with metadata, bookmarks, running header and page numbers.

    With ``toc`` the document is built twice (reportlab's multiBuild) so the contents page has
    page numbers.
    """
    register_fonts()
    buffer = io.BytesIO()
    # Binary streams, not ASCII85: without reportlab's optional C accelerator, A85-encoding the
    # map images in Python took over half the build time (and makes the file 25% larger).
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        _build(buffer, story, title=title, author=author, subject=subject, header=header, footer=footer,
               keywords=keywords, toc=toc)
    finally:
        rl_config.useA85 = saved
    return buffer.getvalue()


def _build(buffer, story, *, title, author, subject, header, footer, keywords, toc) -> None:
    doc = _Doc(buffer, title=title, author=author, subject=subject, creator="commissioning toolkit (reportlab)",
               keywords=", ".join(keywords), lang="en-GB", displayDocTitle=1)  # viewers show the title, not the file name
    maker = _numbered_canvas(header, footer)
    if toc:
        doc.multiBuild(story, canvasmaker=maker)
    else:
        doc.build(story, canvasmaker=maker)


def deliver(pdf: bytes, out: str | os.PathLike | BinaryIO | None) -> bytes:
    """Write ``pdf`` to ``out`` and return it.

    A path is written atomically (a temporary file in the same folder, then renamed over the
    target), so a failed build never leaves a half-written PDF; a binary buffer is written to;
    ``None`` only returns the bytes.
    """
    if out is None:
        return pdf
    if hasattr(out, "write"):
        out.write(pdf)
        return pdf
    write_atomic(out, pdf)
    return pdf


def write_html(page: str, out: str | os.PathLike | None) -> str:
    """Write an HTML page to ``out`` atomically (as :func:`deliver` does a PDF) and return it."""
    if out is not None:
        write_atomic(out, page)
    return page


def keep(*flowables) -> KeepTogether:
    return KeepTogether(list(flowables))


def step(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def png_image(png: bytes, width: float = CONTENT_WIDTH) -> Image:
    """A reportlab Image of PNG bytes scaled to ``width`` points, keeping its aspect ratio."""
    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)
