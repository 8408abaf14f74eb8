"""Benchmark: the Coverage page through Streamlit's AppTest (the same script run as `streamlit run`).

Measures, for a commissioner's session on the embedded London data:

- first render, cold: the first run in this process (empty caches; modules already imported);
- first render, warm: a new session once the server's caches hold the data and geometry;
- measure switch: changing the measure radio (coverage -> shortfall -> access -> coverage).

Peer (same run, same machine): the same page with caching defeated, i.e. ``st.cache_data`` and
``st.cache_resource`` cleared before every run, which is what the page would cost without them.

    .venv/bin/python benchmarks/bench_app.py [--repeats 5]

Ends with ``RESULT bench=app ours_s=<measure switch, cached> peer_s=<measure switch, uncached>
ratio=<peer/ours> peak_mb=<peak RSS>``.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from commissioning import auth  # noqa: E402
from commissioning.store import open_store  # noqa: E402

MEASURES = ["shortfall", "access", "coverage"]


def new_session() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["user"] = auth.User("bench", auth.COMMISSIONER)  # re-read from the store by every page
    return at


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def check(at: AppTest) -> None:
    if at.exception:
        raise SystemExit(f"page failed: {at.exception[0].value}")
    if [t.value for t in at.title] != ["Coverage"]:
        raise SystemExit(f"expected the Coverage page, got {[t.value for t in at.title]}")


def clear_caches() -> None:
    # Outside a server, clearing logs a "no runtime found" warning each time; expected here.
    logging.getLogger("streamlit.runtime.caching.cache_data_api").disabled = True
    st.cache_data.clear()
    st.cache_resource.clear()


def run(repeats: int, cached: bool) -> tuple[list[float], list[float]]:
    """(first renders of new sessions, measure switches) in seconds."""
    firsts, switches = [], []
    for _ in range(repeats):
        if not cached:
            clear_caches()
        at = new_session()
        firsts.append(timed(at.run))
        check(at)
        for measure in MEASURES:
            if not cached:
                clear_caches()
            radio = at.radio(key="coverage_measure").set_value(measure)
            switches.append(timed(radio.run))
            check(at)
    return firsts, switches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ["COMMISSIONING_DB"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite")
    store = open_store(os.environ["COMMISSIONING_DB"])     # the session's user must be a real account
    auth.create_user(store, "bench", auth.COMMISSIONER, "quiet-lantern-orbit-42")
    store.close()

    at = new_session()
    cold = timed(at.run)
    check(at)
    warm_first, warm_switch = run(args.repeats, cached=True)
    peer_first, peer_switch = run(args.repeats, cached=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    med = statistics.median
    print(f"Coverage page via AppTest, {args.repeats} sessions x {len(MEASURES)} measure switches")
    print(f"  first render, cold process cache     {cold:7.3f} s   (target < 2 s)")
    print(f"  first render, new session (cached)   {med(warm_first):7.3f} s   median")
    print(f"  measure switch (cached)              {med(warm_switch):7.3f} s   median, max {max(warm_switch):.3f} s"
          "   (target < 0.5 s)")
    print(f"  peer: first render, caches cleared   {med(peer_first):7.3f} s   median")
    print(f"  peer: measure switch, caches cleared {med(peer_switch):7.3f} s   median")
    ours, peer = med(warm_switch), med(peer_switch)
    print(f"RESULT bench=app ours_s={ours:.4f} peer_s={peer:.4f} ratio={peer / ours:.2f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
