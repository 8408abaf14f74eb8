"""Benchmark: what a person waits for in the browser, against a bare Streamlit page in the same run.

Two ``streamlit run`` servers on this machine (same Streamlit, same ``.streamlit/config.toml``):
the app on a temporary store with one commissioner, and the peer, a bare page (a title and a line
of text). Debian's Chromium (Playwright, ``/usr/bin/chromium``) times, from the navigation or the
click until Streamlit's running indicator is gone, the page's heading is there, no element is
stale and the page's map, table or chart is drawn:

- bare page load (the peer: Streamlit's own floor), new browser context each time;
- public page (Published priorities) load, new context each time, warm server;
- logging in as a commissioner until the coverage map is drawn;
- every page switch in the commissioner's menu (the first visit to Lots included) and changing
  the number of lots on the Lots page.

One untimed pass first warms the server (its figures are printed as "cold"), then ``--repeats``
timed passes; each figure is the median. Targets: public page ≤ 1.3 × bare, login ≤ 2 × bare,
every switch and the slider ≤ 1 × bare.

    .venv/bin/python benchmarks/bench_browser.py [--repeats 3]

Ends with ``RESULT bench=browser ours_s=<slowest of public, login, switches, slider>
peer_s=<bare page load> ratio=<peer/ours> peak_mb=<app server's peak RSS>``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))

from harness import VIEWPORT, launch, missing, streamlit_server  # noqa: E402

from commissioning import auth  # noqa: E402
from commissioning.store import open_store  # noqa: E402

PASSWORD = "quiet-lantern-orbit-42"  # a throwaway account in a temporary database
BARE_APP = 'import streamlit as st\n\nst.title("Bare page")\nst.write("A line of text.")\n'

# Ready: no running indicator, the page's <h1> reads `title`, nothing stale, `marker` present
# (a CSS selector, and how many of it: the page's tables or charts) and, when given, `text`
# somewhere in the page.
READY_JS = """([title, [marker, count], text]) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (![...document.querySelectorAll('h1')].some(h => h.textContent.trim() === title)) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (marker && document.querySelectorAll(marker).length < count) return false;
  if (text && !document.body.innerText.includes(text)) return false;
  return true;
}"""
MAP = ("svg.cmap", 1)
# The public page's table (commissioning.web.htmltable) in its open tab, the first; the page draws
# only the open tab, and that table comes after the tab's priority cards.
TABLES = ("table.ctable", 1)
# What must be drawn on each page of the commissioner's menu (None: the heading is enough).
MARKERS = {"coverage": MAP, "lots": MAP, "priorities": TABLES, "satisfaction": ("img[alt^='Dot chart']", 1),
           "trends": ("svg.cchart", 2)}


def timed(page, action, title: str, marker: tuple[str, int] | None = None, text: str | None = None) -> float:
    start = time.perf_counter()
    action()
    page.wait_for_function(READY_JS, arg=[title, marker or (None, 0), text], polling=50, timeout=60_000)
    return time.perf_counter() - start


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_pass(browser, app_url: str, bare_url: str) -> dict[str, float]:
    """One of each measurement, in a fresh browser context per page load."""
    out = {}
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    out["bare page"] = timed(page, lambda: page.goto(bare_url), "Bare page")
    context.close()

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    out["public page"] = timed(page, lambda: page.goto(app_url), "Published priorities", TABLES)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill("bench")
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    out["login to coverage map"] = timed(page, sidebar.get_by_role("button", name="Log in").click, "Coverage", MAP)

    nav = page.get_by_test_id("stSidebarNav")
    order = ["lots", *[p for p in auth.allowed_pages(auth.COMMISSIONER) if p not in ("lots", "coverage")],
             "coverage", "lots"]
    seen = set()
    for page_id in order:
        title = auth.PAGES[page_id].title
        name = f"switch to {page_id}" + ("" if page_id in seen else " (first visit)")
        seen.add(page_id)
        out[name] = timed(page, nav.get_by_role("link", name=title, exact=True).click, title, MARKERS.get(page_id))
    thumb = page.get_by_test_id("stSlider").get_by_role("slider")
    for k in (6, 7):
        thumb.focus()
        out[f"lots slider to {k}"] = timed(page, lambda: thumb.press("ArrowRight"), "Lots and scenarios", MAP,
                                           f"Lot {k}")
    context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if (reason := missing()) is not None:
        raise SystemExit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_browser_"))
    store = open_store(tmp / "app.sqlite")
    auth.create_user(store, "bench", auth.COMMISSIONER, PASSWORD)
    store.close()
    (tmp / "bare.py").write_text(BARE_APP)
    env = {"COMMISSIONING_DB": str(tmp / "app.sqlite"), "COMMISSIONING_ADMIN_USER": "",
           "COMMISSIONING_ADMIN_PASSWORD": ""}
    load_before = os.getloadavg()[0]
    with (streamlit_server("app.py", env, tmp / "app.log") as (app_url, app_proc),
          streamlit_server(tmp / "bare.py", {}, tmp / "bare.log") as (bare_url, _),
          sync_playwright() as p):
        browser = launch(p)
        cold = one_pass(browser, app_url, bare_url)
        passes = [one_pass(browser, app_url, bare_url) for _ in range(args.repeats)]
        browser.close()
        peak_mb = peak_rss_mb(app_proc.pid)
    load_after = os.getloadavg()[0]

    med = {name: statistics.median(p[name] for p in passes) for name in cold}
    bare = med["bare page"]
    print(f"Browser timings, Debian Chromium headless, {args.repeats} warm passes (median) after one cold pass; "
          f"load average {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores")
    print(f"  {'':34s} {'cold s':>7s} {'warm s':>7s} {'x bare':>7s}  target")
    targets = {"public page": 1.3, "login to coverage map": 2.0}
    for name in cold:
        target = "" if name == "bare page" else f"<= {targets.get(name, 1.0):g} x bare"
        print(f"  {name:34s} {cold[name]:7.2f} {med[name]:7.2f} {med[name] / bare:7.2f}  {target}")
    user_waits = [n for n in med if n != "bare page"]
    slowest = max(user_waits, key=med.get)
    missed = [n for n in user_waits if med[n] > targets.get(n, 1.0) * bare]
    print(f"  slowest: {slowest}; targets missed: {', '.join(missed) if missed else 'none'}")
    ours = med[slowest]
    print(f"RESULT bench=browser ours_s={ours:.3f} peer_s={bare:.3f} ratio={bare / ours:.2f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
