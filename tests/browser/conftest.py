"""Headless Chromium (the system's Debian package) driven by Playwright.

The browser is never downloaded by Playwright: ``executable_path`` points at
``/usr/bin/chromium`` (``$DCORLITE_CHROMIUM``); without it these tests are skipped.
"""
import os
import shutil

import pytest

CHROMIUM = os.environ.get("DCORLITE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session (WebGL by SwiftShader, for the plots)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium: apt-get install chromium chromium-driver")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    context.set_default_timeout(30000)
    page = context.new_page()
    yield page
    context.close()
