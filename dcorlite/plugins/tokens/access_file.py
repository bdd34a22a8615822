"""``.dcor-access`` files: an API token and the server's certificate in an encrypted ZIP.

DCOR-Aid's "medical" set-up and dclab (``fmt_dcor.access_token``) read
``api_key.txt`` and ``server.cert`` with :mod:`zipfile`, so the archive uses
ZipCrypto (:mod:`.zipcrypto`); its members are deflated, and the certificate
starts with a random comment line, so that no stretch of the encrypted data
is predictable from the (public) certificate.
"""
import secrets

from . import zipcrypto

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
