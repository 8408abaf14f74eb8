"""The needs assessment as a PDF and as accessible HTML, from one outline built from the same
library functions as the app.

(About 450 lines on purpose: one document, its chapters in reading order; chapters added by other
domains live in their own modules: trends_chapter.py, provision_over_time.py.)

Sections: cover (with an "illustrative data" mark when any input is illustrative), contents,
executive summary (the headline: posts, places and their cost, authorities red across several
services), method and benchmarks, one chapter per service (coverage map and the table of every
authority), demand over time and need over the contract period
(:mod:`commissioning.publish.pdf.trends_chapter`), accessibility (E2SFCA), the published lots (the rules' ``lots:``, with each lot's need,
provision and gap; :mod:`commissioning.publish.lots`), a computed lot scenario only when asked for
(``lots_k``), provision over time (:mod:`commissioning.publish.pdf.provision_over_time`, from approved provider
returns), the resulting priorities and a data appendix. Cover
marks: "illustrative data" when any input is illustrative, "estimated figures" when any is
estimated. No service location appears: maps are filled authorities, and accessibility places
confidential capacity at authority centres (see :mod:`commissioning.spatial.layers`).

Over 400 lines: one section function per chapter of one document, read top to bottom.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import BinaryIO

import geopandas as gpd
import pandas as pd

from commissioning.demand.contract import ContractPeriod
from commissioning.needs.assessment import NO_NEED, Assessment, digits_for
from commissioning.needs.dataset import Dataset
from commissioning.procurement.rules import Rules, load_rules
from commissioning.publish.contracts_section import current_contracts_outline
from commissioning.publish.glossary import glossary_outline
from commissioning.publish.headline import headline, money
from commissioning.publish.lots import lots_outline
from commissioning.publish.outline import B, Outline, to_html
from commissioning.publish.pdf.maps import (
    boundary_attribution,
    coverage_map_png,
    lot_map_png,
    projected,
)
from commissioning.publish.pdf.priorities import priority_outline
from commissioning.publish.pdf.provision_over_time import provision_outline
from commissioning.publish.pdf.story import to_story
from commissioning.publish.pdf.style import (
    Progress,
    deliver,
    estimated_words,
    fmt,
    illustrative_words,
    rag,
    render,
    step,
    today_text,
    write_html,
)
from commissioning.publish.pdf.trends_chapter import trends_outline
from commissioning.publish.priorities import derive_priorities
from commissioning.publish.wording import estimated_mark, illustrative_mark
from commissioning.spatial.geo import load_boundaries
from commissioning.spatial.layers import service_access
from commissioning.spatial.lots import make_lots

DEFAULT_TITLE = "Victim support services in London: needs assessment"
DEFAULT_AUTHOR = "Victim services commissioning"
#: Where readers are told the accessible version is (the HTML file published beside the PDF).
ACCESSIBLE_VERSION = ("An accessible HTML version of this document is published beside it (same name, ending "
                      ".html); ask the commissioning team for another format.")


def needs_outline(assessment: Assessment, *, progress: Progress | None = None,
                  boundaries: gpd.GeoDataFrame | None = None, dpi: int = 200, lots_k: int | None = None,
                  radius_m: float = 10_000, title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR,
                  date: dt.date | None = None, contract: ContractPeriod | None = None,
                  trends: bool = True, returns: pd.DataFrame | None = None, rules: Rules | None = None,
                  contracts: list[dict] | None = None) -> Outline:
    """The needs assessment's content, the same for the PDF and the HTML (see
    :func:`build_needs_pdf` for the arguments)."""
    step(progress, 0.0, "deriving priorities")
    ds, gaps = assessment.dataset, assessment.gaps
    boundaries = load_boundaries() if boundaries is None else boundaries
    bng = projected(boundaries)
    priorities = derive_priorities(assessment)
    attribution = boundary_attribution(ds.sources)
    day = date or dt.date.today()
    notes = ds.illustrative_notes()

    o = _cover(ds, title, author, day, notes)
    o.extend(_main_points(assessment, priorities)).cond_break(450)     # what spills over shares a page with "About the data"
    o.extend(_data_notes(ds, notes))
    o.heading("Contents").contents().page_break()
    o.extend(_summary(assessment, priorities, notes))
    o.extend(_method(ds, radius_m))
    services = ds.service_types
    for i, service in enumerate(services):
        step(progress, 0.1 + 0.6 * i / len(services), f"drawing the {service} map")
        o.extend(_service_chapter(ds, gaps, service, bng, attribution, dpi))
    if trends:
        step(progress, 0.7, "forecasting demand")
        o.extend(trends_outline(ds, gaps, contract, dpi=dpi))
    step(progress, 0.72, "computing accessibility")
    o.extend(_accessibility(ds, boundaries, radius_m))
    o.extend(lots_outline(assessment, load_rules() if rules is None else rules).page_break())
    if lots_k:
        step(progress, 0.78, "grouping authorities into a lot scenario")
        o.extend(_lot_scenario(ds, gaps, boundaries, bng, attribution, dpi, lots_k))
    if returns is not None and len(returns):
        step(progress, 0.8, "provision over time")
        o.extend(provision_outline(ds, returns, dpi=min(dpi, 150)))
    o.extend(current_contracts_outline(contracts or [], day))
    o.extend(priority_outline(ds, priorities, "Derived from the gaps above: for each service short of its benchmark "
                                              "somewhere, the authorities with the largest shortfall; services with "
                                              "the largest share of need unmet and the firmest figures first."))
    o.page_break()
    o.extend(_appendix(ds, gaps, attribution))
    return o.extend(glossary_outline(o))


def build_needs_pdf(assessment: Assessment, out: str | os.PathLike | BinaryIO | None = None, *,
                    progress: Progress | None = None,
                    boundaries: gpd.GeoDataFrame | None = None, dpi: int = 200, lots_k: int | None = None,
                    radius_m: float = 10_000, title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR,
                    date: dt.date | None = None, contract: ContractPeriod | None = None, trends: bool = True,
                    returns: pd.DataFrame | None = None, rules: Rules | None = None,
                    contracts: list[dict] | None = None) -> bytes:
    """Build the needs-assessment PDF; return its bytes and write them to ``out`` if given.

    ``out``: a path (written atomically) or a binary buffer. ``progress(fraction, message)`` is
    called as the build goes. ``assessment``: :func:`~commissioning.needs.assessment.run_assessment`
    of the data; ``boundaries`` default to the London boroughs. ``dpi``: map resolution (200 prints
    sharply at the 17 cm map width). ``rules``: the published rules whose ``lots:`` the chapter on
    lots shows (default ``scoring_rules/default.yaml``). ``lots_k``: when given, a chapter with a
    scenario of that many computed, need-balanced lots, labelled as a scenario; ``radius_m``:
    accessibility catchment radius in metres. ``trends``: include the demand-over-time chapter
    (with need per year of ``contract``, if given). ``returns``: approved provider returns
    (``Store.approved_returns()``); when given, the chapter "Provision over time" follows the lots
    (:mod:`commissioning.publish.pdf.provision_over_time`). ``contracts``: the contracts in place
    (``Store.published_contracts(date)``); when given, a chapter cites them and their KPI ratings.
    """
    o = needs_outline(assessment, progress=progress, boundaries=boundaries, dpi=dpi, lots_k=lots_k,
                      radius_m=radius_m, title=title, author=author, date=date, contract=contract, trends=trends,
                      returns=returns, rules=rules, contracts=contracts)
    step(progress, 0.85, "laying out pages")
    day = date or dt.date.today()
    notes = assessment.dataset.illustrative_notes()
    pdf = render(to_story(o), title=title, author=author,
                 subject="Provision of IDVA, ISVA and refuge services against published benchmarks, by authority",
                 header=title + (" — ILLUSTRATIVE DATA" if notes else ""),
                 footer=f"Published {today_text(day)}", keywords=["needs assessment", "victim services", "London"])
    step(progress, 1.0, "done")
    return deliver(pdf, out)


def build_needs_html(assessment: Assessment, out: str | os.PathLike | None = None, *,
                     progress: Progress | None = None, boundaries: gpd.GeoDataFrame | None = None,
                     dpi: int = 110, lots_k: int | None = None, radius_m: float = 10_000,
                     title: str = DEFAULT_TITLE, author: str = DEFAULT_AUTHOR, date: dt.date | None = None,
                     contract: ContractPeriod | None = None, trends: bool = True,
                     returns: pd.DataFrame | None = None, rules: Rules | None = None,
                     contracts: list[dict] | None = None) -> str:
    """The needs assessment as one self-contained accessible HTML page, the same content as the PDF
    (maps and charts embedded with text alternatives; arguments as :func:`build_needs_pdf`, ``dpi``
    lower for the screen); written atomically to ``out`` if given."""
    o = needs_outline(assessment, progress=progress, boundaries=boundaries, dpi=dpi, lots_k=lots_k,
                      radius_m=radius_m, title=title, author=author, date=date, contract=contract, trends=trends,
                      returns=returns, rules=rules, contracts=contracts)
    day = date or dt.date.today()
    page = to_html(o, title=title, subtitle=f"Published {today_text(day)} by {author}",
                   footer=f"{title}. Published {today_text(day)}.")
    step(progress, 1.0, "done")
    return write_html(page, out)


def _label(ds: Dataset, service: str) -> str:
    return ds.benchmarks.services[service].label


def _short(ds: Dataset, service: str) -> str:
    return _label(ds, service).split(" (")[0]


def _cover(ds: Dataset, title: str, author: str, day: dt.date, notes: list[str]) -> Outline:
    o = Outline().para(title, style="title")
    o.para(f"Independent domestic and sexual violence advisers (IDVA, ISVA) and refuge provision in the "
           f"{len(ds.authorities)} authorities, against published benchmarks", style="subtitle")
    o.para(B("Published "), today_text(day), B("   By "), author, style="cover").spacer(6)
    if notes:
        o.notice(illustrative_mark("listed on page 2"))
    if ds.estimated_notes():
        o.notice(estimated_mark("listed on page 2"), kind="estimated")
    return o


def _data_notes(ds: Dataset, notes: list[str]) -> Outline:
    """What is illustrative or estimated, and the period of each source (the page after the main points)."""
    o = Outline().heading("About the data")
    if notes:
        o.notice(illustrative_words(notes))
    estimated = ds.estimated_notes()
    if estimated:
        o.notice(estimated_words(estimated), kind="estimated")
    periods = [[s.get("name", ""), _period(s)] for s in ds.sources if s.get("id") != "boundaries"]
    if periods:
        o.table([["Data", "Period"], *periods], caption="Data period", widths=[0.62, 0.38], caption_in_pdf=True)
        o.spacer(10)
    o.para("Refuge addresses are confidential: no service location appears in this document.", style="small")
    o.para(ACCESSIBLE_VERSION, style="pdf_note")
    return o.spacer(10)


def _period(source: dict) -> str:
    period = str(source.get("period", ""))
    illustrative = source.get("illustrative") and "illustrative" not in period.lower()
    return period + (" (illustrative)" if illustrative else " (estimated)" if source.get("estimated") else "")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _main_points(assessment: Assessment, priorities) -> Outline:
    """Page 1: the gap in posts, places and pounds by service, the authorities red in most services,
    and the decisions the assessment asks for."""
    ds = assessment.dataset
    n = len(ds.authorities)
    head = headline(assessment)
    o = Outline().heading("Main points")
    if head.costs:
        amounts = [f"{fmt(v, digits_for(u))} {'FTE posts' if u == 'FTE' else 'refuge ' + u if u == 'spaces' else u}"
                   for u, v in head.gap_by_unit.items()]
        cost = f", costing about {money(head.total_cost)} a year" if head.total_cost else ""
        o.para(B(f"Closing every authority's gap with new capacity takes {_join(amounts)}{cost} (gross). "),
               "That is the sum of the shortfalls of the authorities below their benchmark; provision above the "
               "benchmark in one authority does not fill a gap in another as things stand."
               + (" Costs use the unit costs below, which are local assumptions to be replaced with local prices."
                  if head.illustrative_costs else ""))
        movable = [f"{fmt(c.movable, digits_for(c.unit))} {c.unit} of {_short(ds, c.service)}"
                   for c in head.costs if c.movable > 0]
        if movable:
            o.para(B(f"Moving capacity could cover about {money(head.movable_cost)} a year of that: "),
                   f"{_join(movable)} could come from authorities above their benchmark instead of new posts or "
                   f"places. New capacity would then cost about {money(head.new_cost)} a year (net).")
    else:
        o.para(B("Every authority meets its benchmark for every service: there is no gap to close."))
    if head.red_across:
        o.para(B(f"{len(head.red_across)} of {n} authorities are red in {head.min_red} or more of the "
                 f"{head.services} services: "), _join([name for name, _ in head.red_across]) + ".")
    else:
        o.para(B(f"No authority is red in {head.min_red} or more services."))
    if priorities:
        o.heading("Decisions this assessment asks for", 2)
        o.bullets([[B(f"{p.rank}. {p.title}. "), f"{_short(ds, p.service)} meets {p.coverage_pct:.0f}% of the "
                    f"benchmark across the area; {fmt(p.gap_total, digits_for(p.unit))} {p.unit} are missing "
                    "where provision is short."] for p in priorities])
    rows = [["Service", "Gap where short", "Above benchmark elsewhere", "New capacity (net)", "Annual cost of one",
             "Annual cost of the gap", "Of which moving could cover"]]
    for c in head.costs:
        d = digits_for(c.unit)
        amounts = [f"{fmt(c.gap, d)} {c.unit}", f"{fmt(c.surplus, d)} {c.unit}", f"{fmt(c.new, d)} {c.unit}"]
        if c.unit_cost is None:
            rows.append([_short(ds, c.service), *amounts, "No unit cost in benchmarks.yaml", "–", "–"])
        else:
            basis = "local assumption" if c.unit_cost.illustrative else "published figure"
            rows.append([_short(ds, c.service), *amounts,
                         f"£{c.unit_cost.gbp_per_year:,.0f} per {c.unit_cost.per} ({basis})", f"£{c.cost:,.0f}",
                         f"£{c.movable_cost:,.0f}"])
    if head.costs:
        rows.append(["Total", "", "", "", "", f"£{head.total_cost:,.0f}", f"£{head.movable_cost:,.0f}"])
        o.table(rows, caption="What closing the gaps takes, and its cost a year", caption_in_pdf=True,
                widths=[0.11, 0.11, 0.14, 0.11, 0.21, 0.16, 0.16], align_right=[1, 2, 3, 5, 6], total_row=True)
        o.para("Cost = the gap, as shown, times the annual cost of one post or place; the unit costs and their "
               "sources are under Method and benchmarks. Above benchmark elsewhere = the sum of provision over need "
               "in the authorities above their benchmark; moving it could cover the gap up to that amount, and new "
               "capacity (net) is the rest, the area's net shortfall where it is short.", style="small")
    return o


def _summary(assessment: Assessment, priorities, notes: list[str]) -> Outline:
    ds, totals = assessment.dataset, assessment.totals
    n = len(ds.authorities)
    o = Outline().heading("Totals and priorities")
    if notes:
        o.para(B("Illustrative data. "), "The figures below use illustrative inputs (" + "; ".join(notes) +
               ") and show how the assessment works, not the real position.")
    if priorities:
        o.para(B("Priorities, in order: "), "; ".join(
            f"{p.rank}. {_short(ds, p.service)} ({p.coverage_pct:.0f}% coverage; largest shortfalls in "
            f"{', '.join(p.boroughs[:3])})" for p in priorities) + ". See Commissioning priorities for how they are "
            "ordered.")
    rows = [["Service", "Unit", "Provision", "Need", "Net shortfall", "Gap where short", "Coverage", "Status",
             "Red / amber / green"]]
    fills = []
    for r, t in enumerate(totals.itertuples(), start=1):
        bench = ds.benchmarks.services[t.service]
        d = digits_for(bench.unit)
        rows.append([_short(ds, t.service), bench.unit, fmt(t.provision, d), fmt(t.need, d), fmt(t.shortfall, d),
                     fmt(t.gap_total, d), f"{t.coverage_pct:.0f}%", rag(t.status), f"{t.red} / {t.amber} / {t.green}"])
        fills.append((7, r, t.status))
    o.table(rows, caption=f"Totals across the {n} authorities", caption_in_pdf=True,
            widths=[0.15, 0.09, 0.125, 0.08, 0.115, 0.095, 0.125, 0.095, 0.125], align_right=range(2, 7), fills=fills)
    o.para("Net shortfall = need minus provision over the whole area (a minus sign: more provision than need); gap "
           "where short = the sum of the shortfalls of the authorities below their benchmark. FTE to one decimal, "
           "refuge places in whole places.", style="small")
    return o.page_break()


def _method(ds: Dataset, radius_m: float) -> Outline:
    b = ds.benchmarks
    o = Outline().heading("Method and benchmarks")
    o.para(B("Need"), " for each service and authority comes from the service's need model: a rate per population "
           "(e.g. advisers per 100,000 adult women) or a caseload (recorded demand times the share referred, divided "
           "by the cases one full-time adviser holds a year).")
    o.para(B("Provision"), " is the capacity of the services in the register (full-time equivalent advisers or "
           "refuge family places). A service that covers several authorities, or all of London, is shared between "
           "them in proportion to their need base.")
    o.para(B("Shortfall"), " = need − provision (positive means a gap). ", B("Coverage"), " = 100 × provision ÷ "
           "need. ", B("Status"), f": green at {b.green_at:g}% coverage or more, amber from {b.amber_at:g}% to below "
           f"{b.green_at:g}%, red below {b.amber_at:g}%. {b.status_citation} Where the need rounds to nothing at the "
           "precision shown (under 0.05 FTE, or half a place), coverage is not meaningful and the tables say "
           "\"no need\".")
    o.heading("Benchmarks and their sources", 2)
    rows = [["Service", "Need model", "Source", "Status"]]
    for bench in b.services.values():
        m = bench.model
        rows.append([bench.label, f"{m.describe()} ({bench.unit})", m.citation,
                     "Local assumption (illustrative)" if m.illustrative else "Published benchmark"])
    o.table(rows, caption="Benchmarks and their sources", widths=[0.18, 0.2, 0.47, 0.15])
    o.para("Every service type is data (benchmarks.yaml): a new adviser type with its own need base is assessed the "
           "same way without code changes.", style="small")
    costed = [bench for bench in b.services.values() if bench.unit_cost is not None]
    if costed:
        o.heading("Unit costs", 2)
        o.table([["Service", "Annual cost of one", "Source", "Status"]]
                + [[bench.label.split(" (")[0], f"£{bench.unit_cost.gbp_per_year:,.0f} per {bench.unit_cost.per}",
                    bench.unit_cost.citation, "Local assumption" if bench.unit_cost.illustrative else "Published"]
                   for bench in costed],
                caption="Unit costs used to cost the gaps", widths=[0.18, 0.22, 0.45, 0.15])
    o.heading("Accessibility", 2)
    o.para("Accessibility uses the enhanced two-step floating catchment area method (E2SFCA; Luo & Qi 2009, Health & "
           "Place 15(4); 2SFCA: Luo & Wang 2003, Environment and Planning B 30(6)) with a "
           f"{radius_m / 1000:g} km catchment and Gaussian distance decay, distances in British National Grid "
           "metres. Demand sits at each authority's centre; confidential services (every refuge) and services "
           "covering several authorities are placed at the centres of the authorities they serve, never at their "
           "own address.")
    return o.page_break()


def _service_chapter(ds: Dataset, gaps: pd.DataFrame, service: str, bng: gpd.GeoDataFrame, attribution: str,
                     dpi: int) -> Outline:
    bench = ds.benchmarks.services[service]
    rows = gaps.loc[gaps["service"] == service].sort_values("name")
    unit, d = bench.unit, digits_for(bench.unit)
    total_provision, total_need = rows["provision"].sum(), rows["need"].sum()
    counts = rows["status"].value_counts()
    coverage = rows.set_index("code")["coverage_pct"]
    png = coverage_map_png(bng, coverage, f"{bench.label}: coverage of {bench.model.describe()}", attribution,
                           dpi=dpi, amber_at=ds.benchmarks.amber_at, green_at=ds.benchmarks.green_at)
    flagged = bench.model.illustrative or ds.services.loc[ds.services["service"] == service, "illustrative"].any()
    worst = rows.sort_values("coverage_pct").head(3)
    o = Outline().heading(bench.label)
    o.para(f"Need model: {bench.model.describe()} ({unit}). Source: {bench.model.citation}")
    o.para(f"Provision {fmt(total_provision, d)} {unit} against a need of {fmt(total_need, d)} {unit} "
           f"({100 * total_provision / total_need:.0f}% coverage). Red: {int(counts.get('red', 0))}, amber: "
           f"{int(counts.get('amber', 0))}, green: {int(counts.get('green', 0))} authorities.",
           *([" ", B("Illustrative data.")] if flagged else []))
    alt = (f"Map of the {len(rows)} authorities shaded by {bench.label} coverage of the benchmark: "
           f"{int(counts.get('red', 0))} red (under {ds.benchmarks.amber_at:g}%), {int(counts.get('amber', 0))} "
           f"amber, {int(counts.get('green', 0))} green. Lowest coverage: "
           + ", ".join(f"{r.name} {r.coverage_pct:.0f}%" for r in worst.itertuples() if pd.notna(r.coverage_pct))
           + ". The table that follows gives every figure.")
    o.figure(png, alt=alt, caption="Map: coverage of the benchmark by authority. Reds are below the benchmark (the "
             "status cut-offs are class breaks), blues above it. Crowded names are abbreviated, with a key.",
             data=rows[["code", "name", "provision", "need", "coverage_pct", "status"]].round(2))
    o.page_break()
    table = [["Authority", f"Provision ({unit})", f"Need ({unit})", f"Shortfall ({unit})", "Coverage", "Status"]]
    fills = []
    no_need = 0
    for r, row in enumerate(rows.itertuples(), start=1):
        if row.status == NO_NEED:
            no_need += 1
            cov, status = "–", rag(row.status)
        else:
            cov = "–" if pd.isna(row.coverage_pct) else f"{row.coverage_pct:.0f}%"
            status = rag(row.status)
            fills.append((5, r, row.status))
        table.append([row.name, fmt(row.provision, d), fmt(row.need, d), fmt(row.shortfall, d), cov, status])
    table.append(["Total", fmt(total_provision, d), fmt(total_need, d), fmt(total_need - total_provision, d),
                  f"{100 * total_provision / total_need:.0f}%", ""])
    o.heading(f"{_short(ds, service)}: every authority", 2)
    o.table(table, caption=f"{bench.label}: provision, need and coverage by authority",
            widths=[0.32, 0.14, 0.13, 0.15, 0.13, 0.13], align_right=range(1, 5), fills=fills, total_row=True)
    o.para("Shortfall = need − provision; a minus sign means provision above the benchmark."
           + (f" \"No need\": the need rounds to zero at this precision, so coverage is not meaningful ({no_need} "
              f"{'authority' if no_need == 1 else 'authorities'})." if no_need else ""), style="small")
    return o.page_break()


def _accessibility(ds: Dataset, boundaries: gpd.GeoDataFrame, radius_m: float) -> Outline:
    services = ds.service_types
    access = {s: service_access(ds, s, boundaries, radius_m=radius_m).set_index("code")["access_per_100k"]
              for s in services}
    rows = [["Authority"] + [_short(ds, s) for s in services], [""] + [_base_words(ds, s) for s in services]]
    for code in sorted(ds.authorities, key=ds.authorities.get):
        rows.append([ds.authorities[code]] + [fmt(access[s].get(code), 2) for s in services])
    rows.append(["Benchmark"] + [fmt(_benchmark_per_100k(ds, s), 2) for s in services])
    width = 0.71 / len(services)
    o = Outline().heading("Accessibility")
    o.para("Capacity within reach of each authority's residents per 100,000 of the service's need base (E2SFCA, see "
           "Method). Unlike coverage, this counts services in neighbouring authorities, weighted down with distance. "
           "The last row is the benchmark in the same unit.")
    o.table(rows, caption="Capacity within reach per 100,000 of the need base, by authority",
            widths=[0.29] + [width] * len(services), header_rows=2, align_right=range(1, len(services) + 1),
            total_row=True)
    return o.page_break()


def _base_words(ds: Dataset, service: str) -> str:
    m = ds.benchmarks.services[service].model
    base = m.base if m.kind == "rate" else m.measure
    return f"{ds.benchmarks.services[service].unit} per 100,000 {base.replace('_', ' ')}"


def _benchmark_per_100k(ds: Dataset, service: str) -> float:
    m = ds.benchmarks.services[service].model
    if m.kind == "rate":
        return m.per * 100_000 / m.per_population
    return m.referral_share * 100_000 / m.cases_per_fte


def _lot_scenario(ds: Dataset, gaps: pd.DataFrame, boundaries: gpd.GeoDataFrame, bng: gpd.GeoDataFrame,
                  attribution: str, dpi: int, k: int) -> Outline:
    """A scenario of ``k`` computed lots (:func:`commissioning.spatial.lots.make_lots`), asked for with
    ``lots_k``: numbered "Scenario area 1", ... so that it is never read as a published lot."""
    lots = make_lots(ds, k, boundaries=boundaries, gaps=gaps)
    names = {label: f"Scenario area {i}" for i, label in enumerate(lots.labels, start=1)}
    assignment = lots.assignment.assign(lot=lots.assignment["lot"].map(names))
    services = ds.service_types
    summary = lots.summary
    rows = [["Scenario area", "Authorities"] + [_short(ds, s) for s in services]]
    for lot in lots.labels:
        part = summary.loc[summary["lot"] == lot].set_index("service")
        rows.append([names[lot], part["members"].iloc[0]] + [f"{part.loc[s, 'coverage_pct']:.0f}%" for s in services])
    width = 0.52 / len(services)
    o = Outline().heading(f"Scenario: {k} computed lots (not the published lots)")
    o.para(B("A scenario, not the published lots. "),
           f"The {len(ds.authorities)} authorities grouped into {k} areas by the lot tool, to test another split; "
           "bids are invited for the published lots above. Each area is one connected area (its authorities share "
           "borders) and need is spread as evenly as the geography allows: the largest area has "
           f"{lots.balance:.2f} times the mean area's need (1.00 would be perfectly even). Need is each authority's "
           "mean share of the area's need across the service types.")
    alt = "Map of the scenario's computed areas: " + "; ".join(f"{r[0]}: {r[1]}" for r in rows[1:]) + "."
    o.figure(lot_map_png(bng, assignment, attribution, dpi=dpi, title="Scenario areas", term="Area"), alt=alt,
             max_height=300, caption="Map: the scenario's computed areas. Crowded names are abbreviated, with a key.",
             data=assignment)
    o.cond_break(200)
    o.table(rows, caption="Scenario: coverage of the benchmark by computed area and service", caption_in_pdf=True,
            widths=[0.17, 0.31] + [width] * len(services), align_right=range(2, 2 + len(services)))
    return o.page_break()


def _appendix(ds: Dataset, gaps: pd.DataFrame, attribution: str) -> Outline:
    o = Outline().heading("Appendix: data sources")
    if not ds.sources:
        o.para("The data directory has no sources.yaml: the sources of these figures are not recorded.")
    else:
        rows = [["Source", "Publisher", "Period", "Licence", "Used for"]]
        for s in ds.sources:
            name = [" ".join(str(s.get("name", "")).split())] + (
                [" ", B("(illustrative)")] if s.get("illustrative") else
                [" ", B("(estimated)")] if s.get("estimated") else [])
            rows.append([name, s.get("publisher", ""), s.get("period", ""), s.get("licence", ""),
                         _used_for(s.get("used_in", ""))])
        o.table(rows, caption="Data sources", widths=[0.32, 0.22, 0.15, 0.15, 0.16])
        links = [f"{s.get('name', '')}: {s['url']}" for s in ds.sources if s.get("url")]
        if links:
            o.para("Where to find them:", style="small").bullets(links)
    o.para(f"Boundaries: {attribution}", style="small")
    for s in ds.sources:
        if s.get("note") and s.get("id") != "boundaries":
            note = public_note(s["note"]) + (" " + _coverage_ranges(ds, gaps) if s.get("used_in") == "data/services.csv"
                                             and s.get("illustrative") else "")
            o.para(B(" ".join(str(s.get("name", "")).split())), ": " + note, style="small")
    return o


def _coverage_ranges(ds: Dataset, gaps: pd.DataFrame) -> str:
    """The range of coverage of the benchmark across the authorities, per service type, from the gap
    table (the figures the service chapters show)."""
    parts = []
    for service in ds.service_types:
        pct = gaps.loc[gaps["service"] == service, "coverage_pct"].dropna()
        if len(pct):
            parts.append(f"{_short(ds, service)} {pct.min():.0f}% to {pct.max():.0f}%")
    return ("Provision in these figures runs from " + "; ".join(parts) + " of the benchmark by authority.") if parts else ""


def public_note(note: str) -> str:
    """A source's note for a public document: the toolkit's shell commands left out (the
    importers record them, e.g. "Imported from X.csv with `python -m commissioning import ...`")."""
    text = " ".join(str(note).split())
    text = re.sub(r"\s*[;,]?\s*(?:made |imported )?(?:with|via) `[^`]*`", "", text)
    return re.sub(r"`[^`]*`", "", text).replace(" .", ".")


def _used_for(used_in: str) -> str:
    """What a source feeds, in words rather than file paths."""
    words = {"population.csv": "population", "demand.csv": "demand", "services.csv": "provision",
             "london_boroughs.geojson": "maps", "satisfaction": "victim satisfaction",
             "series/": "trends and forecasts"}
    found = [w for key, w in words.items() if key in str(used_in)]
    return ", ".join(dict.fromkeys(found)) or str(used_in)
