"""Streaming stored objects to clients with ``Range`` support (RFC 9110)."""
from flask import Response, request
from werkzeug.wsgi import wrap_file

BUFFER_SIZE = 1024 * 1024


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


def ranged_response(storage, key, size, etag, download_name=None, mimetype=None):
    """Serve object ``key`` of ``size`` bytes: 200, or 206 for a ``Range`` request.

    The body is streamed from storage by the WSGI server's file wrapper; a
    range that cannot be satisfied gets 416.
    """
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"'}
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    if request.if_none_match and request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    start, length, status = 0, size, 200
    rng = request.range
    if_range = request.headers.get("If-Range")
    if rng is not None and (if_range is None or if_range.strip('"') == etag):
        span = rng.range_for_length(size)
        if span is None:
            headers["Content-Range"] = f"bytes */{size}"
            return Response(status=416, headers=headers)
        start, stop = span
        length, status = stop - start, 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status=status, headers=headers,
                        mimetype=mimetype or "application/octet-stream")
    fh = storage.open_range(key, start, length)
    wrapper = request.environ.get("wsgi.file_wrapper")
    if wrapper is not None and wrapper.__module__.startswith("waitress"):
        # waitress sends exactly Content-Length bytes from the file position.
        body = wrap_file(request.environ, fh, BUFFER_SIZE)
    else:
        body = _limited_chunks(fh, length)
    response = Response(body, status=status, headers=headers, direct_passthrough=True,
                        mimetype=mimetype or "application/octet-stream")
    response.content_length = length
    return response
