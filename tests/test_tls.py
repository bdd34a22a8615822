"""The instance's self-signed certificate: ``dcorlite certs create|show``."""
import ipaddress
import os
import ssl
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from dcorlite import tls


def test_certificate_names_key_mode_and_trust(tmp_path):
    cert = tls.create_certificate(tmp_path, "dcor.clinic.example", ["10.1.2.3", "::1"],
                                  days=30)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        "dcor.clinic.example"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["dcor.clinic.example"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.1.2.3"),
                                                        ipaddress.ip_address("::1")]
    assert 29 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 31
    assert stat.S_IMODE(os.stat(tmp_path / "server.key").st_mode) == 0o600
    assert tls.is_self_signed(cert)
    # OpenSSL takes it as a trust anchor, and as a server certificate with its key
    context = ssl.create_default_context(cafile=str(tmp_path / "server.cert"))
    assert context.cert_store_stats()["x509_ca"] == 1
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
        tmp_path / "server.cert", tmp_path / "server.key")


def test_existing_certificate_is_kept_unless_forced(tmp_path):
    first = tls.create_certificate(tmp_path, "a.example")
    with pytest.raises(FileExistsError):
        tls.create_certificate(tmp_path, "b.example")
    second = tls.create_certificate(tmp_path, "b.example", overwrite=True)
    assert first.serial_number != second.serial_number
    assert tls.describe(tls.load_certificate(tmp_path / "server.cert")).common_name == \
        "b.example"


def test_describe_gives_fingerprint_and_expiry(tmp_path):
    cert = tls.create_certificate(tmp_path, "h.example", ["127.0.0.1"])
    d = tls.describe(cert)
    assert d.subject == "CN=h.example" and d.dns_names == ["h.example"]
    assert d.ip_addresses == ["127.0.0.1"] and d.self_signed
    assert d.fingerprint == ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))
    assert d.not_after == cert.not_valid_after_utc


def test_cli_create_and_show(app, cli_runner):
    result = cli_runner("certs", "create", "--hostname", "dcor.clinic.example",
                        "--ip", "192.168.7.7", "--days", "365")
    assert result.exit_code == 0, result.output
    path = os.path.join(app.instance_path, "certs", "server.cert")
    assert os.path.isfile(path) and tls.instance_self_signed(app)
    shown = cli_runner("certs", "show")
    assert shown.exit_code == 0, shown.output
    described = tls.describe(tls.load_certificate(path))
    assert "subject:     CN=dcor.clinic.example" in shown.output
    assert "192.168.7.7" in shown.output and described.fingerprint in shown.output
    assert f"expires:     {described.not_after:%Y-%m-%d}" in shown.output
    again = cli_runner("certs", "create", "--hostname", "x.example")
    assert again.exit_code == 1 and "--force" in again.output
    bad = cli_runner("certs", "create", "--hostname", "x.example", "--ip", "nope", "--force")
    assert bad.exit_code == 1 and "nope" in bad.output


def test_cli_show_without_certificate(app, cli_runner):
    result = cli_runner("certs", "show")
    assert result.exit_code == 1 and "certs create" in result.output
