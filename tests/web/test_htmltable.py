"""The app's HTML tables and the public page's priority cards: structure, formats, escaping."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from commissioning.publish.priorities import Priority
from commissioning.web.htmltable import TABLE_STYLE, cell_text, html_table
from commissioning.web.prioritycards import priority_cards_html


def test_caption_headers_row_headers_and_numeric_alignment():
    frame = pd.DataFrame({"Area": ["Hackney", "London"], "Rate": [1234.5, 987.0], "Note": ["a", None]})
    out = html_table(frame, "Rates per 100,000", formats={"Rate": ",.0f"})
    assert out.startswith(TABLE_STYLE)
    table = out[len(TABLE_STYLE):]
    assert table.startswith('<table class="ctable stretch"><caption>Rates per 100,000</caption><thead><tr>')
    assert '<th scope="col">Area</th><th scope="col" class="num">Rate</th><th scope="col">Note</th>' in table
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
    assert rows == ['<th scope="row">Hackney</th><td class="num">1,234</td><td>a</td>',   # 1234.5 rounds to even
                    '<th scope="row">London</th><td class="num">987</td><td></td>']


def test_cell_text_defaults_and_formats():
    assert cell_text(None) == "" and cell_text(np.nan) == "" and cell_text(pd.NA) == ""
    assert cell_text(12.0) == "12" and cell_text(2.5) == "2.5" and cell_text(7) == "7"
    assert cell_text(0.5426, ".0%") == "54%" and cell_text(1.72, lambda v: f"×{v:.2f}") == "×1.72"


def test_everything_is_escaped_and_only_web_addresses_become_links():
    frame = pd.DataFrame({"<Name>": ["<script>x</script>"], "Link": ["https://example.org/?a=1&b=<2>"],
                          "Other": ["javascript:alert(1)"]})
    out = html_table(frame, 'Caption "<b>"', links=["Link", "Other"], row_headers=False)
    assert "<script>" not in out and "<b>" not in out and "<Name>" not in out
    assert "<caption>Caption &quot;&lt;b&gt;&quot;</caption>" in out
    assert '<td><a href="https://example.org/?a=1&amp;b=&lt;2&gt;">https://example.org/?a=1&amp;b=&lt;2&gt;</a></td>' in out
    assert "<td>javascript:alert(1)</td>" in out and 'href="javascript' not in out
    assert '<th scope="row">' not in out


def test_a_tall_table_scrolls_in_a_named_keyboard_reachable_box():
    out = html_table(pd.DataFrame({"A": range(40)}), "Forty rows", max_height_rem=20, stretch=False)
    assert ('<div class="ctable-scroll" style="max-height:20rem" tabindex="0" role="region" '
            'aria-label="Forty rows"><table class="ctable">') in out
    assert out.endswith("</table></div>") and out.count("<tr>") == 41


def priority(**changes) -> Priority:
    fields = dict(rank=1, service="isva", label="ISVA", unit="FTE", title="Close the ISVA gap in <Camden>",
                  boroughs=("Camden",), shortfall=3.0, gap_total=1234.56, coverage_pct=56.7, red_count=17,
                  rationale="Because & why", citation="Source <cite>", illustrative=False)
    return Priority(**{**fields, **changes})


def test_priority_cards_show_the_figures_escaped():
    out = priority_cards_html([priority(), priority(rank=2, title="Second", illustrative=True)], 33)
    cards = re.findall(r'<section class="pcard">(.*?)</section>', out)
    assert len(cards) == 2
    assert cards[0].startswith("<h3>1. Close the ISVA gap in &lt;Camden&gt;</h3><dl>")
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", cards[0]))
    assert facts == {"Area-wide coverage": "57%", "Authorities red": "17 of 33", "Gap where short (FTE)": "1,234.6"}
    assert "<p>Because &amp; why</p>" in cards[0] and "Benchmark source: Source &lt;cite&gt;" in cards[0]
    assert "illustrative" not in cards[0]
    assert cards[1].startswith('<h3>2. Second <span class="badge">illustrative</span></h3>')
