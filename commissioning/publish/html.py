"""Accessible, self-contained HTML versions of the documents (WCAG 2.2 AA): one file, no external assets.

A :class:`Document` collects blocks in order and :meth:`Document.render` returns the page:
``lang="en-GB"``, a skip link to the main content, one ``h1`` (the title) and nested headings,
tables with a ``<caption>`` and ``<th scope>`` headers, figures as embedded PNG with alt text and a
caption, and a boxed notice for marks such as "Illustrative data". Every piece of text is escaped
(``html.escape``), so data can never inject markup. Colours meet 4.5:1 contrast on white.

    doc = Document("Victim satisfaction", subtitle="Quarter 2026Q3")
    doc.heading("Headline")
    doc.paragraph("79.4% of victims were satisfied ...")
    doc.table(frame, caption="London and boroughs", row_headers=True)
    doc.figure(png_bytes, alt="Dot chart of ...", caption="Satisfied % with 95% intervals")
    text = doc.render()
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from html import escape
from urllib.parse import quote

import pandas as pd

from commissioning.safeio import csv_text

#: A web address or an email address in already-escaped text (an address ends before a space, a
#: tag, or a full stop, comma or bracket that closes the sentence).
LINK = re.compile(r"(https?://[^\s<]+?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)(?=[.,;:)]?(?:\s|<|$))")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;background:#fff;
 margin:0;line-height:1.5;font-size:1.0625rem}
.skip{position:absolute;left:-999px;top:0;background:#1d3557;color:#fff;padding:.5rem 1rem}
.skip:focus{left:0;z-index:10}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{border-bottom:4px solid #1d3557;padding-top:1.5rem;padding-bottom:.75rem}
h1,h2,h3{color:#1d3557;line-height:1.25}
h1{font-size:2rem;margin:.25rem 0}
.subtitle{color:#4a4a4a;font-size:1.2rem;margin:0}
a{color:#1d3557}
a:focus,.skip:focus{outline:3px solid #ffbf47;outline-offset:2px}
.notice{border:2px solid #8a6d00;background:#fff1c2;color:#4d3d00;padding:.75rem 1rem;font-weight:600}
.notice.estimated{border-color:#1d70b8;background:#e8f1f8;color:#0b2a4a}
table{border-collapse:collapse;width:100%;margin:1rem 0 1.5rem;font-size:.95rem}
caption{text-align:left;font-weight:700;padding:.25rem 0;color:#1d3557}
th,td{border-bottom:1px solid #b8b8b8;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#dfe5ee;border-bottom:2px solid #1d3557}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0 1.5rem}
figure img{max-width:100%;height:auto;border:1px solid #d0d0d0}
figcaption{color:#4a4a4a;font-size:.95rem}
p.small{color:#4a4a4a;font-size:.95rem}
p.download{margin:-1rem 0 1.5rem;font-size:.95rem}
nav.contents ol{padding-left:1.25rem}
dl.glossary dt{font-weight:700;margin-top:.5rem}
dl.glossary dd{margin-left:1.25rem}
footer{border-top:1px solid #b8b8b8;margin-top:2rem;padding-top:.75rem;padding-bottom:2rem;color:#4a4a4a;
 font-size:.9rem}
"""


def linked(markup: str) -> str:
    """Escaped text with its web and email addresses made links."""
    def link(match: re.Match) -> str:
        address = match.group(1)
        href = address if address.startswith("http") else "mailto:" + address
        return f'<a href="{href}">{address}</a>'
    return LINK.sub(link, markup)


def csv_link(columns: Sequence[str], rows: Iterable[Sequence[str]], caption: str) -> str:
    """A link that downloads ``rows`` under ``columns`` as a CSV file (a ``data:`` address, so the page
    stays one file); cells that a spreadsheet would read as a formula are neutralised."""
    frame = pd.DataFrame([list(r) for r in rows], columns=list(columns))
    name = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")[:60] or "table"
    href = "data:text/csv;charset=utf-8," + quote(csv_text(frame))
    return (f'<p class="download"><a href="{href}" download="{name}.csv">Download the data (CSV): '
            f"{escape(caption)}</a></p>")


def table_markup(columns: Sequence, rows: Iterable[Sequence[str]], caption: str, *, numeric: Collection = (),
                 row_headers: bool = True, cell: Callable[[object, str], str] | None = None,
                 table_class: str = "", numeric_headers: bool = False) -> str:
    """A captioned data table's HTML: ``rows`` of cell text (not yet escaped), each cell's HTML made
    by ``cell(column, text)`` (default: escaped text); column headers are ``<th scope="col">``, with
    ``row_headers`` each row's first cell is its ``<th scope="row">``; the data cells of ``numeric``
    columns have the class "num", and their header cells too with ``numeric_headers``."""
    cell = cell or (lambda _column, text: escape(text))
    num = {c: ' class="num"' if c in numeric else "" for c in columns}
    num_th = num if numeric_headers else dict.fromkeys(columns, "")
    head = "".join(f'<th scope="col"{num_th[c]}>{escape(str(c))}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, (column, text) in enumerate(zip(columns, row)):
            if i == 0 and row_headers:
                cells.append(f'<th scope="row"{num_th[column]}>{cell(column, text)}</th>')
            else:
                cells.append(f"<td{num[column]}>{cell(column, text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    css = f' class="{table_class}"' if table_class else ""
    return (f"<table{css}><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


class Document:
    """An HTML document built block by block; see the module docstring."""

    def __init__(self, title: str, *, subtitle: str = "", footer: str = "", lang: str = "en-GB") -> None:
        self.title, self.subtitle, self.footer, self.lang = title, subtitle, footer, lang
        self._blocks: list[str] = []

    def heading(self, text: str, level: int = 2, *, anchor: str = "") -> Document:
        """A section heading, ``h2`` to ``h4`` (``h1`` is the title); ``anchor`` its id for links to it."""
        if level not in (2, 3, 4):
            raise ValueError(f"heading level must be 2, 3 or 4, got {level}")
        id_ = f' id="{escape(anchor, quote=True)}"' if anchor else ""
        self._blocks.append(f"<h{level}{id_}>{escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, *, strong: bool = False) -> Document:
        body = escape(text)
        self._blocks.append(f"<p><strong>{body}</strong></p>" if strong else f"<p>{body}</p>")
        return self

    def bullets(self, items: Iterable[str]) -> Document:
        self._blocks.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        return self

    def html(self, fragment: str) -> Document:
        """An already-escaped HTML fragment (for renderers such as :mod:`commissioning.publish.outline`
        that escape every piece of text themselves)."""
        self._blocks.append(fragment)
        return self

    def notice(self, text: str, kind: str = "illustrative") -> Document:
        """A boxed notice (e.g. "Illustrative data ..."), announced as a note; ``kind`` "estimated"
        draws it blue (figures estimated from real ones)."""
        css = "notice estimated" if kind == "estimated" else "notice"
        self._blocks.append(f'<div class="{css}" role="note"><p>{escape(text)}</p></div>')
        return self

    def table(self, rows: pd.DataFrame | Sequence[Sequence], caption: str, *, columns: Sequence[str] | None = None,
              numeric: Sequence[str] = (), row_headers: bool = True) -> Document:
        """A data table: ``rows`` a DataFrame (its columns are the headers) or a list of rows with
        ``columns``; ``numeric`` columns are right-aligned; with ``row_headers`` the first cell of
        each row is a ``<th scope="row">``; a newline in a cell is a line break."""
        if isinstance(rows, pd.DataFrame):
            columns, rows = list(rows.columns), rows.itertuples(index=False)
        if not columns:
            raise ValueError("a table needs column headers")
        texts = (["" if value is None else str(value) for value in row] for row in rows)
        self._blocks.append(table_markup(columns, texts, caption, numeric=numeric, row_headers=row_headers,
                                         cell=lambda _column, text: escape(text).replace("\n", "<br>")))
        return self

    def figure(self, png: bytes, alt: str, caption: str = "") -> Document:
        """An embedded PNG with its text alternative ``alt`` and a visible ``caption``."""
        if not alt.strip():
            raise ValueError("a figure needs alt text")
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
        self._blocks.append(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(alt, quote=True)}">'
                            f"{cap}</figure>")
        return self

    def render(self) -> str:
        """The whole page as one string."""
        subtitle = f'<p class="subtitle">{escape(self.subtitle)}</p>' if self.subtitle else ""
        footer = f"<footer><p>{escape(self.footer)}</p></footer>" if self.footer else ""
        return (f'<!DOCTYPE html>\n<html lang="{escape(self.lang, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{escape(self.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
                f'<a class="skip" href="#main">Skip to main content</a>\n'
                f"<header><h1>{escape(self.title)}</h1>{subtitle}</header>\n"
                f'<main id="main" tabindex="-1">\n' + "\n".join(self._blocks) + "\n</main>\n"
                f"{footer}\n</body>\n</html>\n")
