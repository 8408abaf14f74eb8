"""The words every document and page shares: the notices (illustrative data, estimated figures) and
how a figure is written (:func:`fmt`)."""

from __future__ import annotations

from collections.abc import Sequence


def illustrative_words(notes: Sequence[str]) -> str:
    """The 'Illustrative data' notice's plain text, listing what is illustrative."""
    return ("ILLUSTRATIVE DATA. Some inputs are illustrative, not real figures: " + "; ".join(notes) +
            ". Do not use the results for decisions until these are replaced with local data.")


def estimated_words(notes: Sequence[str]) -> str:
    """The 'Estimated figures' notice's plain text, listing what is estimated."""
    return "ESTIMATED FIGURES. These are estimates made from real figures, not recorded ones: " + "; ".join(notes) + "."


MINUS = "\u2212"


def fmt(value: float, digits: int = 1) -> str:
    """A number for a table cell: thousands separators, fixed decimals, en dash for missing."""
    if value is None or value != value:
        return "–"
    text = f"{value:,.{digits}f}"
    if text.startswith("-"):   # no "-0.0"; a real minus sign (U+2212), not a hyphen
        text = text[1:] if not text.strip("-0.,") else MINUS + text[1:]
    return text
