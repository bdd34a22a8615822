"""``package_search`` latency on 10,000 datasets: Whoosh index versus the SQL search.

One run, in a temporary directory that is removed at the end (SQLite):

1. ``--datasets`` datasets (default 10,000) in 20 circles and 10 collections,
   written straight into the database (no resources, no files), a third of
   them private, with tags, collaborators and words from a small vocabulary;
2. ``dcorlite search reindex`` equivalent (``SearchIndex.rebuild``), timed;
3. the same mix of DCOR-Aid style searches (free text, ``organization:``,
   ``creator_user_id:``, time ranges, facets, paging) through the Flask test
   client as an anonymous user, a circle member and a sysadmin, ``--repeat``
   times each, first answered by the index, then by the SQL fallback (index
   switched off). Prints p50 and p99 in milliseconds.

Usage::

    python benchmarks/search.py [--datasets 10000] [--repeat 5]
"""
import argparse
import datetime
import logging
import random
import shutil
import statistics
import tempfile
import time

WORDS = ("cells blood beads calibration leukocytes erythrocytes hl60 reference channel "
         "flow deformability fluorescence mask contour artefact wide polygon").split()


def populate(count, rng):
    from dcorlite import models as m
    from dcorlite.db import database
    users = [m.User.create(name=f"user{i}", email=f"u{i}@x.org") for i in range(50)]
    users.append(m.User.create(name="admin", email="a@x.org", sysadmin=True))
    circles = [m.Group.create(name=f"circle-{i}", title=f"Circle {i}", is_organization=True)
               for i in range(20)]
    colls = [m.Group.create(name=f"coll-{i}", title=f"Collection {i}", is_organization=False)
             for i in range(10)]
    for i, user in enumerate(users[:50]):
        m.Membership.create(group=circles[i % 20], user=user, role="member")
        m.Membership.create(group=colls[i % 10], user=user, role="member")
    now = datetime.datetime(2025, 1, 1)
    with database.atomic():
        for i in range(count):
            words = rng.sample(WORDS, 4)
            ds = m.Dataset.create(
                name=f"dataset-{i}", title=f"{words[0].title()} {words[1]} {i}",
                notes=" ".join(words), authors=f"Author {i % 97}", license_id="CC0-1.0",
                private=rng.random() < 0.33, owner_org=circles[i % 20],
                state="active" if rng.random() < 0.9 else "draft",
                creator=users[i % 50], created=now + datetime.timedelta(minutes=i),
                modified=now + datetime.timedelta(minutes=i))
            m.Tag.create(dataset=ds, name=words[2])
            if i % 3 == 0:
                m.DatasetGroup.create(dataset=ds, group=colls[i % 10])
            if i % 7 == 0:
                m.Collaborator.create(dataset=ds, user=users[(i + 3) % 50])
    return users


def queries(user_id):
    return [
        {"q": "cells"}, {"q": "blood calibration"}, {"q": "dcor-aid"},
        {"q": "*:*", "fq": "organization:circle-3", "rows": 100},
        {"q": "*:*", "fq": f" creator_user_id:{user_id}", "include_private": "true"},
        {"q": "*:*", "fq": "(organization:circle-1 AND metadata_modified:"
                           "[2025-01-02T00\\:00\\:00Z TO NOW])", "include_private": "true"},
        {"q": "*:*", "fq": "groups:coll-2", "include_private": "true",
         "facet.field": '["organization", "tags", "license_id"]'},
        {"q": "fluorescence", "sort": "metadata_created desc", "start": 200, "rows": 50},
    ]


def measure(client, tokens, user_id, repeat):
    times = []
    for _ in range(repeat):
        for token in tokens:
            headers = {"Authorization": token} if token else {}
            for params in queries(user_id):
                start = time.perf_counter()
                response = client.get("/api/3/action/package_search", query_string=params,
                                      headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.get_json()
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from dcorlite import create_app
    from dcorlite.plugins.search import index, search_index
    from dcorlite.plugins.tokens import logic as tokens
    folder = tempfile.mkdtemp(prefix="dcorlite-search-bench-")
    try:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/db.sqlite",
                          "STORAGE_URL": f"file:{folder}/storage",
                          "LOAD_ENTRY_POINTS": False, "SECRET_KEY": "bench"},
                         instance_path=f"{folder}/instance")
        with app.app_context():
            start = time.perf_counter()
            users = populate(args.datasets, random.Random(1))
            print(f"{args.datasets} datasets written in {time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            search_index(app).rebuild()
            print(f"reindex: {time.perf_counter() - start:.1f} s")
            toks = [None, tokens.create_token(users[5], "b"), tokens.create_token(users[-1], "b")]
            client = app.test_client()
            p50, p99 = measure(client, toks, users[5].id, args.repeat)
            print(f"index: p50 {p50:.1f} ms, p99 {p99:.1f} ms")

            def unavailable(*a):
                raise index.IndexUnavailable("benchmark: SQL search")
            index.search, saved = unavailable, index.search
            logging.getLogger("dcorlite.plugins.search").setLevel(logging.CRITICAL)
            try:
                p50, p99 = measure(client, toks, users[5].id, args.repeat)
            finally:
                index.search = saved
            print(f"SQL:   p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
