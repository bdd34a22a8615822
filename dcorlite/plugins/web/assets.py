"""Static files of the pages, served with far-future caching under content-hashed URLs."""
import functools
import hashlib
import os

from flask import abort, send_from_directory, url_for

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static", "web")
ONE_YEAR = 365 * 24 * 3600


@functools.lru_cache(maxsize=256)
def _digest(filename):
    with open(os.path.join(STATIC_DIR, filename), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:12]


def asset_url(filename):
    """URL of a static file with its content hash, e.g. ``/static/web/css/site.css?v=…``; ``filename`` is relative to ``static/web``."""
    return url_for("web.home.static_file", filename=filename, v=_digest(filename))


def serve(filename, version):
    """Send a static file; cached for a year when the URL names its current hash."""
    path = os.path.join(STATIC_DIR, filename)
    if not os.path.isfile(os.path.realpath(path)):
        abort(404)
    cached = version is not None and version == _digest(filename)
    response = send_from_directory(STATIC_DIR, filename, max_age=ONE_YEAR if cached else 0)
    if cached:
        response.cache_control.immutable = True
        response.cache_control.public = True
    return response
