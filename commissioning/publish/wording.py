"""The words of the notices every document and page shows: illustrative data, estimated figures."""

from __future__ import annotations

from collections.abc import Sequence


def illustrative_words(notes: Sequence[str]) -> str:
    """The 'Illustrative data' notice's plain text, listing what is illustrative."""
    return ("ILLUSTRATIVE DATA. Some inputs are illustrative, not real figures: " + "; ".join(notes) +
            ". Do not use the results for decisions until these are replaced with local data.")


def estimated_words(notes: Sequence[str]) -> str:
    """The 'Estimated figures' notice's plain text, listing what is estimated."""
    return "ESTIMATED FIGURES. These are estimates made from real figures, not recorded ones: " + "; ".join(notes) + "."
