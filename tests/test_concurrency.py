"""Many clients at once against a real ``dcorlite serve`` (its job consumer running).

These are the loads users saw fail: several DCOR-Aid instances uploading into
one circle at the same time, and bursts of ``package_create`` / resource
attaches / upload PUTs. Every answer must be a success, and every API answer
a CKAN JSON envelope (DCOR-Aid cannot make sense of an HTML error page).
"""
import collections
import hashlib
import json
import random
import string
import threading
import traceback

import pytest
import requests
from dcoraid.api import CKANAPI, dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add

#: seconds a thread waits at a barrier for the others
BARRIER_TIMEOUT = 120
#: seconds any single request may take
REQUEST_TIMEOUT = 60
#: how often the ten upload PUTs are sent at the same moment
PUT_ROUNDS = 5


def unique_word():
    """A lower-case word that appears in no other title (letters only: one search token)."""
    return "uq" + "".join(random.choices(string.ascii_lowercase, k=12))


def run_threads(count, target):
    """Run ``target(index, barrier)`` in ``count`` threads; return the errors.

    ``barrier`` is a :class:`threading.Barrier` for the ``count`` threads. An
    exception in a thread is collected as ``(index, formatted traceback)``; the
    barrier is broken then, so the others do not wait for it in vain.
    """
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT)
    errors = []
    lock = threading.Lock()

    def run(index):
        try:
            target(index, barrier)
        except Exception:
            barrier.abort()
            with lock:
                errors.append((index, traceback.format_exc()))

    threads = [threading.Thread(target=run, args=(i,), name=f"client-{i}")
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(errors)


def error_report(errors, served, title):
    """An assertion message: a tally of the errors, the first ones, the server's errors."""
    real = [e for e in errors if "BrokenBarrierError" not in e[1]]
    kinds = collections.Counter(tb.strip().splitlines()[-1][:300] for _, tb in real)
    text = [f"{title}: {len(errors)} threads failed "
            f"({len(errors) - len(real)} of them only because another one broke the barrier)",
            *[f"  {n}× {kind}" for kind, n in kinds.most_common()]]
    for index, tb in (real or errors)[:3]:
        text.append(f"--- thread {index} ---\n{tb[-2500:]}")
    return "\n".join(text + served.error_lines())


class Recorder:
    """Records every HTTP answer of the raw-HTTP tests (thread-safe)."""

    def __init__(self):
        self.answers = []
        self._lock = threading.Lock()

    def record(self, what, response):
        entry = {"what": what, "status": response.status_code,
                 "type": response.headers.get("Content-Type", ""), "text": response.text,
                 "etag": response.headers.get("ETag")}
        with self._lock:
            self.answers.append(entry)
        return entry

    def failures(self, predicate):
        return [a for a in self.answers if not predicate(a)]


def is_envelope(answer):
    """A 200 answer with a CKAN JSON envelope ``{"success": true, "result": …}``."""
    if answer["status"] != 200:
        return False
    try:
        body = json.loads(answer["text"])
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("success") is True and "result" in body


def describe(answers, served, limit=5):
    lines = [f"{a['what']}: HTTP {a['status']} ({a['type'] or 'no Content-Type'}): "
             f"{a['text'][:600]!r}" for a in answers[:limit]]
    return "\n".join(lines + served.error_lines())


def post_action(session, served, user, action, data, recorder, what=None):
    response = session.post(f"{served.url}/api/3/action/{action}", json=data,
                            headers={"Authorization": served.tokens[user]},
                            timeout=REQUEST_TIMEOUT)
    return recorder.record(what or action, response)


def get_action(session, served, user, action, params, recorder):
    response = session.get(f"{served.url}/api/3/action/{action}", params=params,
                           headers={"Authorization": served.tokens[user]},
                           timeout=REQUEST_TIMEOUT)
    return recorder.record(action, response)


def result_of(answer):
    return json.loads(answer["text"])["result"]


def draft_data(served, title):
    return {"title": title, "authors": "Concurrency Tester", "license_id": "CC0-1.0",
            "owner_org": served.circle["name"], "private": True, "state": "draft"}


@pytest.mark.parametrize("served", [(), ("--processes", "2")], indirect=True,
                         ids=["one-process", "two-processes"])
def test_concurrent_dcoraid_clients(served, rtdc_path):
    """Eight DCOR-Aid clients upload, revise, activate and find their data at the same time.

    Also with ``serve --processes 2``: the clients' requests land in either
    server process, jobs run in the worker beside them and the supervising
    process writes the search index, so each step must see what the other
    processes wrote (dataset dicts cached by revision, searches waiting for
    the indexing process).

    What a lab relies on: several people (here alice and bob, alternating) run
    DCOR-Aid against one server at once; each one's draft, S3 upload,
    supplement ``package_revise`` and activation succeed while the server's
    job consumer processes the other uploads, and the dataset is found by the
    very next search (no waiting) in its circle by a word of its title,
    exactly once and with its resource.
    """
    circle = served.circle["name"]
    supplement = {"sp:chip:channel width": 20.0}

    def client(index, barrier):
        user = ("alice", "bob")[index % 2]
        api = CKANAPI(served.url, api_key=served.tokens[user], ssl_verify=False)
        word = unique_word()
        barrier.wait()
        ds = dataset_create({"title": f"Concurrent upload {index} {word}",
                             "authors": f"Tester {user}", "license_id": "CC0-1.0",
                             "owner_org": circle, "private": True}, api=api)
        resource_add(ds["id"], rtdc_path, api=api)
        shown = api.get("package_show", id=ds["id"])
        rid = shown["resources"][0]["id"]
        api.post("package_revise", {"match__id": ds["id"],
                                    f"update__resources__{rid}": supplement})
        dataset_activate(ds["id"], api=api)
        query = {"q": word, "fq": f"organization:{circle}", "include_private": True}
        found = api.get("package_search", **query)
        hits = [d for d in found["results"] if d["id"] == ds["id"]]
        assert found["count"] == 1 and len(hits) == 1, \
            f"package_search {query} as {user} right after activating {ds['id']} answered " \
            f"count={found['count']}, ids={[d['id'] for d in found['results']]}"
        resources = hits[0]["resources"]
        assert [(r["id"], r["name"]) for r in resources] == [(rid, rtdc_path.name)], \
            f"package_search {query}: dataset {ds['id']} has resources {resources}"
        assert resources[0].get("sp:chip:channel width") == 20.0, \
            f"package_search {query}: the supplement is missing in {resources[0]}"
        assert hits[0]["state"] == "active", hits[0]

    errors = run_threads(8, client)
    if errors:
        pytest.fail(error_report(errors, served, "concurrent DCOR-Aid clients"))


def test_concurrent_package_create_and_attach(served):
    """Bursts of ``package_create`` and resource attaches all answer 200 with JSON.

    What a user relies on: under the load observed in production (10 clients
    × 5 ``package_create`` while 10 clients × 5 attach uploaded files with
    ``package_revise`` / ``update__resources__extend``) no request fails and
    every answer is a CKAN envelope that DCOR-Aid can parse.
    """
    recorder = Recorder()
    setup = Recorder()
    with requests.Session() as session:
        drafts = [result_of(post_action(session, served, ("alice", "bob")[i % 2],
                                        "package_create",
                                        draft_data(served, f"Attach target {i}"), setup))
                  for i in range(10)]
    assert all(is_envelope(a) for a in setup.answers), describe(setup.answers, served)
    circle_id = served.circle["id"]

    def creator(index, barrier):
        user = ("alice", "bob")[index % 2]
        with requests.Session() as session:
            barrier.wait()
            for j in range(5):
                post_action(session, served, user, "package_create",
                            draft_data(served, f"Burst {index}-{j} {unique_word()}"), recorder)

    def attacher(index, barrier):
        user = ("alice", "bob")[index % 2]
        dataset = drafts[index]
        with requests.Session() as session:
            barrier.wait()
            for j in range(5):
                content = f"client {index} file {j}\n".encode() * 50
                info = get_action(session, served, user, "resource_upload_s3_urls",
                                  {"organization_id": circle_id, "file_size": len(content)},
                                  recorder)
                if not is_envelope(info):
                    continue
                urls = result_of(info)
                put = session.put(urls["upload_urls"][0], data=content,
                                  timeout=REQUEST_TIMEOUT)
                recorder.record("upload PUT", put)
                post_action(session, served, user, "package_revise",
                            {"match": {"id": dataset["id"]},
                             "update__resources__extend": [
                                 {"id": urls["resource_id"], "name": f"file{j}.txt",
                                  "s3_available": True}]},
                            recorder, what="package_revise (attach)")

    def client(index, barrier):
        (creator if index < 10 else attacher)(index % 10, barrier)

    errors = run_threads(20, client)
    if errors:
        pytest.fail(error_report(errors, served, "package_create/attach clients"))

    counts = collections.Counter(answer["what"] for answer in recorder.answers)
    not_ok = recorder.failures(lambda a: a["status"] == 200)
    assert not not_ok, (f"{len(not_ok)} of {len(recorder.answers)} answers were not 200 "
                        f"(answers per kind: {dict(counts)}):\n" + describe(not_ok, served))
    not_json = recorder.failures(lambda a: a["what"] == "upload PUT" or is_envelope(a))
    assert not not_json, (f"{len(not_json)} API answers were not a CKAN JSON envelope:\n"
                          + describe(not_json, served))
    assert counts["package_create"] == 50 and counts["package_revise (attach)"] == 50, counts
    with requests.Session() as session:
        for index, dataset in enumerate(drafts):
            shown = result_of(get_action(session, served, "alice", "package_show",
                                         {"id": dataset["id"]}, setup))
            assert [r["name"] for r in shown["resources"]] == \
                [f"file{j}.txt" for j in range(5)], (index, shown["resources"])


def test_concurrent_upload_puts_answer_with_their_md5(served):
    """Ten uploads PUT at the same moment each get 200 and the MD5 ETag of their bytes.

    What DCOR-Aid relies on: it checks the ETag of every PUT against the MD5
    it computed (and retries on a mismatch); an HTML 500 instead of the ETag
    makes an upload fail after three attempts. Ten threads PUT one small
    upload each at the same moment, in :data:`PUT_ROUNDS` rounds.
    """
    setup = Recorder()
    contents = [[random.randbytes(64 * 1024 + 10 * r + i) for i in range(10)]
                for r in range(PUT_ROUNDS)]
    with requests.Session() as session:
        infos = [[get_action(session, served, ("alice", "bob")[i % 2],
                             "resource_upload_s3_urls",
                             {"organization_id": served.circle["id"],
                              "file_size": len(content)}, setup)
                  for i, content in enumerate(row)] for row in contents]
    assert all(is_envelope(a) for a in setup.answers), describe(setup.answers, served)
    urls = [[result_of(a)["upload_urls"] for a in row] for row in infos]
    assert all(len(u) == 1 for row in urls for u in row), urls
    puts = Recorder()

    def uploader(index, barrier):
        with requests.Session() as session:
            for r in range(PUT_ROUNDS):
                barrier.wait()
                response = session.put(urls[r][index][0], data=contents[r][index],
                                       timeout=REQUEST_TIMEOUT)
                entry = puts.record(f"round {r}, PUT of upload {index}", response)
                entry["md5"] = hashlib.md5(contents[r][index]).hexdigest()

    errors = run_threads(10, uploader)
    if errors:
        pytest.fail(error_report(errors, served, "concurrent upload PUTs"))
    wrong = puts.failures(lambda a: a["status"] == 200
                          and (a["etag"] or "").strip('"') == a["md5"])
    assert not wrong, (f"{len(wrong)} of {len(puts.answers)} PUTs did not answer 200 with "
                       f"the MD5 ETag:\n"
                       + "\n".join(f"{a['what']}: HTTP {a['status']} ETag={a['etag']!r} "
                                   f"(expected {a['md5']!r}) {a['type']}: {a['text'][:300]!r}"
                                   for a in wrong[:5])
                       + "\n" + "\n".join(served.error_lines()))
