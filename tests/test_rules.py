"""DCOR's dataset lifecycle rules through the API."""
import pytest


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def circle(owner, make_circle):
    return make_circle(owner, name="rules-circle")


def test_active_dataset_is_frozen_except_visibility_and_license(api, owner, circle,
                                                               make_dataset):
    ds = make_dataset(owner, circle, private=True)
    status, body = api("package_patch", owner, id=ds.id, title="new title")
    assert status == 403 and "not allowed for non-draft" in body["error"]["message"]
    assert api("package_patch", owner, id=ds.id, private=False)[0] == 200
    status, _ = api("package_patch", owner, id=ds.id, private=True)
    assert status == 403
    assert api("package_patch", owner, id=ds.id, license_id="CC0-1.0")[0] == 200
    status, _ = api("package_patch", owner, id=ds.id, license_id="CC-BY-4.0")
    assert status == 403
    status, _ = api("package_revise", owner, match={"id": ds.id}, update={"state": "draft"})
    assert status == 403


def test_share_alike_and_noncommercial_cannot_be_swapped(api, owner, circle, make_dataset):
    ds = make_dataset(owner, circle, active=False, license_id="CC-BY-SA-4.0")
    assert api("package_patch", owner, id=ds.id, license_id="CC-BY-NC-4.0")[0] == 403
    assert api("package_patch", owner, id=ds.id, license_id="CC-BY-4.0")[0] == 200


def test_only_drafts_can_be_deleted_and_only_deleted_purged(api, owner, circle, make_dataset):
    active = make_dataset(owner, circle)
    assert api("package_delete", owner, id=active.id)[0] == 403
    draft = make_dataset(owner, circle, active=False)
    assert api("dataset_purge", owner, id=draft.id)[0] == 403
    assert api("package_delete", owner, id=draft.id)[0] == 200
    assert api("package_show", owner, id=draft.id)[1]["result"]["state"] == "deleted"
    assert api("dataset_purge", owner, id=draft.id)[0] == 200
    assert api("package_show", owner, id=draft.id)[0] == 404


def test_resources_cannot_be_deleted_or_hashes_set(api, owner, circle, make_dataset,
                                                   make_resource):
    draft = make_dataset(owner, circle, active=False)
    res = make_resource(owner, draft, b"abc", name="a.txt")
    assert api("resource_delete", owner, id=res.id)[0] == 403
    status, _ = api("package_revise", owner, match={"id": draft.id},
                    **{f"update__resources__{res.id}": {"sha256": "0" * 64}})
    assert status == 403
    status, body = api("package_revise", owner, match={"id": draft.id},
                       **{f"update__resources__{res.id}": {"description": "fine"}})
    assert status == 200
    assert body["result"]["package"]["resources"][0]["description"] == "fine"


def test_activation_needs_a_valid_dc_resource(api, owner, circle, make_dataset, make_resource):
    draft = make_dataset(owner, circle, active=False)
    status, body = api("package_revise", owner, match={"id": draft.id},
                       update={"state": "active"})
    assert status == 409 and "does not contain any resources" in body["error"]["state"][0]
    make_resource(owner, draft, b"just text", name="notes.txt")
    status, body = api("package_revise", owner, match={"id": draft.id},
                       update={"state": "active"})
    assert status == 409 and "valid DC resource" in body["error"]["state"][0]


def test_supplement_types_are_validated_and_kept(api, owner, circle, make_dataset,
                                                 make_resource):
    draft = make_dataset(owner, circle, active=False)
    res = make_resource(owner, draft, b"abc", name="a.txt")
    key = f"update__resources__{res.id}"
    status, body = api("package_revise", owner, match={"id": draft.id},
                       **{key: {"sp:chip:channel width": 21.0, "sp:cells:repetition": "3",
                                "sp:cells:fixed": "yes", "sp:chip:production date":
                                    "2020-01-31"}})
    assert status == 200
    shown = body["result"]["package"]["resources"][0]
    assert shown["sp:chip:channel width"] == 21.0
    assert shown["sp:cells:repetition"] == 3 and shown["sp:cells:fixed"] is True
    status, body = api("package_revise", owner, match={"id": draft.id},
                       **{key: {"sp:chip:production date": "2020-15-31"}})
    assert status == 409
    status, _ = api("package_revise", owner, match={"id": draft.id},
                    **{key: {"sp:chip:no such key": 1}})
    assert status == 409


def test_public_datasets_can_be_switched_off(app, api, owner, circle):
    app.config["ALLOW_PUBLIC_DATASETS"] = False
    status, body = api("package_create", owner, title="t", authors="a",
                       license_id="CC0-1.0", owner_org=circle.name)
    assert status == 200 and body["result"]["private"] is True
    status, _ = api("package_create", owner, title="t", authors="a", license_id="CC0-1.0",
                    owner_org=circle.name, private=False)
    assert status == 403


def test_medical_license_register(app, api, owner, circle):
    app.config["LICENSES"] = "medical"
    app.extensions["dcorlite"].pop("schemas", None)
    status, body = api("license_list", method="GET")
    assert {lic["id"] for lic in body["result"]} == {"none", "patient"}
    status, body = api("package_create", owner, title="p", authors="a", license_id="patient",
                       owner_org=circle.name, private=True)
    assert status == 200 and body["result"]["license_id"] == "patient"


def test_authors_doi_references_are_normalised(api, owner, circle):
    status, body = api("package_create", owner, title="Refs", authors=" A ,B,, C ",
                       license_id="CC0-1.0", owner_org=circle.name,
                       doi="https://doi.org/10.1234/abc",
                       references="https://doi.org/10.1/x, https://arxiv.org/abs/2101.1, "
                                  "https://www.biorxiv.org/content/10.1101/2020.1.full.pdf")
    result = body["result"]
    assert result["authors"] == "A, B, C" and result["doi"] == "10.1234/abc"
    assert result["references"] == "doi:10.1/x, arXiv:2101.1, bioRxiv:10.1101/2020.1"


def test_generated_names_are_unique_slugs(api, owner, circle):
    names = [api("package_create", owner, title="Blood cells 42", authors="a",
                 license_id="CC0-1.0", owner_org=circle.name)[1]["result"]["name"]
             for _ in range(3)]
    assert names[0] == "blood-cells-42"
    assert len(set(names)) == 3 and all(n.endswith("-42") for n in names)


def test_users_cannot_choose_dataset_ids(api, owner, circle, make_user):
    body = dict(title="x", authors="a", license_id="CC0-1.0", owner_org=circle.name,
                id="3f1c7e58-7d0c-4a63-9c0e-3c2d7b0c9a11")
    assert api("package_create", owner, **body)[0] == 403
    admin = make_user("root", sysadmin=True)
    status, result = api("package_create", admin, **body)
    assert status == 200 and result["result"]["id"] == body["id"]
