"""Fixtures of the web UI tests: logging in a test client, CSRF tokens, a small site."""
import re

import pytest

PASSWORD = "correct horse battery"


def csrf_token(client, url="/user/login"):
    """The CSRF token a page's form carries (the session cookie stays in ``client``)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, user, password=PASSWORD):
    """Log ``client`` in as ``user`` through the login form; return the response."""
    return client.post("/user/login", data={"name": user.name, "password": password,
                                            "csrf_token": csrf_token(client)})


@pytest.fixture
def site(make_user, make_circle, make_collection, make_dataset):
    """Owner, member, outsider, admin; a public, a private and a draft dataset."""
    owner = make_user("owner", password=PASSWORD)
    member = make_user("member", password=PASSWORD)
    outsider = make_user("outsider", password=PASSWORD)
    admin = make_user("admin", sysadmin=True, password=PASSWORD)
    circle = make_circle(owner, name="lab", members={member: "member"})
    public = make_dataset(owner, circle, title="Public blood cells", tags=["blood"],
                          notes="Measured **HL60** cells.\n\n<script>alert(1)</script>")
    private = make_dataset(owner, circle, private=True, title="Secret patient study",
                           tags=["patient"])
    draft = make_dataset(owner, circle, active=False, title="Draft in progress")
    return {"owner": owner, "member": member, "outsider": outsider, "admin": admin,
            "circle": circle, "public": public, "private": private, "draft": draft}
