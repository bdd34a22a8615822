"""Server time of the web pages next to the API calls that answer the same question.

One run, in a temporary folder that is removed at the end (SQLite, Flask test
client, so the figures are the server's own time without the network):

1. ``--datasets`` datasets (default 10,000, five resources each, in 20 circles;
   written as :mod:`search` writes them) and a full index build;
2. one more dataset made the DCOR-Aid way, with five real RT-DC files: four
   from ``tests/data`` and one of ``--events`` events (default 100,000), each
   processed (condensed copy, preview, metadata) before anything is timed;
3. a logged-in browser session and an API token of the same circle member;
4. ``--repeat`` requests each of:

   - home ``/`` against ``package_search`` with its parameters;
   - search ``/dataset?q=…&organization=…&res_format=RT-DC`` against
     ``package_search`` with the parameters the page sends;
   - the dataset page (5 resources) against ``package_show``;
   - the resource page of the 100k-event file against ``resource_show``;
   - ``plot.json`` (deform against area_um, all events) for the 100k-event file.

Prints p50/p99 in milliseconds and page/API ratios. Targets (issue 9): pages
≤ 1.5× their API call, dataset page p50 ≤ 30 ms, plot data ≤ 150 ms.

Usage::

    python benchmarks/web.py [--datasets 10000] [--events 100000] [--repeat 100]
"""
import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time
import zipfile

import harness  # benchmarks/harness.py, next to this script
import search   # benchmarks/search.py: the same 10,000 datasets

sys.path.insert(0, harness.REPO)
from tests.fixtures.rtdc import write_repeated  # noqa: E402  (needs the repository root)

REAL_FILES = ("fmt-hdf5_fl_2018.zip", "fmt-hdf5_image-bg_2020.zip",
              "fmt-hdf5_mask-contour_2018.zip", "fmt-hdf5_wide-channel_2023.zip")
PASSWORD = "web-bench-password-1"


def unzipped(folder, archive):
    """Path of the ``.rtdc`` inside ``tests/data/<archive>``, extracted to ``folder``."""
    with zipfile.ZipFile(os.path.join(harness.TESTDATA, archive)) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".rtdc"))
        zf.extract(member, os.path.join(folder, archive))
    return os.path.join(folder, archive, member)


def real_dataset(app, user, circle, folder, events):
    """A dataset with the four test files and one of ``events`` events, all processed."""
    from dcorlite import datasets, groups, resources
    from dcorlite.jobs.queue import drain
    from dcorlite.plugins.ckan_api.actions_datasets import dc_problems
    from dcorlite.storage import get_storage
    paths = [unzipped(folder, name) for name in REAL_FILES]
    groups.set_member(circle, user, "editor")
    big = write_repeated(paths[0], os.path.join(folder, f"big_{events}.rtdc"), events,
                         with_images=False)
    dataset = datasets.create_dataset(user, {
        "title": "HL60 cells, five measurements", "authors": "M. Keller, A. Schmidt",
        "license_id": "CC-BY-4.0", "owner_org": circle.id, "private": True,
        "notes": "Five measurements, **processed** by the server."})
    made = []
    for path in [*paths, big]:
        with open(path, "rb") as stream:
            made.append(resources.attach_stream(user, dataset, os.path.basename(path), stream,
                                                {}, get_storage()))
    datasets.update_dataset(user, dataset, {"state": "active"}, dc_problems)
    start = time.perf_counter()
    drain(app)
    print(f"processed 5 real resources in {time.perf_counter() - start:.1f} s")
    return dataset, made[-1]


def logged_in(app, name):
    """A test client with the browser session of ``name`` (the real login form)."""
    client = app.test_client()
    html = client.get("/user/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/user/login", data={"name": name, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def timed(call, repeat):
    """``(p50, p99)`` in milliseconds of ``repeat`` calls (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return harness.percentiles(times)


def fetch(client, path, headers=None, **params):
    """A GET that must answer 200."""
    def call():
        response = client.get(path, query_string=params, headers=headers or {})
        assert response.status_code == 200, (path, response.status_code)
        return response
    return call


def action(client, token, name, data):
    """An API GET with ``data`` as query parameters."""
    encoded = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in data.items()}
    return fetch(client, f"/api/3/action/{name}", {"Authorization": token}, **encoded)


def cases(app, browser, api, token, dataset, big):
    """``[(name, page call, API call or None)]``, with the API getting the page's parameters."""
    from werkzeug.datastructures import MultiDict

    from dcorlite.models import User
    from dcorlite.plugins.web.searching import SearchPage
    member = User.get(User.name == "user5")
    home = {"rows": 6, "sort": "metadata_modified desc", "include_private": True,
            "include_drafts": True}
    query = MultiDict([("q", "cells"), ("organization", "circle-5"), ("res_format", "RT-DC")])
    searched = SearchPage(query).action_data(member)
    base = f"/dataset/{dataset.id}"
    return [
        ("home", fetch(browser, "/"), action(api, token, "package_search", home)),
        ("search with facets", fetch(browser, "/dataset", **query.to_dict(flat=True)),
         action(api, token, "package_search", searched)),
        ("dataset page (5 resources)", fetch(browser, base),
         action(api, token, "package_show", {"id": dataset.id})),
        ("resource page", fetch(browser, f"{base}/resource/{big.id}"),
         action(api, token, "resource_show", {"id": big.id})),
        ("plot.json, all events", fetch(browser, f"{base}/resource/{big.id}/plot.json",
                                        x="area_um", y="deform", max=10 ** 7), None),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    from dcorlite.app import stop_app
    from dcorlite.models import Group, User
    from dcorlite.plugins.search import search_index
    from dcorlite.plugins.tokens import logic as tokens
    from dcorlite.users import set_password
    folder = tempfile.mkdtemp(prefix="dcorlite-web-bench-")
    try:
        app = harness.in_process_app(folder, WEB_PLOT_MAX_POINTS=args.events)
        with app.app_context():
            start = time.perf_counter()
            search.populate(args.datasets, random.Random(1))
            member = User.get(User.name == "user5")
            set_password(member, PASSWORD)
            dataset, big = real_dataset(app, member, Group.get(Group.name == "circle-5"),
                                        folder, args.events)
            search_index(app).rebuild(processes=search_index(app).default_processes())
            print(f"{args.datasets + 1} datasets written and indexed in "
                  f"{time.perf_counter() - start:.1f} s")
            token = tokens.create_token(member, "bench")
            measured = [(name, timed(page, args.repeat), api and timed(api, args.repeat))
                        for name, page, api in cases(app, logged_in(app, member.name),
                                                     app.test_client(), token, dataset, big)]
            stop_app(app)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'request':<28} {'page p50':>9} {'p99':>8} {'API p50':>9} {'p99':>8} "
          f"{'page/API p50':>13}")
    for name, (p50, p99), api in measured:
        if api is None:
            print(f"{name:<28} {p50:>6.1f} ms {p99:>5.1f} ms")
            continue
        print(f"{name:<28} {p50:>6.1f} ms {p99:>5.1f} ms {api[0]:>6.1f} ms {api[1]:>5.1f} ms "
              f"{p50 / api[0]:>12.2f}×")
    print("targets: pages <= 1.5x their API call, dataset page p50 <= 30 ms, "
          "plot data <= 150 ms")


if __name__ == "__main__":
    main()
