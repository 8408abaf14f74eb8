"""axe-core on every app page for every role, in Debian's headless Chromium (Playwright).

For each role (public, then each account in conftest.ACCOUNTS) the test opens every page that
``auth.allowed_pages`` lists for that role through the sidebar menu (so pages added to
``auth.PAGES`` are covered without changing this file), runs axe-core (``node_modules/axe-core``,
pinned in package.json and installed by install.sh) with the WCAG 2.0/2.1/2.2 A and AA rules and
best practices, and fails on any serious or critical violation, and on a skipped heading level
(``heading-order``, moderate) on every page. Other moderate and
minor ones are printed.

It also records every request the browser makes and fails if one leaves this machine (the app is
offline-first: no fonts, icons or scripts from elsewhere).

Skipped when Chromium, Playwright or axe-core is missing, unless COMMISSIONING_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from conftest import ACCOUNTS, PASSWORD
from harness import REPO, VIEWPORT, launch, require_browser, run_axe, wait_idle

from commissioning import auth

pytestmark = pytest.mark.browser

require_browser(need_axe=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

FAILING_IMPACTS = {"serious", "critical"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SHOTS = REPO / "artifacts" / "screenshots" / "axe"


def visit_all(page, who: str, role: str) -> dict[str, list[dict]]:
    """{page id: axe violations} for every page ``role`` may open, reached through the menu."""
    found = {}
    for page_id in auth.allowed_pages(role):
        title = auth.PAGES[page_id].title
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        wait_idle(page)
        found[page_id] = run_axe(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{who}_{page_id}.png"))
    return found


def test_every_page_for_every_role_passes_axe(server):
    requests: list[str] = []
    results: dict[str, list[dict]] = {}
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server["url"])
        wait_idle(page)
        for who, role in [("public", auth.PUBLIC), *ACCOUNTS.items()]:
            if who != "public":
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_role("textbox", name="Username").fill(who)
                sidebar.get_by_role("textbox", name="Password").fill(PASSWORD)
                sidebar.get_by_role("button", name="Log in").click()
                expect(sidebar.get_by_text(f"Signed in as {who}")).to_be_visible()
                wait_idle(page)
            results.update({f"{role}/{pid}": v for pid, v in visit_all(page, who, role).items()})
            if who != "public":
                page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
                expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Log in")).to_be_visible()
                wait_idle(page)
        context.close()
        browser.close()

    expected = {f"{role}/{pid}" for role in (auth.PUBLIC, *ACCOUNTS.values()) for pid in auth.allowed_pages(role)}
    assert set(results) == expected
    failing, minor = [], []
    for where, violations in sorted(results.items()):
        for v in violations:
            line = (f"{where}: {v['id']} ({v['impact']}) {v['help']}: "
                    + "; ".join(f"{n['target']} {n['html']!r}" for n in v["nodes"][:3]))
            (failing if v["impact"] in FAILING_IMPACTS or v["id"] == "heading-order" else minor).append(line)
    if minor:
        print("axe-core, moderate/minor (not failing):\n" + "\n".join(minor))
    assert not failing, "axe-core serious/critical violations or skipped heading levels:\n" + "\n".join(failing)

    outside = sorted({u for u in requests
                      if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in LOCAL_HOSTS})
    assert not outside, f"requests left this machine: {outside}"
    assert any(urlparse(u).hostname in LOCAL_HOSTS for u in requests)  # the recorder saw the app's own
