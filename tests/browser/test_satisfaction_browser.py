"""Real-browser test of the public Victim satisfaction page: ``streamlit run app.py`` on a free port,
opened logged out in Debian's headless Chromium (Playwright). Same skip rules as test_browser.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = [REPO / "artifacts" / "screenshots"] + (
    [REPO / "docs" / "screenshots"] if os.environ.get("COMMISSIONING_UPDATE_SCREENSHOTS") == "1" else [])


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


if (reason := _missing()) is not None:
    if os.environ.get("COMMISSIONING_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("satisfaction_browser")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "COMMISSIONING_DB": str(tmp / "app.sqlite"), "PYTHONUNBUFFERED": "1"}
    env.pop("COMMISSIONING_ADMIN_USER", None)
    env.pop("COMMISSIONING_ADMIN_PASSWORD", None)
    log = open(tmp / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start:\n" + (tmp / "streamlit.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_public_satisfaction_page_in_a_browser(url):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1440, "height": 960}).new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{url}/satisfaction")
        expect(page.get_by_role("heading", name="Victim satisfaction", exact=True)).to_be_visible()
        expect(page.get_by_text("79.4% of victims surveyed by the Metropolitan Police")).to_be_visible()
        expect(page.locator("img[alt^='Dot chart of the percentage of victims satisfied']").first).to_be_visible()
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        body = page.locator("body").inner_text()
        assert "Illustrative data" in body and "Log in" in body
        page.get_by_role("tab", name="Service users (provider returns)").click()
        expect(page.get_by_text("Source: provider returns (service users).")).to_be_visible()
        page.get_by_role("tab", name="London and boroughs").click()
        page.wait_for_timeout(600)
        for folder in SHOTS:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "satisfaction.png"))
        browser.close()
