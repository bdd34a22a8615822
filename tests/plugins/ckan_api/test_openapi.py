"""``/api/3/openapi.json``: a valid OpenAPI 3 description of every action, from the registry."""
import pytest
from openapi_spec_validator import validate

from dcorlite.actions import registry

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def document(client):
    response = client.get("/api/3/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_description_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_action_and_parameter_is_described(app, document):
    actions = registry(app)
    assert set(document["paths"]) == {f"/api/3/action/{name}" for name in actions}
    for name, action in actions.items():
        operations = document["paths"][f"/api/3/action/{name}"]
        assert ("get" in operations) == action.get, name
        body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["properties"]) == set(action.params), name
        assert set(body.get("required", [])) == {p for p, v in action.params.items()
                                                 if v.required}, name
        assert body["additionalProperties"] is action.open_params, name


def test_kinds_and_limits_come_from_the_declarations(document):
    search = document["paths"]["/api/3/action/package_search"]
    body = search["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["rows"] == {"type": "integer", "minimum": 0,
                                          "description": body["properties"]["rows"][
                                              "description"]}
    assert body["properties"]["include_private"]["type"] == "boolean"
    assert body["properties"]["q"]["maxLength"] == 10000
    query = {p["name"]: p["schema"] for p in search["get"]["parameters"]}
    assert query["q"]["maxLength"] == 2000  # a GET's request line stays short
    upload = document["paths"]["/api/3/action/resource_upload_s3_urls"]["post"]
    assert set(upload["requestBody"]["content"]["application/json"]["schema"]["required"]) \
        == {"organization_id", "file_size"}
