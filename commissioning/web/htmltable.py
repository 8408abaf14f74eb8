"""The app's tables as plain, accessible HTML: a ``<table>`` with a ``<caption>`` and ``<th scope>``
headers, for ``st.html``.

Why not Streamlit's data grid (``st.dataframe``): the grid is a canvas component loaded and drawn
in the browser after the rest of the page. On this project's machines (Chromium without a GPU) the
public page with four small grids was 2.0 x a bare Streamlit page to load, 1.5-1.6 x with HTML
tables and cards (benchmarks/README.md, browser). A table of a few dozen rows needs no virtual scrolling; as HTML it
is drawn with the page, needs no JavaScript, and screen readers read it as a table.

Every header and cell is escaped (``html.escape``); only ``http``/``https`` addresses become links.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable

import pandas as pd

from commissioning.publish.html import table_markup

#: Colours: text #0b0c0c on white (19:1), caption #555 (7.5:1), as the app's captions (app.py).
TABLE_STYLE = ("<style>.ctable{border-collapse:collapse;font-size:.925rem;line-height:1.4;margin:0 0 .75rem}"
               ".ctable.stretch{width:100%}"
               ".ctable caption{caption-side:top;text-align:left;color:#555;font-size:.875rem;padding:0 0 .3rem}"
               ".ctable th,.ctable td{border-bottom:1px solid #d8d8d8;padding:.3rem .6rem;text-align:left;"
               "vertical-align:top;color:#0b0c0c}"
               ".ctable thead th{border-bottom:2px solid #0b0c0c;font-weight:600;background:#fff}"
               ".ctable tbody th{font-weight:400}"
               ".ctable .num{text-align:right;font-variant-numeric:tabular-nums}.ctable td.num{white-space:nowrap}"
               ".ctable-scroll{overflow:auto;border-bottom:1px solid #d8d8d8;margin:0 0 .75rem}"
               ".ctable-scroll .ctable{margin:0}"
               ".ctable-scroll thead th{position:sticky;top:0;z-index:1}"
               ".ctable-scroll:focus-visible{outline:3px solid #0072B2;outline-offset:2px}</style>")

Format = str | Callable[[object], str]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def cell_text(value, fmt: Format | None = None) -> str:
    """A cell as text (not yet escaped): blank for a missing value; ``fmt`` a format spec such as
    ``",.0f"`` or a function; without one, a whole float loses its ".0" and other values are ``str``."""
    if _blank(value):
        return ""
    if callable(fmt):
        return fmt(value)
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _link(text: str) -> str:
    if text.startswith(("https://", "http://")):
        return f'<a href="{html.escape(text, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)


def html_table(frame: pd.DataFrame, caption: str, *, formats: dict[str, Format] | None = None,
               links: Iterable[str] = (), row_headers: bool = True, stretch: bool = True,
               max_height_rem: float | None = None) -> str:
    """``frame`` as an HTML table with its style, for ``st.html``.

    ``caption`` names the table (shown above it). ``formats`` {column: format spec or function}
    for the cells (see :func:`cell_text`); numeric columns are right-aligned. ``links``: columns
    whose ``http(s)`` addresses become links. With ``row_headers`` each row's first cell is its
    ``<th scope="row">``. ``stretch``: the table fills the width (else as wide as its content).
    ``max_height_rem``: a taller table scrolls inside a box of that height (in rem) with its header
    row kept in view; the box can be scrolled from the keyboard and is named by the caption.
    """
    formats, links = formats or {}, set(links)
    columns = list(frame.columns)
    numeric = {c for c, dtype in zip(columns, frame.dtypes)
               if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)}
    texts = ([cell_text(value, formats.get(column)) for column, value in zip(columns, values)]
             for values in frame.itertuples(index=False, name=None))
    table = table_markup(columns, texts, caption, numeric=numeric, row_headers=row_headers,
                         cell=lambda column, text: _link(text) if column in links else html.escape(text),
                         table_class="ctable stretch" if stretch else "ctable", numeric_headers=True)
    if max_height_rem is not None:
        table = (f'<div class="ctable-scroll" style="max-height:{max_height_rem:g}rem" tabindex="0" role="region" '
                 f'aria-label="{html.escape(caption, quote=True)}">{table}</div>')
    return TABLE_STYLE + table
