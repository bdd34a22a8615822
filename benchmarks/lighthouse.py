"""Lighthouse scores of the main pages (home, search, dataset, resource) of a served dcorlite.

Starts a fresh instance with realistic data (:mod:`webdemo`: seven processed RT-DC
datasets), runs Lighthouse on each page for performance, accessibility and best
practices, prints a table of the scores and the audits that lost points, and exits
non-zero if a score is below ``--target``.

Lighthouse is not a dependency of dcorlite; install it outside the repository and use
the system Chromium::

    mkdir -p /tmp/lh && (cd /tmp/lh && npm install lighthouse@12.2.3)
    CHROME_PATH=/usr/bin/chromium python benchmarks/lighthouse.py

The pages are visited anonymously and logged in (the resource page of a private
dataset needs a session); ``--preset mobile`` uses Lighthouse's default mobile
emulation and throttling instead of the desktop preset.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import requests

import webdemo  # benchmarks/webdemo.py, next to this script

CATEGORIES = ("performance", "accessibility", "best-practices")
DEFAULT_LIGHTHOUSE = "/tmp/lh/node_modules/.bin/lighthouse"


def parse_args():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE", DEFAULT_LIGHTHOUSE))
    parser.add_argument("--preset", choices=("desktop", "mobile"), default="desktop")
    parser.add_argument("--target", type=int, default=95, help="lowest acceptable score")
    parser.add_argument("--keep", help="folder to keep the JSON reports in")
    return parser.parse_args()


def session_cookie(site):
    """The cookie header of a logged-in browser session of the demo user."""
    import re
    with requests.Session() as browser:
        html = browser.get(f"{site.base}/user/login", timeout=60).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        browser.post(f"{site.base}/user/login", timeout=60, data={
            "name": site.user, "password": site.password, "csrf_token": token})
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def run_lighthouse(args, url, out, cookie=None):
    """Scores ``{category: 0-100}`` and the failing audits of one page."""
    command = [args.lighthouse, url, "--output=json", f"--output-path={out}", "--quiet",
               "--only-categories=" + ",".join(CATEGORIES),
               "--chrome-flags=--headless=new --no-sandbox"]
    if args.preset == "desktop":
        command.append("--preset=desktop")
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as fh:
        report = json.load(fh)
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                failing.append(f"{category}: {ref['id']} ({audit.get('displayValue') or audit['score']})")
    return scores, failing


def main():
    """Serve, seed, measure, print."""
    args = parse_args()
    with tempfile.TemporaryDirectory() as workdir, webdemo.demo_site(workdir) as site:
        cookie = session_cookie(site)
        private = next(i for i, pkg in enumerate(site.datasets) if pkg["private"])
        pages = [("home", f"{site.base}/", None),
                 ("search", f"{site.base}/dataset?tags=blood", None),
                 ("dataset", site.dataset_url(0), None),
                 ("resource", site.resource_url(0), None),
                 ("resource, logged in", site.resource_url(private), cookie)]
        folder = args.keep or workdir
        os.makedirs(folder, exist_ok=True)
        rows, worst = [], 100
        for index, (name, url, page_cookie) in enumerate(pages):
            scores, failing = run_lighthouse(args, url, os.path.join(folder, f"{index}.json"),
                                             page_cookie)
            rows.append((name, scores, failing))
            worst = min(worst, *scores.values())
    print(f"Lighthouse 12.2.3, preset {args.preset}, Chromium headless\n")
    print("| page | " + " | ".join(CATEGORIES) + " |")
    print("|---|" + "---:|" * len(CATEGORIES))
    for name, scores, _ in rows:
        print(f"| {name} | " + " | ".join(str(scores[c]) for c in CATEGORIES) + " |")
    for name, _, failing in rows:
        for line in failing:
            print(f"  {name}: {line}")
    return 0 if worst >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
