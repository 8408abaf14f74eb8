"""The needs assessment as a PDF, built from the same library functions as the app.

Sections: cover (with an "illustrative data" mark when any input is illustrative, and an
"estimated figures" mark when any is estimated), contents, executive summary, method and
benchmarks, one chapter per service (coverage map and the table of every authority), demand over
time (:mod:`commissioning.publish.pdf.trends_chapter`), accessibility (E2SFCA), commissioning lots,
the resulting priorities and a data appendix. No service location appears: maps are filled
authorities, and accessibility places confidential capacity at authority centres (see
:mod:`commissioning.spatial.layers`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import geopandas as gpd
import pandas as pd
from reportlab.platypus import CondPageBreak, PageBreak, Spacer

from commissioning.demand.contract import ContractPeriod
from commissioning.needs.assessment import Assessment
from commissioning.needs.dataset import Dataset
from commissioning.publish.pdf.maps import boundary_attribution, coverage_map_png, lot_map_png, projected
from commissioning.publish.pdf.priorities import priority_flowables
from commissioning.publish.pdf.style import (
    RAG_FILL,
    Progress,
    bullets,
    contents,
    data_table,
    deliver,
    esc,
    fmt,
    heading,
    illustrative_mark,
    para,
    png_image,
    rag,
    render,
    step,
    today_text,
)
from commissioning.publish.pdf.trends_chapter import estimated_mark, trend_flowables
from commissioning.publish.priorities import derive_priorities
from commissioning.spatial.geo import load_boundaries
from commissioning.spatial.layers import service_access
from commissioning.spatial.lots import make_lots

DEFAULT_TITLE = "Victim support services in London: needs assessment"
DEFAULT_AUTHOR = "Victim services commissioning"


def build_needs_pdf(assessment: Assessment, out: str | os.PathLike | BinaryIO | None = None, *,
                    progress: Progress | None = None,
                    boundaries: gpd.GeoDataFrame | None = None, dpi: int = 200, lots_k: int = 5,
                    radius_m: float = 10_000, title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR,
                    date: dt.date | None = None, contract: ContractPeriod | None = None, trends: bool = True
                    ) -> bytes:
    """Build the needs-assessment PDF; return its bytes and write them to ``out`` if given.

    ``out``: a path (written atomically) or a binary buffer. ``progress(fraction, message)`` is
    called as the build goes. ``assessment``: :func:`~commissioning.needs.assessment.run_assessment`
    of the data; ``boundaries`` default to the London boroughs. ``dpi``: map resolution (200 prints sharply at the 17 cm map width). ``lots_k``:
    number of commissioning lots; ``radius_m``: accessibility catchment radius in metres.
    ``trends``: include the demand-over-time chapter (with need per year of ``contract``, if given).
    """
    step(progress, 0.0, "deriving priorities")
    ds, gaps, totals = assessment.dataset, assessment.gaps, assessment.totals
    boundaries = load_boundaries() if boundaries is None else boundaries
    bng = projected(boundaries)
    priorities = derive_priorities(assessment)
    attribution = boundary_attribution(ds.sources)
    day = date or dt.date.today()
    notes = ds.illustrative_notes()

    story = _cover(ds, title, author, day, notes)
    story += [heading("Contents"), contents(), PageBreak()]
    story += _summary(ds, totals, priorities, notes)
    story += _method(ds, radius_m)

    services = ds.service_types
    for i, service in enumerate(services):
        step(progress, 0.1 + 0.6 * i / len(services), f"drawing the {service} map")
        story += _service_chapter(ds, gaps, service, bng, attribution, dpi)

    if trends:
        step(progress, 0.7, "forecasting demand")
        story += trend_flowables(ds, gaps, contract, dpi=dpi)
    step(progress, 0.72, "computing accessibility")
    story += _accessibility(ds, boundaries, radius_m)
    step(progress, 0.78, "grouping authorities into lots")
    story += _lots(ds, gaps, boundaries, bng, attribution, dpi, lots_k)
    story += _priorities(ds, priorities)
    story += _appendix(ds, attribution)

    step(progress, 0.85, "laying out pages")
    pdf = render(story, title=title, author=author,
                 subject="Provision of IDVA, ISVA and refuge services against published benchmarks, by authority",
                 header=title + (" — ILLUSTRATIVE DATA" if notes else ""),
                 footer=f"Published {today_text(day)}", keywords=["needs assessment", "victim services", "London"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def _label(ds: Dataset, service: str) -> str:
    return ds.benchmarks.services[service].label


def _cover(ds: Dataset, title: str, author: str, day: dt.date, notes: list[str]) -> list:
    periods = [[esc(s.get("name", "")), esc(_period(s))]
               for s in ds.sources if s.get("id") != "boundaries"]
    story = [Spacer(1, 60), para(esc(title), "title"),
             para(f"Independent domestic and sexual violence advisers (IDVA, ISVA) and refuge provision in the "
                  f"{len(ds.authorities)} authorities, against published benchmarks", "subtitle"),
             para(f"<b>Published</b> {today_text(day)} &nbsp;&nbsp; <b>By</b> {esc(author)}"), Spacer(1, 14)]
    story += illustrative_mark(notes)
    story += estimated_mark(ds.estimated_notes())
    if periods:
        story += [para("<b>Data period</b>"),
                  data_table([["Data", "Period"], *periods], [0.62, 0.38]), Spacer(1, 10)]
    story += [para("Refuge addresses are confidential: no service location appears in this document.", "small"),
              PageBreak()]
    return story


def _period(source: dict) -> str:
    period = str(source.get("period", ""))
    illustrative = source.get("illustrative") and "illustrative" not in period.lower()
    return period + (" (illustrative)" if illustrative else " (estimated)" if source.get("estimated") else "")


def _summary(ds: Dataset, totals: pd.DataFrame, priorities, notes: list[str]) -> list:
    n = len(ds.authorities)
    story = [heading("Executive summary")]
    if notes:
        story.append(para("<b>Illustrative data.</b> The figures below use illustrative inputs ("
                          + esc("; ".join(notes)) + ") and show how the assessment works, not the real position."))
    story.append(para(f"This assessment compares the provision of each victim support service with the need "
                      f"for it in each of the {n} authorities, using published benchmarks where they exist and "
                      "stated local assumptions where they do not. The worst gaps, most severe first:"))
    items = []
    for p in priorities:
        t = totals.set_index("service").loc[p.service]
        items.append(f"<b>{esc(p.label)}</b>: {fmt(t.provision)} {esc(p.unit)} against a need of {fmt(t.need)} "
                     f"({t.coverage_pct:.0f}% coverage); red in {int(t.red)} of {n} authorities. Largest shortfalls: "
                     f"{esc(', '.join(p.boroughs[:3]))}.")
    story += bullets(items)
    rows = [["Service", "Unit", "Provision", "Need", "Net shortfall", "Gap where short", "Coverage", "Status",
             "Red / amber / green"]]
    fills = []
    for r, t in enumerate(totals.itertuples(), start=1):
        bench = ds.benchmarks.services[t.service]
        rows.append([esc(bench.label), esc(bench.unit), fmt(t.provision), fmt(t.need), fmt(t.shortfall),
                     fmt(t.gap_total), f"{t.coverage_pct:.0f}%", rag(t.status), f"{t.red} / {t.amber} / {t.green}"])
        fills.append((7, r, RAG_FILL.get(t.status)))
    story += [Spacer(1, 4), para(f"<b>Totals across the {n} authorities</b>"),
              data_table(rows, [0.18, 0.09, 0.12, 0.08, 0.1, 0.1, 0.12, 0.08, 0.13], align_right=range(2, 7),
                         fills=fills),
              para("Net shortfall = need minus provision over the whole area; gap where short = the sum of the "
                   "shortfalls of the authorities below their benchmark (surpluses elsewhere do not fill it).",
                   "small"),
              PageBreak()]
    return story


def _method(ds: Dataset, radius_m: float) -> list:
    b = ds.benchmarks
    story = [heading("Method and benchmarks"),
             para("<b>Need</b> for each service and authority comes from the service's need model: a rate per "
                  "population (e.g. advisers per 100,000 adult women) or a caseload (recorded demand times the "
                  "share referred, divided by the cases one full-time adviser holds a year)."),
             para("<b>Provision</b> is the capacity of the services in the register (full-time equivalent "
                  "advisers or refuge family places). A service that covers several authorities, or all of "
                  "London, is shared between them in proportion to their need base."),
             para("<b>Shortfall</b> = need − provision (positive means a gap). <b>Coverage</b> = 100 × "
                  f"provision ÷ need. <b>Status</b>: green at {b.green_at:g}% coverage or more, amber from "
                  f"{b.amber_at:g}% to below {b.green_at:g}%, red below {b.amber_at:g}%. {esc(b.status_citation)}"),
             heading("Benchmarks and their sources", 2)]
    rows = [["Service", "Need model", "Source", "Status"]]
    for bench in b.services.values():
        m = bench.model
        rows.append([esc(bench.label), esc(f"{m.describe()} ({bench.unit})"), esc(m.citation),
                     "Local assumption (illustrative)" if m.illustrative else "Published benchmark"])
    story += [data_table(rows, [0.18, 0.2, 0.47, 0.15]),
              para("Every service type is data (benchmarks.yaml): a new adviser type with its own need base "
                   "is assessed the same way without code changes.", "small"),
              heading("Accessibility", 2),
              para("Accessibility uses the enhanced two-step floating catchment area method (E2SFCA; Luo &amp; "
                   "Qi 2009, Health &amp; Place 15(4); 2SFCA: Luo &amp; Wang 2003, Environment and Planning B "
                   f"30(6)) with a {radius_m / 1000:g} km catchment and Gaussian distance decay, distances in "
                   "British National Grid metres. Demand sits at each authority's centre; confidential services "
                   "(every refuge) and services covering several authorities are placed at the centres of the "
                   "authorities they serve, never at their own address."),
              PageBreak()]
    return story


def _service_chapter(ds: Dataset, gaps: pd.DataFrame, service: str, bng: gpd.GeoDataFrame, attribution: str,
                     dpi: int) -> list:
    bench = ds.benchmarks.services[service]
    rows = gaps.loc[gaps["service"] == service].sort_values("name")
    unit = bench.unit
    total_provision, total_need = rows["provision"].sum(), rows["need"].sum()
    counts = rows["status"].value_counts()
    png = coverage_map_png(bng, rows.set_index("code")["coverage_pct"],
                           f"{bench.label}: coverage of {bench.model.describe()}", attribution, dpi=dpi)
    flagged = bench.model.illustrative or ds.services.loc[ds.services["service"] == service, "illustrative"].any()
    story = [heading(bench.label),
             para(f"Need model: {esc(bench.model.describe())} ({esc(unit)}). Source: {esc(bench.model.citation)}"),
             para(f"Provision {fmt(total_provision)} {esc(unit)} against a need of {fmt(total_need)} {esc(unit)} "
                  f"({100 * total_provision / total_need:.0f}% coverage). Red: {int(counts.get('red', 0))}, amber: "
                  f"{int(counts.get('amber', 0))}, green: {int(counts.get('green', 0))} authorities."
                  + (" <b>Illustrative data.</b>" if flagged else "")),
             png_image(png),
             para("Map: coverage of the benchmark by authority, in five classes. Labels abbreviate authority "
                  "names; the table on the next page gives every figure.", "small"),
             PageBreak()]
    table = [["Authority", f"Provision ({esc(unit)})", f"Need ({esc(unit)})", f"Shortfall ({esc(unit)})",
              "Coverage", "Status"]]
    fills = []
    for r, row in enumerate(rows.itertuples(), start=1):
        cov = "–" if pd.isna(row.coverage_pct) else f"{row.coverage_pct:.0f}%"
        table.append([esc(row.name), fmt(row.provision), fmt(row.need), fmt(row.shortfall), cov, rag(row.status)])
        fills.append((5, r, RAG_FILL.get(row.status)))
    table.append(["Total", fmt(total_provision), fmt(total_need), fmt(total_need - total_provision),
                  f"{100 * total_provision / total_need:.0f}%", ""])
    story += [heading(f"{bench.label.split(' (')[0]}: every authority", 2),
              data_table(table, [0.34, 0.14, 0.13, 0.15, 0.12, 0.12], align_right=range(1, 5), fills=fills,
                         total_row=True),
              para("Shortfall = need − provision; a negative shortfall means provision above the benchmark.",
                   "small"),
              PageBreak()]
    return story


def _accessibility(ds: Dataset, boundaries: gpd.GeoDataFrame, radius_m: float) -> list:
    services = ds.service_types
    access = {s: service_access(ds, s, boundaries, radius_m=radius_m).set_index("code")["access_per_100k"]
              for s in services}
    header = ["Authority"] + [esc(_label(ds, s).split(" (")[0]) for s in services]
    units = [""] + [esc(_base_words(ds, s)) for s in services]
    rows = [header, units]
    for code in sorted(ds.authorities, key=ds.authorities.get):
        rows.append([esc(ds.authorities[code])] + [fmt(access[s].get(code), 2) for s in services])
    rows.append(["Benchmark"] + [fmt(_benchmark_per_100k(ds, s), 2) for s in services])
    width = 0.7 / len(services)
    return [heading("Accessibility"),
            para("Capacity within reach of each authority's residents per 100,000 of the service's need base "
                 "(E2SFCA, see Method). Unlike the coverage figures, this counts services in neighbouring "
                 "authorities that residents can reach, weighted down with distance. The last row is the "
                 "benchmark expressed in the same unit."),
            data_table(rows, [0.3] + [width] * len(services), header_rows=2, align_right=range(1, len(services) + 1),
                       total_row=True),
            PageBreak()]


def _base_words(ds: Dataset, service: str) -> str:
    m = ds.benchmarks.services[service].model
    base = m.base if m.kind == "rate" else m.measure
    return f"{ds.benchmarks.services[service].unit} per 100,000 {base.replace('_', ' ')}"


def _benchmark_per_100k(ds: Dataset, service: str) -> float:
    m = ds.benchmarks.services[service].model
    if m.kind == "rate":
        return m.per * 100_000 / m.per_population
    return m.referral_share * 100_000 / m.cases_per_fte


def _lots(ds: Dataset, gaps: pd.DataFrame, boundaries: gpd.GeoDataFrame, bng: gpd.GeoDataFrame, attribution: str,
          dpi: int, k: int) -> list:
    lots = make_lots(ds, k, boundaries=boundaries, gaps=gaps)
    services = ds.service_types
    summary = lots.summary
    rows = [["Lot", "Authorities"] + [esc(_label(ds, s).split(" (")[0]) + " coverage" for s in services]]
    for lot in lots.labels:
        part = summary.loc[summary["lot"] == lot].set_index("service")
        members = part["members"].iloc[0]
        rows.append([esc(lot), esc(members)] + [f"{part.loc[s, 'coverage_pct']:.0f}%" for s in services])
    width = 0.44 / len(services)
    return [heading("Commissioning lots"),
            para(f"The {len(ds.authorities)} authorities grouped into {k} lots. Each lot is one connected area "
                 "(its authorities share borders) and need is spread as evenly as the geography allows: the "
                 f"largest lot has {lots.balance:.2f} times the mean lot's need (1.00 would be perfectly even). "
                 "Need is each authority's mean share of the area's need across the service types."),
            png_image(lot_map_png(bng, lots.assignment, attribution, dpi=dpi)),
            CondPageBreak(200),
            data_table(rows, [0.14, 0.42] + [width] * len(services), align_right=range(2, 2 + len(services))),
            PageBreak()]


def _priorities(ds: Dataset, priorities) -> list:
    return priority_flowables(ds, priorities, "Derived from the gaps above: for each service short of its benchmark, "
                                              "the authorities with the largest shortfall, most severe service first."
                              ) + [PageBreak()]


def _appendix(ds: Dataset, attribution: str) -> list:
    rows = [["Source", "Publisher", "Period", "Licence", "Used in"]]
    for s in ds.sources:
        name = esc(s.get("name", "")) + (" <b>(illustrative)</b>" if s.get("illustrative") else
                                         " <b>(estimated)</b>" if s.get("estimated") else "")
        if s.get("url"):
            name += f"<br/><font size='6.5'>{esc(s['url'])}</font>"
        rows.append([name, esc(s.get("publisher", "")), esc(s.get("period", "")), esc(s.get("licence", "")),
                     esc(s.get("used_in", ""))])
    story = [heading("Appendix: data sources")]
    if not ds.sources:
        story.append(para("The data directory has no sources.yaml: the sources of these figures are not recorded."))
    else:
        story.append(data_table(rows, [0.33, 0.2, 0.14, 0.15, 0.18]))
    story += [Spacer(1, 6), para(f"Boundaries: {esc(attribution)}", "small")]
    for s in ds.sources:
        if s.get("note") and s.get("id") != "boundaries":
            story.append(para(f"<b>{esc(s.get('name', ''))}</b>: {esc(' '.join(str(s['note']).split()))}", "small"))
    return story
