"""User and data text made safe for Streamlit's Markdown (st.markdown, st.caption, st.info, labels).

Streamlit renders those strings as Markdown (CommonMark with GitHub extensions, LaTeX between
``$``, and its own ``:colour[...]`` and ``:icon:`` directives). Text a user or a data file supplied
(an organisation name, a bid id, a comment, a citation) must show as typed: never as a link, an
image, emphasis, a heading, a list or HTML. CommonMark lets any ASCII punctuation be escaped with a
backslash; only the characters that can open a construct are escaped, so ordinary text such as
"Women's Advocacy (fictional)" or "NE-01: scored" is left as it is:

- anywhere: ``\\ ` * _ [ ] < > & ~ $ | #`` (links and images need ``[``; HTML needs ``<`` or ``&``);
- a colon that would start a ``:name:`` directive;
- GitHub's extension links ``www.``, ``http://`` and ``name@domain`` in plain text whatever is
  escaped, so an invisible word joiner (U+2060) goes after ``www``, the ``:`` of ``://`` and ``@``;
- at the start of the text: a list or quote marker (``-``, ``+``, ``1.``, ``1)``);
- line breaks become spaces, so a value cannot start a block of its own.
"""

from __future__ import annotations

import re

_ANYWHERE = re.compile(r"([\\`*_\[\]<>&~$|#])")
_AUTOLINK = re.compile(r"(?i)www(?=\.)|:(?=//)|@")
WORD_JOINER = "\u2060"
_DIRECTIVE_COLON = re.compile(r":(?=[\w/+-]+:)")
_LEADING_MARKER = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def escape_markdown(text) -> str:
    """``text`` (any value; None is "") as literal Markdown text."""
    if text is None:
        return ""
    flat = re.sub(r"[\r\n\t\f\v]+", " ", str(text))
    flat = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, flat)
    escaped = _DIRECTIVE_COLON.sub(r"\\:", _ANYWHERE.sub(r"\\\1", flat))
    return _LEADING_MARKER.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                        else "\\" + m.group(2)), escaped)
