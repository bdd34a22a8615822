"""S3-style upload endpoints for local storage: PUT parts, POST complete.

The URLs are signed by ``resource_upload_s3_urls``; the signature is the
authorization (DCOR-Aid sends no token with these requests). Answers follow
S3: the ETag header carries the MD5, errors are ``<Error>`` XML documents.
"""
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import ClientDisconnected

from ... import signing
from ...models import Upload
from ...storage import get_storage
from . import store

bp = Blueprint("uploads", __name__)

MAX_COMPLETE_BODY = 1024 * 1024


def _xml_error(code, message, status):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error>")
    return Response(body, status=status, mimetype="application/xml")


def _authorized_upload(upload_id):
    if not signing.verify("upload", request.method, request.path, request.args):
        return None, _xml_error("AccessDenied", "Invalid or expired signature", 403)
    upload = Upload.get_or_none(Upload.id == upload_id)
    if upload is None:
        return None, _xml_error("NoSuchUpload", "The upload does not exist", 404)
    return upload, None


@bp.route("/uploads/<uuid:upload_id>", methods=["PUT"])
def put_part(upload_id):
    """Receive a whole file (single part) or one part (``partNumber``)."""
    upload, error = _authorized_upload(str(upload_id))
    if error:
        return error
    length = request.content_length
    if length is None:
        return _xml_error("MissingContentLength", "Content-Length is required", 411)
    try:
        number = int(request.args.get("partNumber", "1"))
        md5 = store.receive_part(get_storage(), upload, number, request.stream, length)
    except ValueError:
        return _xml_error("InvalidArgument", "partNumber must be an integer", 400)
    except store.UploadError as exc:
        return _xml_error(exc.code, exc.message, exc.status)
    except (IOError, ClientDisconnected) as exc:  # body shorter than Content-Length
        current_app.logger.warning("upload %s part %s incomplete: %r", upload.id, number, exc)
        return _xml_error("IncompleteBody", f"Part {number} ended before {length} bytes", 400)
    return Response(status=200, headers={"ETag": f'"{md5}"'})


@bp.route("/uploads/<uuid:upload_id>", methods=["POST"])
def complete_upload(upload_id):
    """Finish a multipart upload (``CompleteMultipartUpload`` XML body)."""
    upload, error = _authorized_upload(str(upload_id))
    if error:
        return error
    if (request.content_length or 0) > MAX_COMPLETE_BODY:
        return _xml_error("MalformedXML", "Body too large", 400)
    try:
        root = ET.fromstring(request.get_data() or b"<x/>")
        part_list = [(int(p.findtext("PartNumber") or p.findtext("{*}PartNumber")),
                      (p.findtext("ETag") or p.findtext("{*}ETag") or "").strip())
                     for p in root.iter() if p.tag.split("}")[-1] == "Part"]
    except (ET.ParseError, TypeError, ValueError):
        return _xml_error("MalformedXML", "The XML you provided was not well-formed", 400)
    try:
        etag = store.complete(get_storage(), upload, part_list)
    except store.UploadError as exc:
        return _xml_error(exc.code, exc.message, exc.status)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult>'
            f"<Key>{upload.id}</Key><ETag>&quot;{etag}&quot;</ETag>"
            "</CompleteMultipartUploadResult>")
    return Response(body, status=200, mimetype="application/xml",
                    headers={"ETag": f'"{etag}"'})
