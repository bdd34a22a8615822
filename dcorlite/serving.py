"""Streaming stored objects to clients with ``Range`` support (RFC 9110)."""
import re
import urllib.parse

from flask import Response, current_app, request
from werkzeug.wsgi import wrap_file

BUFFER_SIZE = 1024 * 1024

#: the ``internal`` nginx location aliased to the local storage folder (X-Accel-Redirect)
ACCEL_PREFIX = "/_dcorlite_files/"

#: :func:`parse_byte_range` results other than a ``(start, stop)`` span.
UNSATISFIABLE = "unsatisfiable"
IGNORE = "ignore"

_OWS = " \t"
_BYTE_RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")


def _range_specs(range_set):
    """The non-empty elements of ``1#range-spec``, or None if OWS is misplaced."""
    pieces = range_set.split(",")
    # The list ABNF allows OWS only next to a comma, so not right after "=".
    if pieces[0].strip(_OWS) and pieces[0] != pieces[0].lstrip(_OWS):
        return None
    return [p.strip(_OWS) for p in pieces if p.strip(_OWS)]


def _bounded(digits, limit):
    """``min(int(digits), limit)``, without converting arbitrarily long numerals."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(limit)):
        return limit
    return min(int(digits), limit)


def _exceeds(a, b):
    """Whether numeral ``a`` is greater than numeral ``b``, however long they are."""
    a, b = a.lstrip("0") or "0", b.lstrip("0") or "0"
    return (len(a), a) > (len(b), b)


def parse_byte_range(header, size):
    """Interpret a ``Range`` header for a representation of ``size`` bytes.

    Returns the half-open span ``(start, stop)`` of a single satisfiable byte
    range (last-pos and suffix-length clamped to the representation),
    :data:`UNSATISFIABLE` (answer 416), or :data:`IGNORE` (answer 200 with
    the whole body) for no header, another unit, an invalid header or more
    than one range (RFC 9110 §14.2 lets a server ignore ``Range``).
    """
    if header is None:
        return IGNORE
    unit, equals, range_set = header.strip(_OWS).partition("=")
    if not equals or unit.lower() != "bytes":
        return IGNORE
    specs = _range_specs(range_set)
    if not specs or len(specs) > 1:
        return IGNORE
    match = _BYTE_RANGE_SPEC.fullmatch(specs[0])
    if match is None:
        return IGNORE
    first, last, suffix = match.groups()
    if suffix is not None:
        length = _bounded(suffix, size)
        return (size - length, size) if length else UNSATISFIABLE
    if last and _exceeds(first, last):
        return IGNORE
    start = _bounded(first, size)
    if start >= size:
        return UNSATISFIABLE
    return start, (_bounded(last, size - 1) + 1 if last else size)


def _if_range_matches(etag):
    """Whether ``If-Range`` is absent or names the current strong ETag.

    We send no ``Last-Modified``, so an HTTP date never matches.
    """
    if_range = request.headers.get("If-Range")
    return if_range is None or if_range.strip(_OWS) == f'"{etag}"'


def _requested_span(size, etag):
    """:func:`parse_byte_range` of the request's ``Range``, subject to ``If-Range``."""
    if not _if_range_matches(etag):
        return IGNORE
    return parse_byte_range(request.headers.get("Range"), size)


def _limited_chunks(fh, length):
    try:
        while length > 0:
            chunk = fh.read(min(BUFFER_SIZE, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        fh.close()


def _body(storage, key, start, length):
    """An iterable streaming ``length`` bytes of ``key`` from ``start``."""
    fh = storage.open_range(key, start, length)
    wrapper = request.environ.get("wsgi.file_wrapper")
    if wrapper is not None and wrapper.__module__.startswith("waitress"):
        # waitress sends exactly Content-Length bytes from the file position.
        return wrap_file(request.environ, fh, BUFFER_SIZE)
    return _limited_chunks(fh, length)


def accel_response(storage, key, headers, mimetype):
    """The ``X-Accel-Redirect`` answer that lets nginx send ``key``, or None.

    Only with ``X_ACCEL_REDIRECT`` on, for local storage, and for GET
    requests without ``If-Range`` (nginx would compare it with an ETag of its
    own; dcorlite answers those itself). The path is the storage key, which
    the storage made from a resource id, never from a name in the request.
    """
    if not current_app.config.get("X_ACCEL_REDIRECT") or request.method != "GET" \
            or "If-Range" in request.headers or storage.local_path(key) is None:
        return None
    headers = {k: v for k, v in headers.items() if k != "Accept-Ranges"}  # nginx adds it
    headers["X-Accel-Redirect"] = ACCEL_PREFIX + urllib.parse.quote(key)
    return Response(status=200, mimetype=mimetype, headers=headers)


def ranged_response(storage, key, size, etag, download_name=None, mimetype=None):
    """Serve object ``key`` of ``size`` bytes: 200, or 206 for a ``Range`` request.

    ``If-None-Match`` with the ETag gives 304; a range that cannot be
    satisfied gets 416. The body is streamed from storage, never buffered,
    or, behind nginx with ``X_ACCEL_REDIRECT``, sent by nginx
    (:func:`accel_response`).
    """
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"'}
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    if request.if_none_match and request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    accel = accel_response(storage, key, headers, mimetype or "application/octet-stream")
    if accel is not None:
        return accel
    span = _requested_span(size, etag)
    if span == UNSATISFIABLE:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status=416, headers=headers)
    start, stop, status = (0, size, 200) if span == IGNORE else (*span, 206)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    length = stop - start
    headers["Content-Length"] = str(length)
    mimetype = mimetype or "application/octet-stream"
    if request.method == "HEAD":
        return Response(status=status, headers=headers, mimetype=mimetype)
    response = Response(_body(storage, key, start, length), status=status, headers=headers,
                        direct_passthrough=True, mimetype=mimetype)
    response.content_length = length
    return response


#: seconds a client is asked to wait before it asks again for a result still being made
RETRY_AFTER_SECONDS = 30


def unfinished_job_response(outcome, what):
    """The answer for a file made by a job that is not available (None once it is done).

    :param outcome: a :class:`dcorlite.jobs.waiting.Outcome`
    :param what: what the file is, for the message (e.g. ``"Condensed copy"``)
    """
    if outcome.state == "done":
        return None
    if outcome.state == "never":
        return Response(f"{what} not found: this resource has none\n", status=404,
                        mimetype="text/plain")
    if outcome.state == "error":
        return Response(f"{what} could not be made: {outcome.error}\n", status=409,
                        mimetype="text/plain")
    return Response(f"{what} is still being made; try again later\n", status=503,
                    mimetype="text/plain",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

