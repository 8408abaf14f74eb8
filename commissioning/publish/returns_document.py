"""The quarterly publication of provider returns as a document: one
:class:`~commissioning.publish.outline.Outline`, rendered to PDF (reportlab, the shared report style)
or to accessible HTML.

Only aggregate, suppressed figures appear (no provider's own figures, no refuge location).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from typing import BinaryIO

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from commissioning.publish.glossary import glossary_outline
from commissioning.publish.outline import Outline, to_html
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import deliver, render, write_html
from commissioning.publish.wording import next_publication_words
from commissioning.returns.publication import CLIENT_COLUMNS, LONDON, METHOD, Publication
from commissioning.returns.quarters import describe
from commissioning.returns.suppression import TOTAL
from commissioning.stats import wilson

AUTHOR = "Victim services commissioning"
REVISIONS = ("Revisions: a provider may correct a return after it was approved. The next publication then shows the "
             "corrected figures for the earlier quarter and says which changed.")
#: The client-satisfaction table's column widths, in both quarterly publications.
CLIENT_WIDTHS = dict(zip(CLIENT_COLUMNS, [0.22, 0.115, 0.17, 0.12, 0.2, 0.175]))
NUMERIC_PREFIXES = ("Capacity", "Referrals", "Refused", "Cases open", "Median days", "Clients asked", "Satisfied")
INTRO = ("Commissioned support organisations report each quarter how much provision they have in post, how many "
         "referrals they received, how many they could not take for lack of capacity (the most direct evidence of "
         "unmet demand), how long people waited for first contact and how satisfied their clients were. This "
         "publication answers the London Assembly review's recommendation 10, to publish results quarterly, and "
         "counts the victims the police survey leaves out, among them survivors of domestic abuse.")


def returns_outline(pub: Publication, *, date: dt.date | None = None) -> Outline:
    """The publication's content: a table per service type, then client satisfaction and the method.
    Each section's heading stays on the page of its table."""
    o = Outline().para(pub.title, style="title").para(_subtitle(pub, date), style="subtitle")
    o.illustrative(pub.notes)
    o.heading("Headline").para(pub.headline)
    refused = refused_table(pub)
    if len(refused):
        o.figure(refused_chart_png(refused), alt=_refused_alt(refused), width=0.8, data=refused,
                 caption="Referrals that could not be taken for lack of capacity, London, by service, with 95% "
                         "confidence intervals (Wilson)" + (" (illustrative figures)" if pub.notes else ""))
    o.para(INTRO)
    if not pub.providers:
        return o.heading("Method").para(METHOD)
    for service, table in pub.services.items():
        label, unit = pub.labels[service]
        o.keep(Outline().heading(label).extend(_table(table, (
            f"{label}: provision ({unit}), referrals, refused referrals and waiting times by borough, "
            f"{describe(pub.quarter)}"))))
    clients = Outline().heading("Client satisfaction (all services)")
    clients.para("Clients asked by their support service whether they were satisfied, with 95% confidence "
                 "intervals. Shown beside the police victim survey, never added to it.")
    if len(pub.clients):
        clients.extend(_table(pub.clients, f"Clients satisfied by borough, {describe(pub.quarter)}"))
    else:
        clients.para("No provider reported client satisfaction this quarter.")
    o.keep(clients).heading("Method").para(METHOD)
    o.heading("Next publication and revisions").para(next_publication_words(pub.quarter)).para(REVISIONS)
    return o.extend(glossary_outline(o))


def refused_table(pub: Publication) -> pd.DataFrame:
    """London's referrals and those refused for lack of capacity, per service, with the refused share
    and its 95% Wilson interval (%); services whose London total is suppressed are left out."""
    rows = []
    for service, s in pub.suppressed.items():
        total = s.values.loc[TOTAL]
        referrals, refused = total.get("referrals", math.nan), total.get("referrals_refused", math.nan)
        if s.hidden.loc[TOTAL].any() or not referrals or math.isnan(referrals) or math.isnan(refused):
            continue
        share, lower, upper = wilson(int(refused), int(referrals))
        rows.append({"service": pub.labels[service][0].split(" (")[0], "referrals": int(referrals),
                     "refused": int(refused), "refused_pct": round(share, 1), "lower95": round(lower, 1),
                     "upper95": round(upper, 1)})
    return pd.DataFrame(rows, columns=["service", "referrals", "refused", "refused_pct", "lower95", "upper95"])


def refused_chart_png(refused: pd.DataFrame, *, dpi: int = 150) -> bytes:
    """Dots with 95% interval bars: the share of referrals refused for lack of capacity per service."""
    fig = Figure(figsize=(6.0, 0.7 + 0.5 * len(refused)), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.3, 0.2, 0.65, 0.75])
    y = range(len(refused))[::-1]
    ax.errorbar(refused["refused_pct"], list(y), xerr=[refused["refused_pct"] - refused["lower95"],
                                                      refused["upper95"] - refused["refused_pct"]],
                fmt="o", color="#1d3557", ecolor="#1d3557", capsize=3, markersize=5)
    ax.set_yticks(list(y), [f"{s}\n({r:,} referrals)" for s, r in zip(refused["service"], refused["referrals"])],
                  fontsize=8)
    ax.set_xlim(0, max(10.0, float(refused["upper95"].max()) * 1.2))
    ax.set_xlabel("Referrals refused for lack of capacity (%)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _refused_alt(refused: pd.DataFrame) -> str:
    return ("Chart of the share of referrals refused for lack of capacity in London, by service: "
            + "; ".join(f"{r.service} {r.refused_pct:.1f}% ({r.refused:,} of {r.referrals:,}; 95% interval "
                        f"{r.lower95:.1f}% to {r.upper95:.1f}%)" for r in refused.itertuples()) + ".")


def _table(frame: pd.DataFrame, caption: str) -> Outline:
    """A borough table: the area column wider, the London total last (in bold)."""
    n = len(frame.columns)
    numeric = [c for c in frame.columns if c.startswith(NUMERIC_PREFIXES) or c == "95% interval"]
    widths = ([CLIENT_WIDTHS[c] for c in frame.columns] if list(frame.columns) == CLIENT_COLUMNS
              else [0.22] + [0.78 / (n - 1)] * (n - 1))
    return Outline().frame_table(frame, caption=caption, widths=widths,
                                 numeric=numeric, total_row=frame.iloc[-1, 0] == LONDON, caption_in_pdf=True
                                 ).spacer(8)


def build_html(pub: Publication, out: str | os.PathLike | None = None, *, date: dt.date | None = None) -> str:
    """The publication as one self-contained accessible HTML page; written atomically to ``out`` if given."""
    page = to_html(returns_outline(pub, date=date), title=pub.title, subtitle=_subtitle(pub, date),
                   footer=_footer(pub))
    return write_html(page, out)


def build_pdf(pub: Publication, out: str | os.PathLike | BinaryIO | None = None, *,
              date: dt.date | None = None) -> bytes:
    """The publication as a PDF (A4, title/author/language metadata); written atomically to ``out``."""
    pdf = render(to_story(returns_outline(pub, date=date)), title=pub.title,
                 subject="Provider returns: provision, referrals, waiting times and client satisfaction, published "
                 "quarterly", author=AUTHOR, header=pub.title + (" — ILLUSTRATIVE DATA" if pub.notes else ""),
                 footer=_footer(pub), keywords=["provider returns", "quarterly", "victim services"], toc=False)
    return deliver(pdf, out)


def _subtitle(pub: Publication, date: dt.date | None) -> str:
    day = date or dt.date.today()
    return f"{describe(pub.quarter)}, from approved provider returns. Published {day.day} {day:%B %Y}."


def _footer(pub: Publication) -> str:
    return f"Provider returns {pub.quarter}" + (" · ILLUSTRATIVE DATA" if pub.notes else "")
