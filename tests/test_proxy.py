"""Absolute URLs behind a reverse proxy: ``PROXY_COUNT`` (ProxyFix) and ``SITE_URL``."""
import pytest

from dcorlite import create_app
from dcorlite.app import stop_app

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "dcor.clinic.example",
             "X-Forwarded-Port": "8443", "X-Forwarded-For": "10.0.0.7",
             "X-Forwarded-Prefix": "/dcor"}


@pytest.fixture
def make_app(tmp_path, app_config):
    made = []

    def make(**config):
        application = create_app(dict(app_config, **config),
                                 instance_path=str(tmp_path / f"instance{len(made)}"))
        made.append(application)
        return application
    yield make
    for application in made:
        stop_app(application)


def site_url(application, headers):
    with application.app_context():
        response = application.test_client().get("/api/3/action/status_show",
                                                 headers=headers)
        return response.get_json()["result"]["site_url"]


@pytest.mark.sqlite_only
def test_forwarded_headers_are_trusted_only_with_proxy_count(make_app):
    assert site_url(make_app(), FORWARDED) == "http://localhost"
    assert site_url(make_app(PROXY_COUNT=1), FORWARDED) == \
        "https://dcor.clinic.example:8443/dcor"
    default_port = dict(FORWARDED, **{"X-Forwarded-Port": "443", "X-Forwarded-Prefix": ""})
    assert site_url(make_app(PROXY_COUNT=1), default_port) == "https://dcor.clinic.example"


@pytest.mark.sqlite_only
def test_only_the_configured_number_of_proxies_is_believed(make_app):
    # a client sent its own X-Forwarded-Host; the one proxy appended the real one
    chained = dict(FORWARDED, **{"X-Forwarded-Host": "evil.example, dcor.clinic.example",
                                 "X-Forwarded-Proto": "http, https",
                                 "X-Forwarded-Port": "1, 8443",
                                 "X-Forwarded-Prefix": "/x, /dcor"})
    assert site_url(make_app(PROXY_COUNT=1), chained) == \
        "https://dcor.clinic.example:8443/dcor"


@pytest.mark.sqlite_only
def test_site_url_wins_over_the_request(make_app):
    application = make_app(PROXY_COUNT=1, SITE_URL="https://dcor.example.org/")
    assert site_url(application, FORWARDED) == "https://dcor.example.org"
