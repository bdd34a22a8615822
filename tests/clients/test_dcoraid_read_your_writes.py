"""What DCOR-Aid reads right after it wrote: searches, sharing, deletion, archives, downloads.

DCOR-Aid's GUI searches, archives and downloads straight after an upload or a
sharing change, without waiting: the server must answer from the state the
write left behind. These tests run the real DCOR-Aid library against a real
``dcorlite serve`` (``served``), whose job consumer processes the uploads and
updates the search index in the background at its own pace; nothing here
sleeps or polls.

DCOR-Aid caches ``package_search`` GETs for 10 s per ``CKANAPI`` instance
(requests_cache, see dcoraid-client.md §1.4): the same search repeated through
one instance answers from the client's cache, not from the server. So the
reading side always gets a fresh ``CKANAPI`` (``served.api(...)``, or
``APIInterrogator``, which copies the one it is given); a stale answer is then
the server's.
"""
import hashlib
import json
import random
import string
import time

import dclab
import pytest
import requests
from dcoraid.api import dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add
from dcoraid.bagit import bag_circle
from dcoraid.bagit import manifest as bag_manifest
from dcoraid.dbmodel.db_api import APIInterrogator
from dcoraid.download import DownloadJob


def unique_word():
    """A word (letters only, one search token) that appears in no other title."""
    return "uq" + "".join(random.choices(string.ascii_lowercase, k=12))


def reader(served, user):
    """DCOR-Aid's search interface for ``user``, with an empty response cache."""
    return APIInterrogator(served.api(user))


def upload(served, api, title, paths, circle, collections=()):
    """Upload a private dataset the way DCOR-Aid's upload job does; its ``package_show``.

    Draft → collections (``package_revise`` ``update.groups``) → S3 upload of
    each file → activation. A failing step is reported with the server's errors.
    """
    step = "dataset_create"
    try:
        ds = dataset_create({"title": title, "authors": "Read Your Writes",
                             "license_id": "CC0-1.0", "owner_org": circle, "private": True},
                            api=api)
        if collections:
            step = f"package_revise of the collections {list(collections)}"
            api.post("package_revise", {"match": {"id": ds["id"]},
                                        "update": {"groups": [api.get("group_show", id=name)
                                                              for name in collections]}})
        for path in paths:
            step = f"resource_add of {path.name}"
            resource_add(ds["id"], path, api=api)
        step = "dataset_activate"
        dataset_activate(ds["id"], api=api)
    except Exception as exc:
        raise AssertionError("\n".join([f"uploading {title!r}: {step} failed: "
                                         f"{type(exc).__name__}: {exc}",
                                         *served.error_lines()])) from exc
    return api.get("package_show", id=ds["id"])


def listing(results):
    """``[(id, title, state)]`` of search results (for failure messages)."""
    return [(d["id"], d.get("title"), d.get("state")) for d in results]


def check_search(label, results, expected, served):
    """Assert that a search answered the ids ``expected`` (a list: in that order), once each."""
    got = [d["id"] for d in results]
    if isinstance(expected, list):
        ok = got == expected
    else:
        ok = sorted(got) == sorted(expected)
    assert ok, "\n".join([f"{label} answered {listing(results)}; expected the ids "
                          f"{expected if isinstance(expected, list) else sorted(expected)}",
                          *served.error_lines()])


@pytest.mark.parametrize("served", [(), ("--processes", "2")], indirect=True,
                         ids=["one-process", "two-processes"])
def test_new_datasets_are_found_by_every_dcoraid_search(served, rtdc_path):
    """A dataset is found by DCOR-Aid's searches as soon as its upload finished.

    What a user relies on: right after DCOR-Aid reports an upload as done,
    the dataset shows up in the circle and collection views, in a free-text
    search for a word of its title, in "my datasets" (limit 0), in the newest
    dataset view (limit 1) and in the "changed since" search the GUI uses to
    refresh; and a circle member sees it among the datasets shared with them.
    """
    alice = served.api("alice")
    circle, collection = served.circle["name"], served.collection["name"]
    since = time.time()
    word_a, word_b = unique_word(), unique_word()
    in_collection = upload(served, alice, f"Collected data {word_a}", [rtdc_path], circle,
                           collections=[collection])
    newest = upload(served, alice, f"Circle-only data {word_b}", [rtdc_path], circle)
    a, b = in_collection["id"], newest["id"]

    check_search(f"search_dataset_via_api(circles=[{circle!r}])",
                 reader(served, "alice").search_dataset_via_api(circles=[circle]),
                 [b, a], served)
    check_search(f"search_dataset_via_api(collections=[{collection!r}])",
                 reader(served, "alice").search_dataset_via_api(collections=[collection]),
                 {a}, served)
    check_search(f"search_dataset_via_api(circles=[{circle!r}], "
                 f"collections=[{collection!r}])",
                 reader(served, "alice").search_dataset_via_api(circles=[circle],
                                                                collections=[collection]),
                 {a}, served)
    check_search(f"search_dataset({word_a!r})",
                 reader(served, "alice").search_dataset(word_a), {a}, served)
    check_search(f"search_dataset_via_api(query={word_b!r})",
                 reader(served, "alice").search_dataset_via_api(query=word_b), {b}, served)
    check_search(f"search_dataset_via_api(circles=[{circle!r}], limit=1)",
                 reader(served, "alice").search_dataset_via_api(circles=[circle], limit=1),
                 [b], served)
    check_search(f"search_dataset_via_api(circles=[{circle!r}], since_time={since})",
                 reader(served, "alice").search_dataset_via_api(circles=[circle],
                                                                since_time=since),
                 {a, b}, served)
    check_search("get_datasets_user_owned() as alice",
                 reader(served, "alice").get_datasets_user_owned(), {a, b}, served)
    check_search("get_datasets_user_shared() as bob (circle editor)",
                 reader(served, "bob").get_datasets_user_shared(), {a, b}, served)


def private_dataset_outside_bobs_circle(served, rtdc_path, word):
    """An active private dataset of alice in a circle bob does not belong to."""
    alice = served.api("alice")
    alice.post("organization_create", {"name": "alice-only", "title": "Alice only"})
    return upload(served, alice, f"Alice private {word}", [rtdc_path], "alice-only")


def test_collection_membership_changes_are_seen_by_the_next_search(served, rtdc_path):
    """Adding a dataset to a collection, or removing it, shows in the very next search.

    What a user relies on: alice adds her private dataset to a collection bob
    is a member of (DCOR-Aid's "add to collection": ``member_create``), and
    bob's collection view lists it at once (collection members see the
    private datasets in it); after ``member_delete`` it is gone from his view.
    """
    collection = served.collection
    word = unique_word()
    ds = private_dataset_outside_bobs_circle(served, rtdc_path, word)
    alice = served.api("alice")

    def bobs_view():
        return reader(served, "bob").search_dataset_via_api(collections=[collection["name"]])

    check_search("bob's collection view before member_create", bobs_view(), set(), served)
    alice.post("member_create", {"id": collection["id"], "object": ds["id"],
                                 "object_type": "package", "capacity": "member"})
    check_search("bob's collection view right after member_create", bobs_view(),
                 {ds["id"]}, served)
    check_search(f"bob's search for {word!r} right after member_create",
                 reader(served, "bob").search_dataset(word), {ds["id"]}, served)
    alice.post("member_delete", {"id": collection["id"], "object": ds["id"],
                                 "object_type": "package"})
    check_search("bob's collection view right after member_delete", bobs_view(), set(),
                 served)
    check_search(f"bob's search for {word!r} right after member_delete",
                 reader(served, "bob").search_dataset(word), set(), served)


def test_collaborator_changes_are_seen_by_the_next_search(served, rtdc_path):
    """Sharing a dataset with a collaborator, or unsharing it, shows in their next search.

    What a user relies on: after alice shares her private dataset with bob
    (DCOR-Aid's share dialog: ``package_collaborator_create``) bob finds it
    by searching at once; after ``package_collaborator_delete`` he no longer does.
    """
    word = unique_word()
    ds = private_dataset_outside_bobs_circle(served, rtdc_path, word)
    alice = served.api("alice")
    bob_id = served.user_ids["bob"]

    def bobs_search():
        return reader(served, "bob").search_dataset(word)

    check_search(f"bob's search for {word!r} before sharing", bobs_search(), set(), served)
    alice.post("package_collaborator_create", {"id": ds["name"], "user_id": bob_id,
                                               "capacity": "member"})
    check_search(f"bob's search for {word!r} right after package_collaborator_create",
                 bobs_search(), {ds["id"]}, served)
    alice.post("package_collaborator_delete", {"id": ds["name"], "user_id": bob_id})
    check_search(f"bob's search for {word!r} right after package_collaborator_delete",
                 bobs_search(), set(), served)


def test_deleted_draft_is_gone_from_the_next_search(served):
    """A deleted draft is not listed by the very next drafts search.

    What a user relies on: DCOR-Aid lists the user's drafts with
    ``include_drafts`` (``dataset_draft_remove_all``, which asserts that each
    hit is a draft and deletes it); a draft deleted a moment ago must not be
    listed again.
    """
    alice = served.api("alice")
    word = unique_word()
    keep = dataset_create({"title": f"Kept draft {word}", "authors": "A", "private": True,
                           "license_id": "CC0-1.0", "owner_org": served.circle["name"]},
                          api=alice)
    doomed = dataset_create({"title": f"Doomed draft {word}", "authors": "A",
                             "private": True, "license_id": "CC0-1.0",
                             "owner_org": served.circle["name"]}, api=alice)
    query = {"q": "*:*", "include_drafts": True, "include_private": True, "rows": 1000,
             "fq": f"creator_user_id:{served.user_ids['alice']} AND state:draft"}
    before = served.api("alice").get("package_search", **query)["results"]
    check_search(f"package_search {query} right after creating two drafts", before,
                 {keep["id"], doomed["id"]}, served)
    alice.post("package_delete", {"id": doomed["id"]})
    after = served.api("alice").get("package_search", **query)["results"]
    check_search(f"package_search {query} right after package_delete of {doomed['id']}",
                 after, {keep["id"]}, served)
    by_word = served.api("alice").get("package_search", q=word, include_drafts=True,
                                      include_private=True)["results"]
    check_search(f"package_search q={word!r} include_drafts=True after package_delete",
                 by_word, {keep["id"]}, served)


def bag_payload(ds):
    """The files a bag of ``ds`` must hold in ``data/``: resources, condensed copies, metadata."""
    names = {"dataset.json"}
    for res in ds["resources"]:
        names.add(res["name"])
        if res["name"].endswith(".rtdc"):
            names.add(res["name"][:-len(".rtdc")] + "_condensed.rtdc")
    return names


def check_bag(bag, ds, originals):
    """Assert that ``bag`` holds all of ``ds`` (originals byte for byte) with valid checksums."""
    expected = bag_payload(ds)
    present = {p.name for p in (bag / "data").iterdir()}
    assert present == expected, f"{bag.name}/data holds {sorted(present)}, " \
                                f"expected {sorted(expected)}"
    for res in ds["resources"]:
        assert (bag / "data" / res["name"]).read_bytes() == \
            originals[res["name"]].read_bytes(), f"{bag.name}: {res['name']} differs"
    lines = (bag / "manifest-sha256.txt").read_text().splitlines()
    manifest = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(manifest) == {f"data/{name}" for name in expected}, \
        f"{bag.name}/manifest-sha256.txt lists {sorted(manifest)}, " \
        f"expected every file of {sorted(expected)}"
    for name, digest in manifest.items():
        actual = hashlib.sha256((bag / name).read_bytes()).hexdigest()
        assert digest == actual, f"{bag.name}/manifest-sha256.txt: {name} has {digest!r}, " \
                                 f"the file has {actual}"
    assert bag_manifest.is_bagged(bag), f"{bag.name}: the tag manifest does not validate"


def test_circle_archive_right_after_upload_is_complete(served, rtdc_path, tmp_path):
    """``dcoraid.bagit.bag_circle`` straight after an upload archives everything, verified.

    What a user relies on: archiving a circle (DCOR-Aid's BagIt wizard) right
    after uploading to it gives one bag per dataset holding every resource,
    the condensed copy of every .rtdc file (with all events) and a manifest
    whose SHA256 sums match the files, so that the archive validates.
    """
    alice = served.api("alice")
    circle = served.circle["name"]
    notes = tmp_path / "notes.txt"
    notes.write_text("archived together with the measurement\n")
    datasets = [upload(served, alice, f"Archived one {unique_word()}", [rtdc_path, notes],
                       circle),
                upload(served, alice, f"Archived two {unique_word()}", [rtdc_path], circle)]
    target = tmp_path / "archive"
    try:
        bag_circle(served.api("alice"), circle, target)
    except requests.HTTPError as exc:
        raise AssertionError("\n".join([f"bag_circle({circle!r}) right after the upload "
                                         f"failed: {exc}", *served.error_lines()])) from exc

    listed = [json.loads(line)["id"]
              for line in (target / "circle.jsonlines").read_text().splitlines() if line]
    assert sorted(listed) == sorted(ds["id"] for ds in datasets), \
        f"the archive lists the datasets {listed}, expected {[ds['id'] for ds in datasets]}"
    bags = sorted(p for p in target.iterdir() if p.is_dir())
    assert [b.name.split("_", 1)[1] for b in bags] == [ds["name"] for ds in datasets], bags
    for bag, ds in zip(bags, datasets):
        check_bag(bag, ds, {p.name: p for p in (rtdc_path, notes)})
        with dclab.new_dataset(bag / "data" / f"{rtdc_path.stem}_condensed.rtdc") as cond, \
                dclab.new_dataset(rtdc_path) as original:
            assert len(cond) == len(original), f"{bag.name}: condensed copy has " \
                                               f"{len(cond)} events, not {len(original)}"


def test_condensed_download_right_after_upload(served, rtdc_path, tmp_path):
    """DCOR-Aid downloads the condensed copy straight after the upload.

    What a user relies on: the condensed file of an .rtdc resource (DCOR-Aid's
    download job with ``condensed=True``) can be downloaded as soon as the
    upload is done, opens with dclab and has every event of the original.
    """
    alice = served.api("alice")
    ds = upload(served, alice, f"Condensed at once {unique_word()}", [rtdc_path],
                served.circle["name"])
    resource = ds["resources"][0]
    job = DownloadJob(served.api("alice"), resource["id"], tmp_path, condensed=True)
    try:
        job.task_download_resource()
    except requests.HTTPError as exc:
        raise AssertionError("\n".join([f"condensed download of {resource['id']} right "
                                         f"after the upload failed: {exc}",
                                         *served.error_lines()])) from exc
    job.task_verify_resource()
    assert job.state == "done", f"download job ended in {job.state!r}: {job.traceback}"
    assert job.path.name == rtdc_path.stem + "_condensed.rtdc", job.path
    with dclab.new_dataset(job.path) as cond, dclab.new_dataset(rtdc_path) as original:
        assert len(cond) == len(original), \
            f"the condensed copy has {len(cond)} events, the original {len(original)}"
