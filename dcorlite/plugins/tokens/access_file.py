"""``.dcor-access`` files: an API token and the server's certificate in an encrypted ZIP.

DCOR-Aid's "medical" set-up and dclab (``fmt_dcor.access_token``) read
``api_key.txt`` and ``server.cert`` with :mod:`zipfile`, so the archive uses
ZipCrypto (:mod:`.zipcrypto`); its members are deflated, and the certificate
starts with a random comment line, so that no stretch of the encrypted data
is predictable from the (public) certificate.
"""
import base64
import os
import secrets

from ... import tls
from ...errors import ValidationError
from ...models import utcnow
from . import logic, zipcrypto

#: characters of generated passwords (no 0/O, 1/l/I: they are read out or typed)
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
#: 24 characters of 56: 139 bits
PASSWORD_LENGTH = 24


def generate_password():
    """A random password to send to the user on another channel than the file."""
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


def access_file_bytes(api_key, cert_pem, password):
    """The ``.dcor-access`` archive for token ``api_key`` and certificate ``cert_pem``.

    :param cert_pem: the server's certificate (PEM bytes)
    :param password: text; encoded as UTF-8, as dclab does
    """
    # PEM readers (OpenSSL, and so dclab and requests) skip text before BEGIN.
    preamble = f"dcorlite {secrets.token_urlsafe(48)}\n".encode()
    members = {"api_key.txt": api_key.encode() + b"\n", "server.cert": preamble + cert_pem}
    return zipcrypto.encrypted_zip(members, password.encode("utf-8"))


def server_certificate(app):
    """The PEM bytes of the instance's certificate.

    :raises ValidationError: when there is none yet (``dcorlite certs create``)
    """
    path = tls.cert_path(app)
    if not os.path.isfile(path):
        raise ValidationError({"certificate": [
            f"no certificate at {path}; make one with 'dcorlite certs create --hostname NAME'"]})
    with open(path, "rb") as fh:
        return fh.read()


def issue(app, user, lifetime, password=None, label="dcor-access"):
    """Make a new API token for ``user`` and its ``.dcor-access`` file.

    :param lifetime: :class:`datetime.timedelta` of the token, or None (never expires)
    :param password: of the file; None generates one (returned, to be shown once)
    :returns: dict with ``content`` (bytes), ``filename``, ``user`` (name), ``token_id``,
        ``expires`` (datetime or None), and ``password`` when it was generated
    """
    cert_pem = server_certificate(app)
    generated = password is None
    password = generate_password() if generated else password
    if not password:
        raise ValidationError({"password": ["Must not be empty"]})
    token = logic.create_token(user, label, lifetime)
    issued = {"content": access_file_bytes(token, cert_pem, password),
              "filename": f"{user.name}.dcor-access", "user": user.name,
              "token_id": token.split(".")[0],
              "expires": None if lifetime is None else utcnow() + lifetime}
    if generated:
        issued["password"] = password
    return issued


def as_result(issued):
    """:func:`issue`'s answer for the action API (the file base64-encoded)."""
    result = dict(issued, content=base64.b64encode(issued["content"]).decode("ascii"))
    if result["expires"] is not None:
        result["expires"] = result["expires"].isoformat()
    return result
