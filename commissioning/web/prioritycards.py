"""The public page's priorities as one block of HTML: a card per priority with its heading, its
three headline figures, the reason and the benchmark's source.

Why one block of HTML and not Streamlit elements: drawn with ``st.container``, ``st.columns``,
``st.metric`` and ``st.markdown``, each card was about ten elements, and the browser builds and
styles every element separately (about 40 of the page's 54). One block is drawn at once.

Every string from data is escaped (``html.escape``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from commissioning.needs.assessment import digits_for
from commissioning.publish.priorities import Priority

#: Colours on white: text #0b0c0c (19:1), labels #555 (7.5:1), the badge's #5c4300 on #fff1c2 (8.5:1).
CARD_STYLE = ("<style>.pcard{border:1px solid #d5d5d9;border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 1rem}"
              ".pcard h3{margin:0 0 .75rem;padding:0;font-size:1.5rem;line-height:1.3}"
              ".pcard .badge{display:inline-block;margin-left:.25rem;padding:0 .4rem;border-radius:.25rem;"
              "background:#fff1c2;color:#5c4300;font-size:.875rem;font-weight:600;vertical-align:middle}"
              ".pcard dl{display:grid;padding:0;grid-template-columns:repeat(3,minmax(0,1fr));gap:1rem;margin:0 0 .75rem}"
              ".pcard dt{color:#555;font-size:.875rem;font-weight:400}"
              ".pcard dd{margin:0;font-size:2rem;line-height:1.3;color:#0b0c0c}"
              ".pcard p{margin:0 0 .5rem}.pcard p.source{color:#555;font-size:.875rem;margin:0}</style>")


def priority_cards_html(priorities: Iterable[Priority], authorities: int) -> str:
    """The cards for ``st.html``: for each priority, "rank. title" as an ``<h3>`` (marked
    *illustrative* when it rests on illustrative data), then area-wide coverage (%), the number of
    the ``authorities`` rated red, and the area-wide gap where provision is short (in the
    priority's unit) as a description list, the rationale and the benchmark's citation."""
    cards = []
    for p in priorities:
        badge = ' <span class="badge">illustrative</span>' if p.illustrative else ""
        figures = (("Area-wide coverage", f"{p.coverage_pct:.0f}%"),
                   ("Authorities red", f"{p.red_count} of {authorities}"),
                   (f"Gap where short ({p.unit})", f"{p.gap_total:,.{digits_for(p.unit)}f}"))
        facts = "".join(f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd></div>"
                        for label, value in figures)
        cards.append(f'<section class="pcard"><h3>{p.rank}. {html.escape(p.title)}{badge}</h3><dl>{facts}</dl>'
                     f"<p>{html.escape(p.rationale)}</p>"
                     f'<p class="source">Benchmark source: {html.escape(p.citation)}</p>'
                     + (f'<p class="source">Provision: {html.escape(p.provision)}</p>' if p.provision else "")
                     + '</section>')
    return CARD_STYLE + "".join(cards)
