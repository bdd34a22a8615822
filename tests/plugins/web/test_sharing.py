"""The collaborators page: only for those who may share, CSRF, the API's rules."""
import pytest

from tests.plugins.web.conftest import csrf_token, login

pytestmark = pytest.mark.sqlite_only


def _page(ds):
    return f"/dataset/{ds.name}/collaborators"


def test_owner_shares_and_unshares_a_private_dataset(app, client, site):
    ds, outsider = site["private"], site["outsider"]
    reader = app.test_client()
    login(reader, outsider)
    assert reader.get(f"/dataset/{ds.name}").status_code == 404
    login(client, site["owner"])
    assert f'href="{_page(ds)}"' in client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    response = client.post(_page(ds), data={"user": "outsider", "capacity": "member",
                                            "csrf_token": csrf_token(client, _page(ds))})
    assert response.status_code == 302
    html = client.get(_page(ds)).get_data(as_text=True)
    assert "(outsider)" in html and "may read" in html
    assert reader.get(f"/dataset/{ds.name}").status_code == 200  # shared: now visible
    removed = client.post(f"{_page(ds)}/remove", data={
        "user_id": outsider.id, "csrf_token": csrf_token(client, _page(ds))})
    assert removed.status_code == 302
    assert reader.get(f"/dataset/{ds.name}").status_code == 404


def test_unknown_user_is_reported(client, site):
    login(client, site["owner"])
    ds = site["private"]
    response = client.post(_page(ds), data={"user": "nobody", "capacity": "member",
                                            "csrf_token": csrf_token(client, _page(ds))})
    assert response.status_code == 404 and "There is no user" in response.get_data(as_text=True)


def test_readers_are_not_offered_sharing(client, site):
    ds = site["private"]
    login(client, site["member"])  # a circle member reads but may not share
    assert "Collaborators</a>" not in client.get(f"/dataset/{ds.name}").get_data(as_text=True)
    assert client.get(_page(ds)).status_code == 403
    token = csrf_token(client, "/")
    assert client.post(_page(ds), data={"user": "outsider", "csrf_token": token}).status_code == 403
    assert client.post(f"{_page(ds)}/remove", data={"user_id": site["outsider"].id,
                                                    "csrf_token": token}).status_code == 403


def test_sharing_needs_login_and_csrf(client, site):
    ds = site["private"]
    assert client.get(_page(ds)).status_code == 302
    login(client, site["owner"])
    assert client.post(_page(ds), data={"user": "outsider"}).status_code == 400
    assert client.post(f"{_page(ds)}/remove", data={"user_id": site["outsider"].id}).status_code == 400
    assert "(outsider)" not in client.get(_page(ds)).get_data(as_text=True)


def test_outsiders_get_not_found(client, site):
    login(client, site["outsider"])
    assert client.get(_page(site["private"])).status_code == 404
