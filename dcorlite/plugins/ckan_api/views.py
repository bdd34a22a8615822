"""``/api/3/action/<name>``: request decoding and CKAN envelopes.

Every answer under ``/api/`` is a CKAN envelope with the right status, also
for bodies that cannot be read (400), bodies that are too large (413),
methods that do not exist (405) and errors no action expected (500).
"""
import json
import logging

import orjson
from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from ...actions import call_action, registry
from ...dictization import site_url
from ...errors import DcorliteError
from . import clients, openapi

logger = logging.getLogger(__name__)

bp = Blueprint("ckan_api", __name__)

JSON_TYPE = "application/json;charset=utf-8"
API_PREFIX = "/api/"


#: orjson writes what json.dumps(..., default=str) writes, several times faster
_ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
                   | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)


def encode_json(payload):
    """The JSON text of an answer (UTF-8 bytes).

    What orjson refuses (integers beyond 64 bits, lone surrogates) is written
    by the standard library instead, ASCII-escaped.
    """
    try:
        return orjson.dumps(payload, default=str, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(payload, ensure_ascii=True, allow_nan=False, default=str).encode()


def _json_response(payload, status=200):
    body = encode_json(payload)
    return Response(body, status=status, content_type=JSON_TYPE,
                    headers={"Cache-Control": "no-cache"})


def _bad_request(text):
    return _json_response(f"Bad request - {text}", 400)


def _base_url():
    """:func:`site_url`, or ``""`` for a Host header no URL can be made of."""
    try:
        return site_url()
    except ValueError:
        return ""


def _help_url(name):
    return f"{_base_url()}/api/3/action/help_show?name={name}"


def envelope(name, error_type, message, status, **fields):
    """A CKAN error envelope (``success: false``) with ``error.__type`` and ``message``."""
    error = {"__type": error_type, "message": message, **fields}
    return _json_response({"help": _help_url(name), "success": False, "error": error}, status)


def error_response(exc, name):
    """Turn a :class:`DcorliteError` into a CKAN error envelope."""
    payload = {"help": _help_url(name), "success": False, "error": exc.error_dict()}
    return _json_response(payload, exc.status)


class _DecodeError(Exception):
    pass


def _form_data(form):
    if len(form) == 1 and list(form.values())[0] in ("", "1") and not request.files:
        try:
            data = json.loads(list(form.keys())[0])
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            return data
    return {k: (v[0] if len(v) == 1 else v) for k, v in form.lists()}


def _json_body():
    try:
        data = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise _DecodeError("JSON Error: Error decoding JSON data. Error: nested too "
                           "deeply") from None
    except ValueError as exc:
        raise _DecodeError(f"JSON Error: Error decoding JSON data. Error: {exc!r}") from None
    if not isinstance(data, dict):
        raise _DecodeError(f"JSON Error: Request data JSON decoded to {data!r:.200} but it "
                           "needs to be a dictionary.")
    return data


class _TooLarge(Exception):
    pass


def _request_data(action):
    """Decode the request like CKAN (``ckan/views/api.py _get_request_data``)."""
    multipart = (request.content_type or "").startswith("multipart/form-data")
    if request.method == "POST" and not multipart and \
            (request.content_length or 0) > current_app.config["CKAN_API_MAX_BODY"]:
        raise _TooLarge(f"Request bodies are limited to "
                        f"{current_app.config['CKAN_API_MAX_BODY']} bytes")
    if request.method == "POST" and request.form:
        data = _form_data(request.form)
    elif request.args and action.get:
        data = {k: (v[0] if len(v) == 1 else v) for k, v in request.args.lists()}
    elif request.method == "POST" and multipart:
        data = {}
    elif request.method == "POST" and request.content_length != 0 and \
            request.get_data(cache=True):
        data = _json_body()
    else:
        data = {}
    if request.method == "POST":
        for field, upload in request.files.items():
            data[field] = upload
    return data


@bp.route("/api/action/<name>", methods=["GET", "POST"])
@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
def action(name):
    """Run one action and answer with the CKAN envelope."""
    outdated = clients.outdated_client_message(request.headers.get("User-Agent", ""))
    if outdated:  # DCOR-Aid matches the mixed-case reason phrase of this status line
        return envelope(name, "Bad Request", outdated, "400 Bad Request")
    act = registry().get(name)
    if act is None:
        return _bad_request(f"Action name not known: {name}")
    if request.method == "GET" and not act.get:
        return _bad_request("JSON Error: Invalid request. Please use POST method for "
                            "your request")
    try:
        data = _request_data(act)
    except _DecodeError as exc:
        return _bad_request(str(exc))
    except _TooLarge as exc:
        return envelope(name, "Request Entity Too Large", str(exc), 413)
    user = g.get("user")
    if "callback" in data:  # JSONP requests are anonymous, as in CKAN
        data.pop("callback")
        user = None
    try:
        result = call_action(name, user, data)
    except DcorliteError as exc:
        return error_response(exc, name)
    return _json_response({"help": _help_url(name), "success": True, "result": result})


@bp.route("/api/3/openapi.json", methods=["GET"])
def openapi_json():
    """The OpenAPI 3 description of every action, made from the action registry."""
    return _json_response(openapi.describe(registry(), _base_url()))


@bp.route("/api", methods=["GET"])
@bp.route("/api/", methods=["GET"])
def api_version():
    """``{"version": 1}`` like CKAN's ``/api``."""
    return _json_response({"version": 1})


@bp.route("/api/<int(min=1, max=3):ver>", methods=["GET"])
def api_version_n(ver):
    """``{"version": N}`` for ``/api/N``."""
    return _json_response({"version": ver})


def _action_name():
    parts = request.path.rstrip("/").split("/")
    return parts[-1] if "action" in parts[:-1] else "api"


@bp.app_errorhandler(HTTPException)
def http_error(exc):
    """Werkzeug's errors (unreadable body, too large, no such route) as envelopes under /api/."""
    if not request.path.startswith(API_PREFIX):
        return exc
    return envelope(_action_name(), exc.name, exc.description or exc.name, exc.code)


@bp.app_errorhandler(Exception)
def internal_error(exc):
    """Anything unexpected: logged; a 500 envelope under /api/."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    logger.error("internal error answering %s %s", request.method, request.path,
                 exc_info=exc)
    if not request.path.startswith(API_PREFIX):
        return Response("Internal Server Error\n", status=500, mimetype="text/plain")
    return envelope(_action_name(), "Internal Server Error", "Internal Server Error", 500)
