"""``UPLOADS_S3_URLS``: ``"auto"`` turns upload URLs off behind the instance's self-signed cert."""
import pytest

from dcorlite import create_app, tls
from dcorlite.app import stop_app
from dcorlite.plugins.uploads import offers_s3_urls

pytestmark = pytest.mark.sqlite_only

UNKNOWN = "Bad request - Action name not known: resource_upload_s3_urls"


def answer(tmp_path, app_config, with_cert, **config):
    instance = tmp_path / "instance"
    if with_cert:
        tls.create_certificate(instance / "certs", "dcor.clinic.example", overwrite=True)
    application = create_app(dict(app_config, **config), instance_path=str(instance))
    try:
        with application.app_context():
            response = application.test_client().get("/api/3/action/resource_upload_s3_urls")
            return offers_s3_urls(application), response.get_json()
    finally:
        stop_app(application)


def test_auto_is_the_default_and_follows_the_certificate(tmp_path, app_config):
    offered, body = answer(tmp_path, app_config, with_cert=False)
    assert offered and body != UNKNOWN  # the action is there (it wants its parameters)
    offered, body = answer(tmp_path, app_config, with_cert=True)
    assert not offered and body == UNKNOWN


def test_explicit_values_win_over_the_certificate(tmp_path, app_config):
    assert answer(tmp_path, app_config, True, UPLOADS_S3_URLS=True)[0]
    assert not answer(tmp_path, app_config, False, UPLOADS_S3_URLS=False)[0]
    assert not answer(tmp_path, app_config, False, UPLOADS_S3_URLS="false")[0]
    assert answer(tmp_path, app_config, True, UPLOADS_S3_URLS="true")[0]


def test_a_certificate_from_a_ca_keeps_upload_urls(tmp_path, app_config):
    """A certificate issued by someone else (a public or hospital CA) is not self-signed."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dcor.example")]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hospital CA")]))
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(ca_key, hashes.SHA256()))
    certs = tmp_path / "instance" / "certs"
    certs.mkdir(parents=True)
    (certs / "server.cert").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert answer(tmp_path, app_config, with_cert=False)[0]
