"""What the real-browser tests and ``benchmarks/bench_browser.py`` share: Debian's Chromium, a
Streamlit server on a free local port, axe-core from ``node_modules/`` (installed by ``install.sh``
from the pinned ``package.json``), and waiting for Streamlit to finish a run.

Never downloads a browser: Playwright drives ``/usr/bin/chromium`` (``executable_path``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# axe-core from $COMMISSIONING_AXE_JS, else as install.sh puts it (npm ci).
AXE_JS = Path(os.environ.get("COMMISSIONING_AXE_JS") or REPO / "node_modules" / "axe-core" / "axe.min.js")
VIEWPORT = {"width": 1440, "height": 960}

# Streamlit shows the status widget while a script run is in progress (after a short delay), and
# marks the previous run's elements data-stale="true" until the new run replaces them.
IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && !document.querySelector('[data-stale=\"true\"]')")


def missing(need_axe: bool = False) -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (install.sh installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if need_axe and not AXE_JS.exists():
        return f"{AXE_JS} not found (install.sh runs npm ci for axe-core; or set COMMISSIONING_AXE_JS)"
    return None


def require_browser(need_axe: bool = False) -> None:
    """Skip the calling test module when Chromium, Playwright (or axe-core) is missing here, but
    fail it where the browser tests are required (``COMMISSIONING_REQUIRE_BROWSER=1``, as in CI)."""
    reason = missing(need_axe)
    if reason is None:
        return
    if os.environ.get("COMMISSIONING_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str | Path, env: dict[str, str], log_path: Path, cwd: Path = REPO,
                     timeout_s: float = 90):
    """``streamlit run script`` headless on 127.0.0.1 and a free port; yields ``(base URL, process)``
    once ``/_stcore/health`` answers, and stops the server on exit."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + timeout_s
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.read() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("streamlit did not start:\n" + Path(log_path).read_text())
                time.sleep(0.2)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_idle(page, settle_ms: int = 300, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the current run (no 'running' status widget, nothing stale)."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def run_axe(page, exclude: list[str] | None = None) -> list[dict]:
    """axe-core's violations on the page (WCAG 2.0/2.1/2.2 A and AA rules plus best practices),
    each ``{id, impact, help, nodes: [{target, html, summary}]}``; ``exclude``: CSS selectors
    left out of the check (each with its reason at the caller)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    context = {"exclude": [[s] for s in exclude]} if exclude else {"include": [["html"]]}
    result = page.evaluate(
        """([context]) => axe.run(context, {resultTypes: ['violations'],
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                               'best-practice']}})""",
        [context])
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [{"target": n["target"], "html": n["html"][:200], "summary": n.get("failureSummary", "")}
                       for n in v["nodes"]]}
            for v in result["violations"]]
