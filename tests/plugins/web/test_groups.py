"""Circle and collection pages: lists, datasets without leaks, members, collection datasets."""
import pytest

from tests.plugins.web.conftest import csrf_token, login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def collection(site, make_collection):
    group = make_collection(site["owner"], name="study", members={site["member"]: "editor"})
    from dcorlite import datasets
    datasets.set_in_collection(site["public"], group, member=True)
    return group


def test_circle_list_and_page_for_anonymous(client, site):
    html = client.get("/circle").get_data(as_text=True)
    assert 'href="/circle/lab"' in html and "1 dataset you can see" in html
    page = client.get("/circle/lab").get_data(as_text=True)
    assert "Public blood cells" in page and "Secret patient study" not in page
    assert 'id="members"' not in page  # members are shown to members only
    assert client.get("/circle/nothing").status_code == 404


def test_circle_page_for_a_member(client, site):
    login(client, site["member"])
    page = client.get("/circle/lab").get_data(as_text=True)
    assert "Secret patient study" in page and "2 datasets" in page
    assert "(owner)" in page and "(member)" in page
    assert "Add or change member" not in page  # not an admin


def test_circle_admin_adds_and_removes_a_member(app, client, site):
    login(client, site["owner"])
    page = client.get("/circle/lab").get_data(as_text=True)
    assert "Add or change member" in page
    token = csrf_token(client, "/circle/lab")
    client.post("/circle/lab/members", data={"user": "outsider", "role": "member",
                                            "csrf_token": token})
    outsider = app.test_client()
    login(outsider, site["outsider"])
    assert "Secret patient study" in outsider.get("/circle/lab").get_data(as_text=True)
    client.post("/circle/lab/members/remove", data={"user_id": site["outsider"].id,
                                                   "csrf_token": token})
    assert "Secret patient study" not in outsider.get("/circle/lab").get_data(as_text=True)


def test_member_management_is_refused_to_non_admins(client, site):
    login(client, site["member"])
    token = csrf_token(client, "/circle/lab")
    response = client.post("/circle/lab/members", data={"user": "outsider", "role": "admin",
                                                       "csrf_token": token})
    assert response.status_code == 403
    assert client.post("/circle/lab/members", data={"user": "outsider"}).status_code == 400


def test_collection_editor_adds_and_removes_datasets(client, site, collection):
    page = client.get("/collection/study").get_data(as_text=True)
    assert "Public blood cells" in page and "Datasets in this collection" not in page
    login(client, site["member"])
    page = client.get("/collection/study").get_data(as_text=True)
    assert "Datasets in this collection" in page
    token = csrf_token(client, "/collection/study")
    client.post("/collection/study/datasets", data={"dataset": site["private"].name,
                                                   "csrf_token": token})
    assert "Secret patient study" in client.get("/collection/study").get_data(as_text=True)
    client.post("/collection/study/datasets?remove=1", data={"dataset": site["private"].name,
                                                            "csrf_token": token})
    assert "Secret patient study" not in client.get("/collection/study").get_data(as_text=True)


def test_collection_datasets_refused_to_outsiders(client, site, collection):
    login(client, site["outsider"])
    token = csrf_token(client, "/collection/study")
    response = client.post("/collection/study/datasets", data={"dataset": site["public"].name,
                                                              "csrf_token": token})
    assert response.status_code == 403
    assert client.post("/collection/study/datasets",
                       data={"dataset": site["public"].name}).status_code == 400
