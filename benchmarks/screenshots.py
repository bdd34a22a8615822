"""Screenshots of the main pages for the README: ``docs/screenshots/*.png``.

Serves a fresh instance with realistic data (:mod:`webdemo`) and drives the system
Chromium with Playwright (never ``playwright install``)::

    python benchmarks/screenshots.py [--chromium /usr/bin/chromium] [--language en]
"""
import argparse
import os
import sys
import tempfile

import webdemo  # benchmarks/webdemo.py, next to this script

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "screenshots")
VIEWPORT = {"width": 1280, "height": 860}


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=os.environ.get("DCORLITE_CHROMIUM",
                                                             "/usr/bin/chromium"))
    parser.add_argument("--language", default="en", help="the browser's language (en, de)")
    parser.add_argument("--out", default=OUT)
    return parser.parse_args()


def shoot(page, name, out, full_page=False):
    """Save the page as ``<out>/<name>.png``."""
    path = os.path.join(out, f"{name}.png")
    page.screenshot(path=path, full_page=full_page)
    print(path)


def main():
    """Serve, seed, visit, save."""
    from playwright.sync_api import sync_playwright
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, webdemo.demo_site(workdir) as site, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        context = browser.new_context(base_url=site.base, viewport=VIEWPORT,
                                      locale=args.language, device_scale_factor=1)
        page = context.new_page()
        page.goto("/user/login")
        page.locator("#name").fill(site.user)
        shoot(page, "login", args.out)
        page.locator("#password").fill(site.password)
        page.locator("form.form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto("/")
        shoot(page, "home", args.out)
        page.goto("/dataset?tags=blood")
        shoot(page, "search", args.out)
        page.goto(site.dataset_url(0).replace(site.base, ""))
        shoot(page, "dataset", args.out)
        page.goto(site.resource_url(0).replace(site.base, ""))
        page.locator("#plot-open").click()
        page.wait_for_function(
            "() => document.querySelector('#plot-app').dataset.drawn === 'area_um|deform|scatter'")
        page.wait_for_function("() => /\\d/.test(document.querySelector('#plot-status').textContent)")
        page.locator("#plot-heading").scroll_into_view_if_needed()
        shoot(page, "resource", args.out)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
