"""The instance's TLS certificate: a self-signed one made here, and what it says.

``<CERTS_DIR>/server.cert`` (PEM) and ``<CERTS_DIR>/server.key`` (PEM, mode
0600) are what the generated nginx site file serves, what goes into
``.dcor-access`` files, and what tells the uploads plugin that clients only
trust a pinned certificate.
"""
import dataclasses
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_NAME = "server.cert"
KEY_NAME = "server.key"


def certs_dir(app):
    """The folder of the instance's certificate (``CERTS_DIR``, else ``<instance>/certs``)."""
    return app.config.get("CERTS_DIR") or os.path.join(app.instance_path, "certs")


def cert_path(app):
    """Path of the instance's certificate (it may not exist)."""
    return os.path.join(certs_dir(app), CERT_NAME)


def key_path(app):
    """Path of the instance's private key (it may not exist)."""
    return os.path.join(certs_dir(app), KEY_NAME)


def create_certificate(folder, hostname, ips=(), days=3650, overwrite=False):
    """Write a self-signed certificate and its key into ``folder``; return the certificate.

    The subject's CN is ``hostname`` (DCOR-Aid and dclab take the server's
    name from it); subjectAltName lists ``hostname`` and every IP address
    (TLS clients check only the SAN). The key is ECDSA P-256 and readable by
    its owner only.

    :raises FileExistsError: if a certificate or key is there and not ``overwrite``
    :raises ValueError: for an IP that is not an address
    """
    addresses = [ipaddress.ip_address(ip) for ip in ips]
    os.makedirs(folder, exist_ok=True)
    cert_file, key_file = os.path.join(folder, CERT_NAME), os.path.join(folder, KEY_NAME)
    if not overwrite:
        for path in (cert_file, key_file):
            if os.path.exists(path):
                raise FileExistsError(path)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _build(key, hostname, addresses, days)
    _write(key_file, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), 0o600)
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


def _build(key, hostname, addresses, days):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.DNSName(hostname)] + [x509.IPAddress(a) for a in addresses]
    public = key.public_key()
    # The certificate is its own trust anchor (pinned by the clients), so it
    # is marked as a CA like `openssl req -x509` does; strict verifiers
    # (Python 3.13's VERIFY_X509_STRICT) also want the key identifiers.
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public),
                           critical=False)
            .sign(key, hashes.SHA256()))


def _write(path, data, mode):
    partial = path + ".part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(partial, mode)  # the umask may have narrowed it; a key must not be wider
    os.replace(partial, path)


def load_certificate(path):
    """The first certificate of the PEM file ``path``."""
    with open(path, "rb") as fh:
        return x509.load_pem_x509_certificate(fh.read())


@dataclasses.dataclass
class Description:
    """What ``dcorlite certs show`` prints about a certificate."""

    subject: str
    common_name: str
    dns_names: list
    ip_addresses: list
    not_before: datetime.datetime
    not_after: datetime.datetime
    fingerprint: str
    self_signed: bool


def describe(cert):
    """A :class:`Description` of ``cert``."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = sans.get_values_for_type(x509.DNSName)
        ips = [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns, ips = [], []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return Description(
        subject=cert.subject.rfc4514_string(),
        common_name=cns[0].value if cns else "",
        dns_names=dns, ip_addresses=ips,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        fingerprint=":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
        self_signed=is_self_signed(cert))


def is_self_signed(cert):
    """Whether ``cert`` is issued by itself (so no public CA vouches for it)."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def instance_self_signed(app):
    """Whether the instance serves its own self-signed certificate (``certs/server.cert``)."""
    path = cert_path(app)
    if not os.path.isfile(path):
        return False
    return is_self_signed(load_certificate(path))
