"""Benchmark: building the London needs-assessment PDF.

- ours: ``commissioning.publish.pdf.needs.build_needs_pdf`` on the embedded London data at print
  resolution (maps at 200 dpi): 17 pages with 5 maps, contents (two layout passes), embedded
  DejaVu fonts, accessibility (E2SFCA) and lots computed inside. Median of 3 warm runs, after the
  cold run below (which also pays font registration and the boundary read), reported separately.
- peer: the floor for the same tables with the same library: a minimal reportlab document
  (SimpleDocTemplate, built-in Helvetica, one pass, no maps, no contents) holding the same totals
  table and the 4 borough tables of 33 rows, from the same gap table. Median of 3 runs.
  ratio = peer / ours, so below 1 means ours costs more than the bare tables: the difference is
  the maps, the second layout pass, font subsetting and the analysis sections.
- cold: the first build with an empty forecast cache (``COMMISSIONING_CACHE`` pointed at a new empty
  folder, nothing in memory): it runs the forecast model selection (the backtests) that later
  builds read from the cache; warm: the median of the builds after it.
- peak memory: process peak RSS (ru_maxrss) at the end, interpreter and imports included.

Targets (issue 24): a warm build under 5 s and a cold one at most 1.2 times a warm one, on the 2-core
development machine.

Ends with: RESULT bench=pdf ours_s=<s> peer_s=<s> ratio=<peer/ours> peak_mb=<MB>
"""

from __future__ import annotations

import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table  # noqa: E402

from commissioning.demand.forecast import _BACKTESTS, CACHE_ENV  # noqa: E402
from commissioning.needs.assessment import assess, london_totals, run_assessment  # noqa: E402
from commissioning.needs.dataset import load_dataset  # noqa: E402
from commissioning.publish.pdf.maps import coverage_map_png, projected  # noqa: E402
from commissioning.publish.pdf.needs import build_needs_pdf  # noqa: E402
from commissioning.spatial.geo import load_boundaries  # noqa: E402

RUNS = 3


def peer_pdf(ds, gaps) -> bytes:
    """The same tables in a minimal reportlab document."""
    styles = getSampleStyleSheet()
    story = [Paragraph("Needs assessment", styles["Title"])]
    totals = london_totals(gaps, ds.benchmarks)
    story.append(Table([["Service", "Provision", "Need", "Shortfall", "Coverage", "Status"]] +
                       [[t.service, f"{t.provision:.1f}", f"{t.need:.1f}", f"{t.shortfall:.1f}",
                         f"{t.coverage_pct:.0f}%", t.status] for t in totals.itertuples()]))
    for service, rows in gaps.groupby("service", sort=False):
        story += [PageBreak(), Paragraph(ds.benchmarks.services[service].label, styles["Heading1"])]
        story.append(Table([["Authority", "Provision", "Need", "Shortfall", "Coverage", "Status"]] +
                           [[r.name, f"{r.provision:.1f}", f"{r.need:.1f}", f"{r.shortfall:.1f}",
                             f"{r.coverage_pct:.0f}%", r.status] for r in rows.itertuples()], repeatRows=1))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> int:
    ds = load_dataset()
    boundaries = load_boundaries()
    gaps = assess(ds)

    with tempfile.TemporaryDirectory() as empty:
        os.environ[CACHE_ENV] = empty           # an empty forecast cache, on disk and in memory
        _BACKTESTS.clear()
        cold, pdf = timed(lambda: build_needs_pdf(run_assessment(ds), boundaries=boundaries))
    ours = []
    for _ in range(RUNS):
        seconds, pdf = timed(lambda: build_needs_pdf(run_assessment(ds), boundaries=boundaries))
        ours.append(seconds)
    bng = projected(boundaries)
    rows = gaps.loc[gaps["service"] == "idva"].set_index("code")["coverage_pct"]
    map_s, png = timed(lambda: coverage_map_png(bng, rows, "IDVA coverage", dpi=200))

    peer = []
    for _ in range(RUNS):
        seconds, peer_bytes = timed(lambda: peer_pdf(ds, gaps))
        peer.append(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    peer_pages = len(PdfReader(io.BytesIO(peer_bytes)).pages)
    print(f"ours: needs-assessment PDF, {pages} pages, {len(pdf) / 1e6:.2f} MB; cold build (empty forecast cache) "
          f"{cold:.2f} s, then warm median {ours_s:.2f} s of {RUNS} (min {min(ours):.2f}, max {max(ours):.2f}); "
          f"cold / warm {cold / ours_s:.2f} (target at most 1.20: {'met' if cold <= 1.2 * ours_s else 'NOT met'}); "
          f"warm target under 5 s: {'met' if ours_s < 5 else 'NOT met'}")
    print(f"      one 200-dpi coverage map alone: {map_s:.2f} s, {len(png) / 1e3:.0f} kB PNG")
    print(f"peer: minimal reportlab document with the same tables, {peer_pages} pages, "
          f"{len(peer_bytes) / 1e3:.0f} kB; median {peer_s:.3f} s of {RUNS}")
    print(f"process peak RSS {peak_mb:.0f} MB")
    print(f"RESULT bench=pdf ours_s={ours_s:.3f} peer_s={peer_s:.3f} ratio={peer_s / ours_s:.3f} "
          f"peak_mb={peak_mb:.0f} cold_s={cold:.3f} warm_s={ours_s:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
