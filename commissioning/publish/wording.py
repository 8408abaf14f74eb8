"""The words every document and page shares: the notices (illustrative data, estimated figures) and
how a figure is written (:func:`fmt`)."""

from __future__ import annotations

from collections.abc import Sequence

from commissioning.returns.quarters import describe, publication_date, shift


def illustrative_words(notes: Sequence[str]) -> str:
    """The 'Illustrative data' notice's plain text, listing what is illustrative."""
    return ("ILLUSTRATIVE DATA. Some inputs are illustrative, not real figures: " + "; ".join(notes) +
            ". Do not use the results for decisions until these are replaced with local data.")


#: The illustrative note of an example round's outputs (evaluation report, assessment summaries).
EXAMPLE_ROUND_NOTE = "Example round: the organisations, prices and scores are fictional"


def is_illustrative_round(name: str) -> bool:
    """Whether a round of this name is the illustrative example (its name says so)."""
    return "illustrative" in str(name).lower()


def illustrative_mark(where: str) -> str:
    """The short 'Illustrative data' mark for a document's first page; ``where`` says where the full
    notice is (e.g. "on page 2")."""
    return f"ILLUSTRATIVE DATA. Some inputs are illustrative, not real figures ({where}): not for decisions."


def estimated_mark(where: str) -> str:
    """The short 'Estimated figures' mark for a document's first page (see :func:`illustrative_mark`)."""
    return f"ESTIMATED FIGURES. Some figures are estimates made from real figures ({where})."


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


def next_publication_words(quarter: str) -> str:
    """When the next quarterly publication after ``quarter``'s is due, in words."""
    following = shift(quarter, 1)
    day = publication_date(following)
    return (f"Next publication: figures for {describe(following)} ({following}), by {day.day} {day:%B %Y}. "
            "This publication is updated every quarter.")
