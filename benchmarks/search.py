"""``package_search`` latency: a search backend versus the SQL search, same database, same run.

One run, in a temporary directory that is removed at the end (SQLite; with
``--backend postgresql``, a fresh schema on a PostgreSQL server, dropped at the end):

1. ``--datasets`` datasets (default 10,000) with 5 resources each (4 ``.rtdc``
   measurements whose ``dc:`` metadata is modelled on a real dcnum file, with
   varied flow rates, channel widths, dates, media and samples, an
   ``sp:general:sample type``, and one ``.csv``), in 20 circles and 10
   collections, a third of them private, one in ten a draft, with tags,
   collaborators and titles from a small vocabulary; written straight into
   the database (no files);
2. a full build of the search documents (what ``dcorlite search reindex``
   does: the Whoosh index with its default number of writer processes, or the
   PostgreSQL backend's documents), timed; on PostgreSQL then ``VACUUM
   ANALYZE``, as autovacuum does after bulk writes;
3. four kinds of ``package_search`` through the Flask test client, ``--repeat``
   requests each, rotating between an anonymous caller, a circle member and a
   sysadmin (``include_private=true`` when logged in, as DCOR-Aid sends it),
   with a different word, circle or range each time:

   - free text: ``q=<one or two words>``
   - fq by circle: ``fq=organization:<circle>``, ``sort=metadata_created desc``
   - fq range on flow rate: ``fq=dc\\:setup\\:flow\\ rate:[<low> TO <high>]``
   - faceted: ``q=*:*`` with 7 facet fields (organization, tags, license,
     format, channel width, flow rate, sample type)

   first answered by the backend, then by the SQL search on the same database
   (backend switched off). Prints p50/p99 in milliseconds and SQL/index ratios.
   One more line shows DCOR-Aid's page size (``rows=1000``) for the circle query.

Usage::

    python benchmarks/search.py [--datasets 10000] [--repeat 100] [--backend postgresql]
"""
import argparse
import contextlib
import datetime
import logging
import random
import shutil
import tempfile
import time
import uuid

import harness  # benchmarks/harness.py, next to this script

WORDS = ("cells blood beads calibration leukocytes erythrocytes hl60 reference channel "
         "flow deformability fluorescence mask contour artefact wide polygon").split()
SAMPLES = ("blood donor", "HL60 control", "HL60 cytochalasin", "beads 5um", "erythrocytes",
           "leukocytes", "reference", "PBMC", "neutrophils", "Jurkat")
MEDIA = ("0.59% MC-PBS", "0.49% MC-PBS", "CellCarrier", "CellCarrier B", "PBS")
FLOW_RATES = (0.02, 0.03, 0.04, 0.06, 0.08, 0.12, 0.16, 0.24)
CHANNEL_WIDTHS = (15.0, 20.0, 30.0, 40.0)
SAMPLE_TYPES = ("primary cells", "cell line", "artificial")
LICENSES = ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0")
FACETS = ('["organization", "tags", "license_id", "res_format", "dc:setup:channel width",'
          ' "dc:setup:flow rate", "sp:general:sample type"]')


def measurement_metadata(rng, when, run_index):
    """``dc:`` metadata of one measurement, as dclab reports it for a dcnum file."""
    flow = rng.choice(FLOW_RATES)
    return {
        "dc:experiment:date": when.strftime("%Y-%m-%d"),
        "dc:experiment:event count": rng.randint(2000, 500000),
        "dc:experiment:run index": run_index,
        "dc:experiment:run identifier": f"{when:%Y}-rcs-{uuid.UUID(int=rng.getrandbits(128))}",
        "dc:experiment:sample": rng.choice(SAMPLES),
        "dc:experiment:time": when.strftime("%H:%M:%S"),
        "dc:experiment:timestamp": when.timestamp(),
        "dc:imaging:flash device": "LED blue (460nm)",
        "dc:imaging:flash duration": 2.0,
        "dc:imaging:frame rate": rng.choice((2000.0, 3443.6594437534895, 4000.0)),
        "dc:imaging:pixel size": rng.choice((0.34, 0.2675)),
        "dc:imaging:roi position x": 0, "dc:imaging:roi position y": 1,
        "dc:imaging:roi size x": 320, "dc:imaging:roi size y": 80,
        "dc:online_filter:target duration": 10.0,
        "dc:pipeline:dcnum background": "sparsemed:k=200^s=1^t=0^f=0.8^o=1",
        "dc:pipeline:dcnum data": "hdf:p=0.2675^i=0",
        "dc:pipeline:dcnum feature": "legacy:b=1^h=1^v=1",
        "dc:pipeline:dcnum gate": "norm:o=0^s=10",
        "dc:pipeline:dcnum generation": "13",
        "dc:pipeline:dcnum hash": f"{rng.getrandbits(128):032x}",
        "dc:pipeline:dcnum mapping": "0",
        "dc:pipeline:dcnum segmenter": "torchmpo:m=unet-228-naiad_g2_8a981.dcnm:cle=1^f=1^clo=0",
        "dc:pipeline:dcnum yield": rng.randint(2000, 500000),
        "dc:setup:channel width": rng.choice(CHANNEL_WIDTHS),
        "dc:setup:chip region": rng.choice(("channel", "channel", "reservoir")),
        "dc:setup:flow rate": flow,
        "dc:setup:flow rate sample": round(flow / 4, 4),
        "dc:setup:flow rate sheath": round(flow * 3 / 4, 4),
        "dc:setup:identifier": f"RC-{rng.getrandbits(32):08x}",
        "dc:setup:medium": rng.choice(MEDIA),
        "dc:setup:module composition": rng.choice(("Naiad", "Cell_Flow_2, Fluor")),
        "dc:setup:software version": "CSKernel 1.8.3 | dclab 0.62.14",
        "dc:setup:temperature": rng.uniform(20, 37),
    }


def populate(count, rng):
    """Write users, circles, collections and ``count`` datasets; return the users."""
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
    start = datetime.datetime(2024, 1, 1)
    for first in range(0, count, 500):
        datasets, resources, tags, links, collabs = [], [], [], [], []
        for i in range(first, min(count, first + 500)):
            words = rng.sample(WORDS, 4)
            when = start + datetime.timedelta(minutes=97 * i)
            dataset_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            datasets.append(dict(
                id=dataset_id, name=f"dataset-{i}",
                title=f"{words[0].title()} {words[1]} {rng.choice(SAMPLES)} {i}",
                notes=f"Measurement of {' '.join(words)} at several flow rates.",
                authors=f"Author {i % 97}", license_id=rng.choice(LICENSES),
                private=rng.random() < 0.33, owner_org=circles[i % 20].id,
                state="active" if rng.random() < 0.9 else "draft",
                creator=users[i % 50].id, created=when, modified=when))
            tags += [dict(dataset=dataset_id, name=w) for w in words[2:4]]
            if i % 3 == 0:
                links.append(dict(dataset=dataset_id, group=colls[i % 10].id))
            if i % 7 == 0:
                collabs.append(dict(dataset=dataset_id, user=users[(i + 3) % 50].id))
            sample_type = rng.choice(SAMPLE_TYPES)
            for position in range(5):
                is_rtdc = position < 4
                extras = measurement_metadata(rng, when, position + 1) if is_rtdc else {}
                if is_rtdc:
                    extras["sp:general:sample type"] = sample_type
                resources.append(dict(
                    id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    dataset=dataset_id, position=position,
                    name=f"M{position + 1:03d}_data.rtdc" if is_rtdc else "analysis.csv",
                    size=rng.randint(10**6, 10**9),
                    mimetype="RT-DC" if is_rtdc else "text/csv",
                    format="RT-DC" if is_rtdc else "CSV",
                    sha256=f"{rng.getrandbits(256):064x}", extras=extras,
                    created=when, last_modified=when))
        with database.atomic():
            m.Dataset.insert_many(datasets).execute()
            m.Resource.insert_many(resources).execute()
            m.Tag.insert_many(tags).execute()
            if links:
                m.DatasetGroup.insert_many(links).execute()
            if collabs:
                m.Collaborator.insert_many(collabs).execute()
    return users


def query_kinds(rng):
    """The four kinds of search, each a function returning fresh parameters."""
    def free_text():
        return {"q": " ".join(rng.sample(WORDS, rng.choice((1, 2))))}

    def by_circle(rows=10):
        return {"q": "*:*", "fq": f"organization:circle-{rng.randrange(20)}",
                "sort": "metadata_created desc", "rows": rows}

    def flow_rate_range():
        low = rng.choice(FLOW_RATES[:-2])
        high = rng.choice([f for f in FLOW_RATES if f > low])
        return {"q": "*:*", "fq": f"dc\\:setup\\:flow\\ rate:[{low} TO {high}]"}

    def faceted():
        return {"q": "*:*", "facet.field": FACETS, "facet.limit": 20}

    return {"free text": free_text, "fq by circle": by_circle,
            "fq range on flow rate": flow_rate_range, "faceted": faceted,
            "fq by circle, rows=1000": lambda: by_circle(rows=1000)}


def measure(client, callers, make_params, repeat):
    """Run ``repeat`` searches; return (p50, p99) in milliseconds."""
    times = []
    for n in range(repeat):
        token = callers[n % len(callers)]
        params = make_params()
        headers = {}
        if token:
            headers["Authorization"] = token
            params["include_private"] = "true"
        start = time.perf_counter()
        response = client.get("/api/3/action/package_search", query_string=params,
                              headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_json()
    return harness.percentiles(times)


def run_kinds(client, callers, repeat, seed):
    """p50/p99 for every query kind (the same parameter sequence for every ``seed``)."""
    kinds = query_kinds(random.Random(seed))
    return {name: measure(client, callers, make, repeat if "1000" not in name
                          else max(5, repeat // 10))
            for name, make in kinds.items()}


@contextlib.contextmanager
def postgres_schema(url):
    """A fresh schema on the PostgreSQL server at ``url``; yields a URL that uses it."""
    import psycopg2
    from psycopg2.extensions import parse_dsn
    schema = "bench_" + uuid.uuid4().hex[:12]
    conn = psycopg2.connect(**parse_dsn(url))
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        from dcorlite.db import dispose
        dispose()
        conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


def vacuum_analyze(url):
    """``VACUUM ANALYZE``, which autovacuum does within a minute or so of bulk writes.

    Without it the planner has no statistics of the rows written a moment ago
    (nested loops over thousands of rows) and index-only scans read the heap.
    """
    import psycopg2
    from psycopg2.extensions import parse_dsn
    conn = psycopg2.connect(**parse_dsn(url))
    conn.autocommit = True
    conn.cursor().execute("VACUUM ANALYZE")
    conn.close()


def switched_to_sql(backend):
    """Make the backend leave every search to the SQL search; return a function undoing it."""
    if backend == "postgresql":
        from dcorlite.plugins.search_pg import searching
        from dcorlite.plugins.search_pg.results import ResultCache
        from flask import current_app
        state = current_app.extensions["dcorlite"]
        saved = searching.search, state["search_pg_results"]
        searching.search, state["search_pg_results"] = (lambda *args: None), ResultCache(0)

        def restore():
            searching.search, state["search_pg_results"] = saved
        return restore
    from dcorlite.plugins.search import index

    def unavailable(*args):
        raise index.IndexUnavailable("benchmark: SQL search")
    index.search, saved = unavailable, index.search
    logging.getLogger("dcorlite.plugins.search").setLevel(logging.CRITICAL)
    return lambda: setattr(index, "search", saved)


def run(app, args):
    """Populate, build the documents as ``dcorlite search reindex`` does, time both searches."""
    from dcorlite.plugins.tokens import logic as tokens
    with app.app_context():
        start = time.perf_counter()
        users = populate(args.datasets, random.Random(1))
        print(f"{args.datasets} datasets with {5 * args.datasets} resources written "
              f"in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        count = app.extensions["dcorlite"]["pm"].hook.search_rebuild(
            app=app, progress=None, processes=None)
        print(f"{args.backend} documents of {count} datasets built ('dcorlite search "
              f"reindex'): {time.perf_counter() - start:.1f} s")
        if args.backend == "postgresql":
            vacuum_analyze(app.config["DATABASE_URL"])
        callers = [None, tokens.create_token(users[5], "b"),
                   tokens.create_token(users[-1], "b")]
        client = app.test_client()
        client.get("/api/3/action/package_search")  # open the searcher once
        indexed = run_kinds(client, callers, args.repeat, seed=2)
        restore = switched_to_sql(args.backend)
        try:
            sql = run_kinds(client, callers, args.repeat, seed=2)
        finally:
            restore()
    return indexed, sql


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--backend", choices=("whoosh", "postgresql"), default="whoosh",
                        help="SEARCH_BACKEND; postgresql runs on a fresh schema of "
                             "--postgres-url, whoosh on SQLite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--results-cache", type=int, default=1024,
                        help="SEARCH_PG_RESULTS_CACHE (0: every search computed afresh)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="dcorlite-search-bench-")
    try:
        if args.backend == "postgresql":
            with postgres_schema(args.postgres_url) as url:
                app = harness.in_process_app(folder, DATABASE_URL=url,
                                             SEARCH_BACKEND="postgresql",
                                             SEARCH_PG_RESULTS_CACHE=args.results_cache)
                indexed, sql = run(app, args)
        else:
            indexed, sql = run(harness.in_process_app(folder), args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    label = "index" if args.backend == "whoosh" else "pg"
    print(f"{'query':<26} {label + ' p50':>10} {'p99':>8} {'SQL p50':>10} {'p99':>8} "
          f"{'SQL/' + label + ' p50':>14}")
    for name, (p50, p99) in indexed.items():
        s50, s99 = sql[name]
        print(f"{name:<26} {p50:>7.1f} ms {p99:>5.1f} ms {s50:>7.1f} ms {s99:>5.1f} ms "
              f"{s50 / p50:>13.1f}×")
    print(f"target: {label} p50 <= 30 ms and p99 <= 150 ms for the first four kinds")


if __name__ == "__main__":
    main()
