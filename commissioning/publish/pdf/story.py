"""An :class:`~commissioning.publish.outline.Outline` as reportlab flowables in the shared report style
(the PDF half of a document; ``outline.to_html`` is the HTML half)."""

from __future__ import annotations

import re

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from commissioning.publish.outline import (
    PDF_STYLES,
    B,
    Outline,
    Table,
    Text,
    _runs,
    plain,
)
from commissioning.publish.pdf import style as st

#: Points a table needs below what comes before it to start on the page with its header and first rows.
TABLE_START = 80


def height(flowable) -> float:
    """The points ``flowable`` takes on a page of the report's width, with the space around it."""
    if isinstance(flowable, KeepTogether):
        return sum(height(f) for f in flowable._content)
    return flowable.wrap(st.CONTENT_WIDTH, st.FRAME_HEIGHT)[1] + flowable.getSpaceBefore() + flowable.getSpaceAfter()


def together(flowables: list) -> list:
    """``flowables`` kept on one page when they fit on one; when they are taller than a page (a long
    table), they start on this page only if what comes before the first table fits with its header
    and first rows, and the table breaks across pages from there (keeping them all together would
    leave the rest of this page blank)."""
    if sum(height(f) for f in flowables) <= st.FRAME_HEIGHT:
        return [KeepTogether(flowables)]
    first_table = next((i for i, f in enumerate(flowables) if isinstance(f, RLTable)), len(flowables))
    return [CondPageBreak(sum(height(f) for f in flowables[:first_table]) + TABLE_START)] + flowables


def _markup(text: Text) -> str:
    return "".join(f"<b>{st.esc(r)}</b>" if isinstance(r, B) else st.esc(r) for r in _runs(text)).replace("\n", "<br/>")


def _fit(markup: str, width: float, size: float) -> str:
    """Break a long word after a hyphen or slash (a name such as "Learning-disability", a URL)
    when it is wider than ``width`` points at ``size`` points, so that reportlab never splits it
    mid-word ("Learning-disabilit y", "ht tps://")."""
    st.register_fonts()    # a document may open with a paragraph, before any style has registered the fonts

    def measure(text: str) -> float:
        return stringWidth(re.sub(r"<[^>]+>", "", text), f"{st.FONT}-Bold", size)

    def fit(word: str) -> str:
        if measure(word) <= width or not re.search(r"[-/]", word):
            return word
        lines, line = [], ""
        for piece in re.split(r"(?<=[-/])(?=.)", word):     # keep each hyphen or slash at a line's end
            if line and measure(line + piece) > width:
                lines.append(line)
                line = piece
            else:
                line += piece
        return "<br/>".join(lines + [line])

    return " ".join(fit(w) for w in markup.split(" "))


#: A web or email address in paragraph markup, perhaps broken over lines by :func:`_fit` (``<br/>``).
LINK = re.compile(r"(https?://(?:[^\s<]|(?<=[-/])<br/>)+?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)(?=[.,;:)]?(?:\s|$|<(?!br/>)))")


def _links(markup: str) -> str:
    """Paragraph markup with its web and email addresses made links (blue, underlined)."""
    def link(match: re.Match) -> str:
        address = match.group(1).replace("<br/>", "")
        href = address if address.startswith("http") else "mailto:" + address
        return f'<a href="{href}" color="#1d3557" underline="1">{match.group(1)}</a>'
    return LINK.sub(link, markup)


def to_story(outline: Outline) -> list:
    """The outline as reportlab flowables in the shared report style."""
    story: list = []
    for block in outline.blocks:
        kind = block[0]
        if kind == "keep":
            story += together(to_story(block[1]))
        elif kind == "heading":
            story.append(st.heading(block[1], block[2]))
        elif kind == "para":
            story.append(st.para(_links(_fit(_markup(block[1]), st.CONTENT_WIDTH - 4, 10)),
                                 PDF_STYLES.get(block[2], block[2])))
        elif kind == "bullets":
            story += st.bullets([_links(_fit(_markup(i), st.CONTENT_WIDTH - 20, 10)) for i in block[1]])
        elif kind == "notice":
            story += st.notice_box(st.esc(block[1]), *st.NOTICE_COLOURS[block[2]])
        elif kind == "box":
            box = RLTable([[st.para(_markup(block[1]))]], colWidths=[st.CONTENT_WIDTH])
            box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st.FONT),
                                     ("BACKGROUND", (0, 0), (-1, -1), st.RAG_FILL.get(block[2], st.MARK_FILL)),
                                     ("BOX", (0, 0), (-1, -1), 1, st.MARK_EDGE),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                     ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
            story += [box, Spacer(1, 6)]
        elif kind == "table":
            t: Table = block[1]
            caption = [st.para(f"<b>{st.esc(t.caption)}</b>")] if t.caption_in_pdf else []
            spans = [command[1:3] for command in t.pdf_style if command[0] == "SPAN"]
            widths = st.fitted_widths([[plain(c) for c in r] for r in t.rows], t.widths) if t.fit_words else t.widths
            rows = [[_markup(c) for c in r] for r in t.rows]
            size = t.size or st.cell_size(rows, widths, spans=spans, break_after="" if spans else "-/",
                                          bold_rows=st.bold_rows(len(rows), t.header_rows, t.total_row))
            if not spans:   # a spanned cell is wider than its column
                rows = [[_fit(c, w * st.CONTENT_WIDTH - st.CELL_PADDING, size) for c, w in zip(r, widths)]
                        for r in rows]
            rows = [[_links(c) for c in r] for r in rows]
            grid = st.data_table(rows, widths, header_rows=t.header_rows, align_right=sorted(t.align_right),
                                 fills=[(c, r, st.RAG_FILL.get(s)) for c, r, s in t.fills if s in st.RAG_FILL],
                                 total_row=t.total_row, row_heights=t.row_heights, split_in_row=t.split_in_row,
                                 size=size)
            if t.pdf_style:
                grid.setStyle(TableStyle(t.pdf_style))
            story += together(caption + [grid]) if caption else [grid]
        elif kind == "figure":
            png, _alt, caption, width, max_height = block[1:6]
            image = st.png_image(png, width=st.CONTENT_WIDTH * width)
            if max_height and image.drawHeight > max_height:
                image = st.png_image(png, width=image.drawWidth * max_height / image.drawHeight)
            story += [image, st.para(_markup(caption), "small")]
        elif kind == "page_break":
            story.append(PageBreak())
        elif kind == "cond_break":
            story.append(CondPageBreak(block[1]))
        elif kind == "spacer":
            story.append(Spacer(1, block[1]))
        elif kind == "contents":
            story.append(st.contents())
    return story
