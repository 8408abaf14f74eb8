"""Matching organisation names, for conflicts of interest against bidders (and their consortium
members).

A declared conflict must bind however the name is typed: ``organisation_key`` normalises
Unicode (NFKC), folds typographic quotes and dashes to ASCII, drops zero-width and other
invisible format characters, folds case and collapses spacing. A trailing bracketed qualifier
such as "(fictional)" or "[London]" is optional: a name matches with or without it. Over-matching
is the safe side here (a conflicted scorer loses a bid they might have scored; an under-match
lets a conflicted scorer decide a bid), so "Alder Trust (North)" also matches "Alder Trust".

Look-alike letters are folded too (Unicode TR39 confusables): a Cyrillic "А" or Greek "Ο" in a
name reads as the Latin letter it imitates, so "Аlder Trust" matches "Alder Trust". The table is
Unicode's confusables.txt as the ``confusable_homoglyphs`` package ships it; each character outside
ASCII that Unicode lists as confusable with ASCII text becomes that text (ASCII is left alone).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Iterable

# Typographic quotes and dashes that people (and word processors) type for ' " and -.
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc"), "'") | \
    dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"')
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_TRAILING_QUALIFIER = re.compile(r"\s*[(\[{][^()\[\]{}]*[)\]}]\s*$")


@cache
def _confusables() -> dict[int, str]:
    """{code point: the ASCII text it is confusable with} for every non-ASCII character Unicode's
    confusables list pairs with ASCII (the shortest such text; letters before other characters)."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_texts = [e["c"] for e in entries if e["c"].isascii() and e["c"].strip()]
        if ascii_texts:
            table[ord(char)] = min(ascii_texts, key=lambda t: (len(t), not t.isalpha(), t))
    return table


def _visible(text: str) -> str:
    # Unicode category Cf holds the zero-width space/joiners, BOM, soft hyphen, bidi marks.
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def organisation_key(name: str) -> str:
    """The normalised form of an organisation's name: NFKC, quotes and dashes folded, invisible
    characters dropped, look-alike letters folded to the ASCII they imitate, case folded, spaces
    collapsed.

    ``organisation_key(" Alder\u200b  TRUST") == organisation_key("alder trust")``;
    ``organisation_key("\u0410lder Trust") == organisation_key("Alder Trust")`` (Cyrillic А).
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = _visible(text).translate(_QUOTES).translate(_DASHES).translate(_confusables())
    return re.sub(r"\s+", " ", text).strip().casefold()


def organisation_keys(name: str) -> set[str]:
    """Every key ``name`` answers to: its :func:`organisation_key`, and that key with trailing
    bracketed qualifiers removed one by one ("alder trust (fictional)" -> also "alder trust")."""
    key = organisation_key(name)
    keys = {key} if key else set()
    while True:
        shorter = _TRAILING_QUALIFIER.sub("", key)
        if shorter == key or not shorter:
            return keys
        keys.add(shorter)
        key = shorter


def matching_pair(declared: Iterable[str], names: Iterable[str]) -> tuple[str, str] | None:
    """The first (declared name, name) that match, as typed, or None."""
    wanted = [(d, organisation_keys(d)) for d in declared]
    for name in names:
        keys = organisation_keys(name)
        for typed, want in wanted:
            if keys & want:
                return typed, name
    return None


def names_match(declared: Iterable[str], names: Iterable[str]) -> bool:
    """Whether any of the ``declared`` organisation names matches any of ``names`` (e.g. a bid's
    lead organisation and its consortium members)."""
    return matching_pair(declared, names) is not None


def bid_organisations(row) -> list[str]:
    """The organisations behind a bid: its ``organisation`` and, when the bid carries one, the
    members of its ``consortium`` (a JSON list or a text separated by semicolons)."""
    names = [row["organisation"]]
    consortium = row.get("consortium") if hasattr(row, "get") else None
    if consortium is None or consortium != consortium:
        return names
    if isinstance(consortium, str):
        text = consortium.strip()
        try:
            parsed = json.loads(text) if text.startswith("[") else None
        except ValueError:
            parsed = None
        consortium = parsed if isinstance(parsed, list) else text.split(";")
    return names + [str(member).strip() for member in consortium if str(member).strip()]
