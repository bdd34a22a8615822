"""A running server refuses what was revoked at once, in each of its processes.

The server's processes keep tokens and roles in memory (see
:mod:`dcorlite.changes`). Here the change comes from another process (the CLI),
or from one server process while the other holds the old answer, and the very
next request on every connection already open must be refused.
"""
import pytest
import requests

#: keep-alive connections that each made a request before the change
CONNECTIONS = 8


def sessions_that_read(served, user, dataset_id):
    """Sessions (one connection each) whose ``package_show`` as ``user`` succeeded."""
    sessions = [requests.Session() for _ in range(CONNECTIONS)]
    for session in sessions:
        assert show(session, served, user, dataset_id) == 200
    return sessions


def show(session, served, user, dataset_id):
    response = session.post(f"{served.url}/api/3/action/package_show", json={"id": dataset_id},
                            headers={"Authorization": served.tokens[user]}, timeout=30)
    assert response.json()["success"] == (response.status_code == 200)
    return response.status_code


def draft(served):
    return served.action("package_create", "alice", {
        "title": "Private draft", "authors": "A. Tester", "license_id": "CC0-1.0",
        "owner_org": served.circle["id"], "private": True})["id"]


@pytest.mark.parametrize("served", [(), ("--processes", "2")], indirect=True)
def test_a_token_revoked_with_the_cli_is_refused_at_once(served):
    dataset_id = draft(served)
    sessions = sessions_that_read(served, "alice", dataset_id)
    served.cli("token", "revoke", served.tokens["alice"].split(".")[0])
    assert [show(s, served, "alice", dataset_id) for s in sessions] == [403] * CONNECTIONS
    assert show(requests.Session(), served, "alice", dataset_id) == 403


@pytest.mark.parametrize("served", [(), ("--processes", "2")], indirect=True)
def test_a_member_removed_through_the_api_loses_access_at_once(served):
    dataset_id = draft(served)  # bob, an editor of the circle, may read alice's draft
    sessions = sessions_that_read(served, "bob", dataset_id)
    served.action("organization_member_delete", "alice",
                  {"id": served.circle["id"], "username": "bob"})
    assert [show(s, served, "bob", dataset_id) for s in sessions] == [403] * CONNECTIONS
