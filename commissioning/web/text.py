"""User and data text made safe for Streamlit's Markdown (st.markdown, st.caption, st.info, labels).

Streamlit renders those strings as Markdown (CommonMark plus its own ``:colour[...]`` and
``:material/icon:`` directives). Text a user or a data file supplied (an organisation name, a bid
id, a comment, a citation) must show as typed: never as a link, an image, a heading or HTML.
CommonMark lets any ASCII punctuation be escaped with a backslash, so escaping all of it is
enough for both Markdown and raw HTML (``\\<img ...>`` is shown, not parsed); line breaks become
spaces so a value cannot start a new block (a list, a heading, a quote).
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def escape_markdown(text) -> str:
    """``text`` (any value; None is "") as literal Markdown text."""
    if text is None:
        return ""
    flat = re.sub(r"[\r\n\t\f\v]+", " ", str(text))
    return _PUNCTUATION.sub(r"\\\1", flat)
