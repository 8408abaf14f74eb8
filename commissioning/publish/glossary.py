"""The words a reader may not know, spelt out once: each document ends with the terms its own text uses.

One spelling each: "Marac" as SafeLives writes it today (not "MARAC" or "marac").
"""

from __future__ import annotations

import re

from commissioning.publish.outline import B, Outline, plain

#: Term -> its meaning in plain words. A term is listed in a document's glossary when its text uses it.
TERMS: dict[str, str] = {
    "DASH": "the Domestic Abuse, Stalking and Harassment and honour-based violence risk checklist that "
            "practitioners use to judge how much danger a victim is in.",
    "E2SFCA": "enhanced two-step floating catchment area: a way of measuring how much provision is within reach "
              "of the people who need it, counting nearer services more.",
    "FTE": "full-time equivalent: two half-time advisers are 1.0 FTE. Posts are counted in FTE to one decimal; "
           "refuge spaces and people are counted in whole numbers.",
    "IDVA": "Independent Domestic Violence Adviser: a trained specialist who supports victims of domestic abuse at "
            "high risk of serious harm.",
    "ISVA": "Independent Sexual Violence Adviser: a trained specialist who supports victims of rape and sexual "
            "violence, through the criminal justice process if they report.",
    "Marac": "multi-agency risk assessment conference: a regular local meeting where police, health, housing, "
             "advisers and others share information on the highest-risk domestic abuse cases and agree a safety "
             "plan for each victim (SafeLives' spelling).",
    "VAWG": "violence against women and girls, the police's grouping of offences such as domestic abuse, sexual "
            "offences and stalking.",
    "benchmark": "the published level of provision a population needs (for example refuge spaces per 10,000 "
                 "people), against which current provision is measured.",
    "coverage": "provision as a share of need: 100% means provision meets the benchmark.",
    "confidence interval": "the range the true figure is likely to lie in, given the sample; a 95% interval "
                           "misses the true figure 1 time in 20.",
    "gate": "a pass/fail requirement every bid must meet (for example safeguarding checks); a bid that does not "
            "meet one is not scored further and cannot win.",
    "lot": "a part of the contract (a group of boroughs) bid for and awarded separately.",
    "moderation": "the panel chair's review of the panel's scores on a criterion; the moderated score is the one "
                  "that counts.",
    "standstill": "the eight working days after the award decision during which the contract cannot be signed, so "
                  "that any bidder can challenge the decision (Procurement Act 2023).",
    "suppressed": "not published because too few people answered for the figure to be reliable or to keep them "
                  "anonymous.",
}


def used_terms(outline: Outline) -> list[str]:
    """The terms of :data:`TERMS` that the outline's text uses, in alphabetical order."""
    text = " ".join(_texts(outline))
    found = [t for t in TERMS if re.search(rf"\b{re.escape(t)}\b", text, 0 if t.isupper() or t == "Marac"
                                           else re.IGNORECASE)]
    return sorted(found, key=str.lower)


def glossary_outline(outline: Outline) -> Outline:
    """A "Glossary" section listing the terms ``outline`` uses (nothing when it uses none)."""
    terms = used_terms(outline)
    if not terms:
        return Outline()
    return Outline().heading("Glossary").bullets([[B(t), ": " + TERMS[t]] for t in terms])


def _texts(outline: Outline):
    for block in outline.blocks:
        kind = block[0]
        if kind == "keep":
            yield from _texts(block[1])
        elif kind in ("heading", "notice"):
            yield block[1]
        elif kind in ("para", "box"):
            yield plain(block[1])
        elif kind == "bullets":
            yield from (plain(i) for i in block[1])
        elif kind == "table":
            yield block[1].caption
            yield from (plain(c) for r in block[1].rows for c in r)
        elif kind == "figure":
            yield plain(block[3])
