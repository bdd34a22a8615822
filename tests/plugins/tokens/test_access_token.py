"""``dcorlite access-token create``: read back with dclab's own functions, used on the API."""
import datetime
import os
import re
import stat
import zipfile

import pytest
from dclab.rtdc_dataset.fmt_dcor import access_token

from dcorlite import tls
from dcorlite.models import utcnow
from dcorlite.plugins.tokens import expiry, logic
from tests.fixtures import data as test_data


@pytest.fixture
def with_cert(app, cli_runner):
    result = cli_runner("certs", "create", "--hostname", "dcor.clinic.example")
    assert result.exit_code == 0, result.output
    return tls.cert_path(app)


def user_of(client, token):
    response = client.get("/api/3/action/user_show", query_string={"id": "ann"},
                          headers={"Authorization": token})
    body = response.get_json()
    return body["result"].get("email") if body["success"] else None


def test_dclab_reads_the_file_and_its_token_works(app, client, make_user, with_cert,
                                                  cli_runner, tmp_path):
    make_user("ann")
    out = tmp_path / "ann.dcor-access"
    result = cli_runner("access-token", "create", "ann", "--password", "correct horse",
                        "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "password" not in result.output.lower().replace("--password", "")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    token = access_token.get_api_key(out, "correct horse")
    assert access_token.get_hostname(out, "correct horse") == "dcor.clinic.example"
    pem = access_token.get_certificate(out, "correct horse")
    with open(with_cert, "rb") as fh:
        assert pem.endswith(fh.read())
    # the certificate with its preamble still verifies as a trust anchor
    bundle = tmp_path / "server.cert"
    bundle.write_bytes(pem)
    import ssl
    assert ssl.create_default_context(cafile=str(bundle)).cert_store_stats()["x509_ca"] == 1
    assert user_of(client, token) == "ann@example.org"
    found = logic.find_token(token)
    left = logic.expires_at(found) - utcnow()
    assert datetime.timedelta(days=89) < left <= datetime.timedelta(days=90)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["api_key.txt", "server.cert"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.flag_bits & 1
                   for i in archive.infolist())


def test_generated_password_is_printed_once_and_opens_the_file(app, make_user, with_cert,
                                                                cli_runner, tmp_path):
    make_user("ann")
    out = tmp_path / "x.dcor-access"
    result = cli_runner("access-token", "create", "ann", "-o", str(out), "--expires", "never")
    assert result.exit_code == 0, result.output
    password = re.search(r"^password: (\S+)$", result.output, re.MULTILINE).group(1)
    assert len(password) >= 20
    token = access_token.get_api_key(out, password)
    assert logic.expires_at(logic.find_token(token)) is None
    again = cli_runner("access-token", "create", "ann", "-o", str(out))
    assert again.exit_code == 1 and "exists" in again.output


def test_expired_token_no_longer_authenticates(app, client, make_user):
    user = make_user("ann")
    token = logic.create_token(user, "short", datetime.timedelta(hours=1))
    assert user_of(client, token) == "ann@example.org"
    from dcorlite.plugins.tokens.expiry import ApiTokenExpiry
    ApiTokenExpiry.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    assert logic.find_token(token) is None
    assert user_of(client, token) != "ann@example.org"


def test_lifetimes():
    assert expiry.parse_lifetime("90d") == datetime.timedelta(days=90)
    assert expiry.parse_lifetime("12h") == datetime.timedelta(hours=12)
    assert expiry.parse_lifetime("4w") == datetime.timedelta(weeks=4)
    assert expiry.parse_lifetime("never") is None
    for bad in ("", "0d", "90", "1y", "-1d", "d"):
        with pytest.raises(ValueError):
            expiry.parse_lifetime(bad)


def test_cli_refuses_without_certificate_and_for_unknown_users(app, make_user, cli_runner,
                                                               tmp_path):
    make_user("ann")
    result = cli_runner("access-token", "create", "ann", "-o", str(tmp_path / "a"))
    assert result.exit_code == 1 and "certs create" in result.output
    cli_runner("certs", "create", "--hostname", "h.example")
    result = cli_runner("access-token", "create", "nobody", "-o", str(tmp_path / "b"))
    assert result.exit_code == 1 and "no such user" in result.output
    result = cli_runner("access-token", "create", "ann", "--expires", "1y")
    assert result.exit_code == 2


def test_reference_token_has_the_same_shape():
    """The real DCOR token in tests/data: same members, read by the same functions."""
    ref = test_data.testdata_path() / "example_access_token.dcor-access"
    with zipfile.ZipFile(ref) as archive:
        assert sorted(archive.namelist()) == ["api_key.txt", "server.cert"]
    assert access_token.get_api_key(ref, "42")
    assert access_token.get_hostname(ref, "42")
