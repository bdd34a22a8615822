"""schemathesis against a real ``dcorlite serve``: generated requests to every action.

The OpenAPI description comes from the server itself (``/api/3/openapi.json``,
made from the action registry), so every action and every declared parameter
is covered; schemathesis sends valid and invalid values (wrong types, huge
numbers, odd text). A bounded run: ``benchmarks/fuzz.py`` runs thousands of
cases the same way.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from tests.fixtures.serve import Served
from tests.fuzz.envelope import check_ckan_envelope

#: examples per operation (77 operations: a few hundred requests in all)
EXAMPLES = 4


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, subprocess_pycache):
    """One server for the whole run, on SQLite, with users, a circle and a draft."""
    folder = tmp_path_factory.mktemp("fuzz")
    served = Served(folder, f"sqlite:///{folder}/dcorlite.sqlite", subprocess_pycache)
    served.create_instance()
    served.start()
    try:
        served.action("package_create", "alice", {
            "title": "Fuzz target", "authors": "A. Tester", "license_id": "CC0-1.0",
            "owner_org": served.circle["name"]})
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    """The server's own description of its action API."""
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/3/openapi.json")
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=EXAMPLES)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_an_envelope_and_none_is_a_server_error(case, fuzz_server):
    """Whatever a client sends, as alice or anonymously: a CKAN envelope, never a 5xx."""
    case.call_and_validate(base_url=fuzz_server.url, checks=[not_a_server_error,
                                                            check_ckan_envelope])
    case.call_and_validate(base_url=fuzz_server.url,
                           headers={"Authorization": fuzz_server.tokens["alice"]},
                           checks=[not_a_server_error, check_ckan_envelope])
