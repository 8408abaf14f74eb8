"""Real-browser test of the quarterly returns: the public Quarterly performance page (logged out), a
support organisation uploading its return, and the commissioner's Returns review approving it.
``streamlit run app.py`` on a free port with the illustrative example returns loaded on first run, in
Debian's headless Chromium (Playwright). Same skip rules as test_browser.py."""

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
PASSWORD = "a-long-browser-password"   # test accounts only
ORG = "Sahara Sisters (illustrative)"
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

from playwright.sync_api import expect, sync_playwright


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("returns_browser")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from commissioning import auth
    from commissioning.store import open_store

    store = open_store(tmp / "app.sqlite")
    auth.create_user(store, "boss", "commissioner", PASSWORD)
    auth.create_user(store, "sahara", "provider", PASSWORD, organisation=ORG)
    store.close()
    env = {**os.environ, "COMMISSIONING_DB": str(tmp / "app.sqlite"), "PYTHONUNBUFFERED": "1"}
    env.pop("COMMISSIONING_ADMIN_USER", None)
    env.pop("COMMISSIONING_ADMIN_PASSWORD", None)
    log = open(tmp / "streamlit.log", "w")  # noqa: SIM115 (open for the server's whole life, closed below)
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


def wait_idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)


def login(page, username: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("textbox", name="Username").fill(username)
    sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
    sidebar.get_by_role("button", name="Log in").click()
    expect(sidebar.get_by_text(f"Signed in as {username}")).to_be_visible()
    wait_idle(page)


def shoot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))


def test_returns_in_a_browser(url, tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 960})
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)   # the first run loads the example returns

        # 1. Public, logged out: the quarterly performance page.
        page.goto(f"{url}/performance")
        expect(page.get_by_role("heading", name="Quarterly performance", exact=True)).to_be_visible()
        expect(page.get_by_text("Illustrative data.")).to_be_visible()
        wait_idle(page)
        assert "Log in" in page.locator("body").inner_text()
        page.get_by_role("tab", name="Over time").click()
        expect(page.locator("img[alt^='Line charts by quarter.']").first).to_be_visible()
        shoot(page, "performance.png")

        # 2. A support organisation uploads its return for the quarter just ended.
        login(page, "sahara")
        expect(page.get_by_role("heading", name="Quarterly returns", exact=True)).to_be_visible()
        from commissioning.web.returnsdata import recent_quarters

        quarter = recent_quarters()[0]          # the page offers the quarter just ended first
        csv_file = tmp_path / "return.csv"
        csv_file.write_text("provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,"
                            "waiting_days_median,clients_surveyed,clients_satisfied\n"
                            f"{ORG},idva,{quarter},Hackney,2.5,60,6,40,5,20,17\n", encoding="utf-8")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator("input[type=file]").set_input_files(str(csv_file))
        wait_idle(page)
        page.get_by_role("button", name="Send this file").click()
        expect(page.get_by_text(f"Your return for {quarter} was sent")).to_be_visible()
        shoot(page, "returns.png")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
        wait_idle(page)

        # 3. The commissioner reviews and approves it.
        login(page, "boss")
        page.get_by_test_id("stSidebar").get_by_role("link", name="Returns review").click()
        expect(page.get_by_role("heading", name="Returns review", exact=True)).to_be_visible()
        expect(page.get_by_text("Due by")).to_be_visible()
        wait_idle(page)
        body = page.locator("body").inner_text()
        assert "awaiting review" in body
        page.get_by_test_id("stSelectbox").nth(1).click()
        page.get_by_role("option", name=ORG).click()
        wait_idle(page)
        page.get_by_role("button", name="Approve this return").click()
        expect(page.get_by_text(f"Approved: {ORG}, {quarter}.")).to_be_visible()
        shoot(page, "returns_review.png")
        browser.close()
