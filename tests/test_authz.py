"""Who may read and change what, checked through the HTTP API.

One circle holds five datasets; ten callers with different ties to them
(anonymous, unrelated, circle roles, collection member, collaborators, the
creator, sysadmin) try every read and write path. ``MATRIX`` is the
expectation: for each role, the datasets it may read and those it may edit.
"""
import types

import pytest

from dcorlite import datasets as dcor_datasets, groups
from dcorlite.models import Dataset, Resource

#: the datasets of the circle
PUBLIC = "public"                  # active, public, in the collection, shared
PRIVATE = "private"                # active, private, in the collection, shared
PUBLIC_DRAFT = "public_draft"      # draft, public, in the collection, shared
PRIVATE_DRAFT = "private_draft"    # draft, private, in the collection, shared
OTHER_PRIVATE = "other_private"    # active, private, not in the collection, not shared
OBJECTS = (PUBLIC, PRIVATE, PUBLIC_DRAFT, PRIVATE_DRAFT, OTHER_PRIVATE)
ACTIVE = {PUBLIC, PRIVATE, OTHER_PRIVATE}
NOT_PRIVATE = {PUBLIC, PUBLIC_DRAFT}
SHARED = {PUBLIC, PRIVATE, PUBLIC_DRAFT, PRIVATE_DRAFT}  # collection + collaborators
ALL = set(OBJECTS)

MATRIX = [
    # role                may read                             may edit
    ("anonymous",         {PUBLIC},                            set()),
    ("unrelated",         {PUBLIC},                            set()),
    ("circle_member",     {PUBLIC, PRIVATE, OTHER_PRIVATE},    set()),
    ("circle_editor",     ALL,                                 ALL),
    ("circle_admin",      ALL,                                 ALL),
    ("collection_member", {PUBLIC, PRIVATE},                   set()),
    ("collab_member",     {PUBLIC, PRIVATE},                   set()),
    ("collab_editor",     SHARED,                              SHARED),
    ("creator",           ALL,                                 set()),  # now a circle member
    ("sysadmin",          ALL,                                 ALL),
]
ROLES = [row[0] for row in MATRIX]

#: ``package_search`` flags: (include_private, include_drafts)
SEARCH_FLAGS = [(False, False), (True, False), (False, True), (True, True)]

DRAFT_BYTES = b"draft resource content\n"


def _ok(result):
    status, body = result
    assert status == 200, body
    return body["result"]


@pytest.fixture
def world(make_user, make_circle, make_collection, make_dataset, make_resource,
          rtdc_path):
    """The circle, its collection, the five datasets and one user per role."""
    users = {role: make_user(role, sysadmin=(role == "sysadmin"))
             for role in ROLES if role != "anonymous"}
    users["anonymous"] = None
    admin = users["circle_admin"]
    circle = make_circle(admin, name="the-circle", members={
        users["circle_member"]: "member", users["circle_editor"]: "editor",
        users["creator"]: "editor"})
    collection = make_collection(admin, name="the-collection",
                                 members={users["collection_member"]: "member"})
    creator = users["creator"]
    datasets, files = {}, {}
    for obj in OBJECTS:
        ds = make_dataset(creator, circle, private=obj not in NOT_PRIVATE,
                          active=obj in ACTIVE, title=f"Dataset {obj}",
                          license_id="CC-BY-NC-4.0")
        if obj in ACTIVE:
            files[obj] = rtdc_path.read_bytes()
        else:
            make_resource(creator, ds, DRAFT_BYTES + obj.encode(), name="notes.txt")
            files[obj] = DRAFT_BYTES + obj.encode()
        datasets[obj] = ds
    for obj in SHARED:
        dcor_datasets.set_in_collection(datasets[obj], collection, True)
        dcor_datasets.share(datasets[obj], users["collab_member"], "member")
        dcor_datasets.share(datasets[obj], users["collab_editor"], "editor")
    groups.set_member(circle, creator, "member")  # the creator loses edit rights
    resources = {obj: Resource.get(Resource.dataset == ds) for obj, ds in datasets.items()}
    return types.SimpleNamespace(users=users, circle=circle, collection=collection,
                                 datasets=datasets, resources=resources, files=files)


def _expected_visible(readable, include_private, include_drafts):
    return {obj for obj in readable
            if (obj in ACTIVE or include_drafts) and (obj in NOT_PRIVATE or include_private)}


def _statuses(responses):
    return {obj: status for obj, (status, _) in responses.items()}


@pytest.mark.parametrize("role,readable,editable", MATRIX, ids=ROLES)
def test_read_access(world, api, client, role, readable, editable):
    """Readers get dataset, resource and file; others get 403 in the API, 404 for files."""
    user = world.users[role]
    expected = {obj: 200 if obj in readable else 403 for obj in OBJECTS}
    shown = {obj: api("package_show", user, method="GET", id=ds.id)
             for obj, ds in world.datasets.items()}
    assert _statuses(shown) == expected
    by_name = {obj: api("package_show", user, method="GET", id=ds.name)
               for obj, ds in world.datasets.items()}
    assert _statuses(by_name) == expected
    res_shown = {obj: api("resource_show", user, method="GET", id=res.id)
                 for obj, res in world.resources.items()}
    assert _statuses(res_shown) == expected
    for obj in OBJECTS:
        ds_body, res_body = shown[obj][1], res_shown[obj][1]
        if obj in readable:
            assert ds_body["result"]["id"] == world.datasets[obj].id
            assert [r["id"] for r in ds_body["result"]["resources"]] == \
                [world.resources[obj].id]
            assert res_body["result"]["package_id"] == world.datasets[obj].id
            assert res_body["result"]["size"] == len(world.files[obj])
        else:
            for body in (ds_body, res_body):
                assert body["success"] is False
                assert body["error"]["__type"] == "Authorization Error"
                assert body["error"]["message"].startswith("Access denied")
            assert world.datasets[obj].id in ds_body["error"]["message"]
    headers = {"Authorization": user.token} if user else {}
    downloads = {}
    for obj, ds in world.datasets.items():
        res = world.resources[obj]
        downloads[obj] = client.get(
            f"/dataset/{ds.id}/resource/{res.id}/download/{res.name.lower()}",
            headers=headers)
    assert {obj: r.status_code for obj, r in downloads.items()} == \
        {obj: 200 if obj in readable else 404 for obj in OBJECTS}
    for obj, response in downloads.items():
        if obj in readable:
            assert response.data == world.files[obj]
        else:
            assert world.files[obj] not in response.data


@pytest.mark.parametrize("role,readable,editable", MATRIX, ids=ROLES)
def test_search_results_and_counts(world, api, role, readable, editable):
    """Searches, facets and package counts include only what the caller may read."""
    user = world.users[role]
    for include_private, include_drafts in SEARCH_FLAGS:
        expected = _expected_visible(readable, include_private, include_drafts)
        result = _ok(api("package_search", user, method="GET", q="*:*",
                         include_private=str(include_private),
                         include_drafts=str(include_drafts),
                         rows=100, **{"facet.field": '["organization", "state"]'}))
        flags = f"include_private={include_private}, include_drafts={include_drafts}"
        ids = {d["id"] for d in result["results"]}
        assert ids == {world.datasets[obj].id for obj in expected}, flags
        assert result["count"] == len(expected), flags
        assert result["facets"]["organization"] == (
            {"the-circle": len(expected)} if expected else {}), flags
        assert sum(result["facets"]["state"].values()) == len(expected), flags
        # a filter on state or capacity cannot widen what the flags allow
        widened = _ok(api("package_search", user, method="GET",
                          fq="state:draft OR capacity:private",
                          include_private=str(include_private),
                          include_drafts=str(include_drafts), rows=0))
        assert widened["count"] == len(expected - {PUBLIC}), flags
        assert widened["results"] == []
    circle = _ok(api("organization_show", user, method="GET", id="the-circle"))
    collection = _ok(api("group_show", user, method="GET", id="the-collection"))
    assert circle["package_count"] == len(readable & ACTIVE)
    assert collection["package_count"] == len(readable & ACTIVE & SHARED)


@pytest.mark.parametrize("role,readable,editable", MATRIX, ids=ROLES)
def test_write_access(world, api, role, readable, editable):
    """Editors change datasets with package_patch/package_revise; others get 403."""
    user = world.users[role]
    patched, revised = {}, {}
    for obj, ds in world.datasets.items():
        # a less restrictive license is the one change DCOR allows in every state
        patched[obj] = api("package_patch", user, id=ds.id, license_id="CC-BY-4.0")
        revised[obj] = api("package_revise", user, match={"id": ds.id},
                           update={"license_id": "CC0-1.0"})
    expected = {obj: 200 if obj in editable else 403 for obj in OBJECTS}
    assert _statuses(patched) == expected
    assert _statuses(revised) == expected
    for obj in OBJECTS:
        licence = Dataset.get_by_id(world.datasets[obj].id).license_id
        if obj in editable:
            assert patched[obj][1]["result"]["license_id"] == "CC-BY-4.0"
            assert revised[obj][1]["result"]["package"]["license_id"] == "CC0-1.0"
            assert licence == "CC0-1.0"
        else:
            for _, body in (patched[obj], revised[obj]):
                assert body["error"]["__type"] == "Authorization Error"
                assert body["error"]["message"].startswith("Access denied")
            assert licence == "CC-BY-NC-4.0"


def test_download_needs_the_matching_dataset(world, client):
    """A resource is served only below its own dataset's URL."""
    token = {"Authorization": world.users["sysadmin"].token}
    res = world.resources[PUBLIC]
    other = world.datasets[PRIVATE]
    response = client.get(f"/dataset/{other.id}/resource/{res.id}/download/x.rtdc",
                          headers=token)
    assert response.status_code == 404
    response = client.get(f"/dataset/{world.datasets[PUBLIC].name}/resource/{res.id}"
                          f"/download/{res.name}")
    assert response.status_code == 200 and response.data == world.files[PUBLIC]


def test_unknown_ids_are_404_for_everyone(world, api, client):
    """An unknown id gives 404 to every caller, anonymous included, before any 403."""
    unknown = "00000000-0000-4000-8000-000000000000"
    calls = {"package_show": {"id": unknown}, "resource_show": {"id": unknown},
             "package_patch": {"id": unknown, "notes": "x"},
             "package_revise": {"match": {"id": unknown}, "update": {"notes": "x"}},
             "package_delete": {"id": unknown}, "dataset_purge": {"id": unknown},
             "resource_patch": {"id": unknown, "description": "x"}}
    for role in ("anonymous", "unrelated", "sysadmin"):
        user = world.users[role]
        for action, data in calls.items():
            status, body = api(action, user, **data)
            assert status == 404, (role, action, body)
            assert body["error"]["__type"] == "Not Found Error"
    public, resource = world.datasets[PUBLIC].id, world.resources[PUBLIC].id
    existing = {"package_patch": {"id": public, "notes": "x"},
                "package_revise": {"match": {"id": public}, "update": {"notes": "x"}},
                "package_delete": {"id": public}, "dataset_purge": {"id": public},
                "resource_patch": {"id": resource, "description": "x"}}
    for action, data in existing.items():
        status, body = api(action, None, **data)
        assert status == 403, (action, body)
        assert body["error"]["__type"] == "Authorization Error"
    ds = world.datasets[PUBLIC]
    response = client.get(f"/dataset/{ds.id}/resource/{unknown}/download/x.rtdc")
    assert response.status_code == 404


def test_revoked_ties_revoke_access(world, api):
    """Leaving the collection or the collaboration ends read access at once."""
    admin = world.users["circle_admin"]
    private = world.datasets[PRIVATE]
    member = world.users["collection_member"]
    assert api("package_show", member, id=private.id)[0] == 200
    _ok(api("group_member_delete", admin, id="the-collection", username=member.id))
    assert api("package_show", member, id=private.id)[0] == 403
    assert _ok(api("package_search", member, include_private=True))["count"] == 1
    editor = world.users["collab_editor"]
    assert api("package_patch", editor, id=world.datasets[PRIVATE_DRAFT].id,
               notes="mine")[0] == 200
    _ok(api("package_collaborator_create", admin, id=world.datasets[PRIVATE_DRAFT].id,
            user_id=editor.id, capacity="member"))
    assert api("package_patch", editor, id=world.datasets[PRIVATE_DRAFT].id,
               notes="not mine")[0] == 403
    assert api("package_show", editor, id=world.datasets[PRIVATE_DRAFT].id)[0] == 403
    _ok(api("package_collaborator_delete", admin, id=private.id, user_id=editor.id))
    assert api("package_show", editor, id=private.id)[0] == 403
