"""Signed, expiring URLs: the signature is the authorization.

Used for upload URLs handed to DCOR-Aid and for byte-serving URLs handed to
dclab, neither of which sends an API token with those requests.
"""
import functools
import hashlib
import hmac
import time
import urllib.parse

from flask import current_app


def _key(purpose):
    return _derived_key(current_app.config["SECRET_KEY"], purpose)


@functools.lru_cache(maxsize=64)
def _derived_key(secret, purpose):
    return hmac.new(secret.encode(), f"dcorlite-signing:{purpose}".encode(),
                    hashlib.sha256).digest()


def _message(method, path, params):
    items = sorted((k, str(v)) for k, v in params.items() if k != "signature")
    return "\n".join([method.upper(), path, urllib.parse.urlencode(items)]).encode()


def sign(purpose, method, path, params, expires_in):
    """Return the query string for ``path`` with ``params``, an expiry and a signature.

    :param purpose: separates keys, e.g. ``"upload"`` or ``"download"``
    :param expires_in: lifetime in seconds
    """
    params = dict(params)
    params["expires"] = int(time.time() + expires_in)
    digest = hmac.new(_key(purpose), _message(method, path, params), hashlib.sha256)
    params["signature"] = digest.hexdigest()
    return urllib.parse.urlencode(params)


def verify(purpose, method, path, args):
    """Return True if ``args`` (the query parameters) carry a valid, unexpired signature."""
    signature = args.get("signature", "")
    try:
        expires = int(args.get("expires", ""))
    except ValueError:
        return False
    if expires < time.time():
        return False
    expected = hmac.new(_key(purpose), _message(method, path, dict(args)), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), signature)
