"""``/api/3/action/<name>``: request decoding and CKAN envelopes."""
import json
import logging

from flask import Blueprint, Response, current_app, g, request

from ...actions import call_action, registry
from ...dictization import site_url
from ...errors import DcorliteError

logger = logging.getLogger(__name__)

bp = Blueprint("ckan_api", __name__)

JSON_TYPE = "application/json;charset=utf-8"


def _json_response(payload, status=200):
    body = json.dumps(payload, ensure_ascii=True, allow_nan=False, default=str)
    return Response(body, status=status, content_type=JSON_TYPE,
                    headers={"Cache-Control": "no-cache"})


def _bad_request(text):
    return _json_response(f"Bad request - {text}", 400)


def _help_url(name):
    return f"{site_url()}/api/3/action/help_show?name={name}"


def error_response(exc, name):
    """Turn a :class:`DcorliteError` into a CKAN error envelope."""
    payload = {"help": _help_url(name), "success": False, "error": exc.error_dict()}
    return _json_response(payload, exc.status)


def _request_data(action):
    """Decode the request like CKAN (``ckan/views/api.py _get_request_data``)."""
    if request.method == "POST" and request.form:
        form = request.form
        if len(form) == 1 and list(form.values())[0] in ("", "1") and not request.files:
            try:
                data = json.loads(list(form.keys())[0])
            except ValueError:
                data = None
            if isinstance(data, dict):
                return data
        data = {k: (v[0] if len(v) == 1 else v) for k, v in form.lists()}
    elif request.args and action.get:
        data = {k: (v[0] if len(v) == 1 else v) for k, v in request.args.lists()}
    elif request.method == "POST" and request.content_type and \
            request.content_type.startswith("multipart/form-data"):
        data = {}
    elif request.method == "POST" and request.content_length != 0 and request.get_data(cache=True):
        try:
            data = json.loads(request.get_data(cache=True))
        except ValueError as exc:
            raise _DecodeError(f"JSON Error: Error decoding JSON data. Error: {exc!r}") from None
        if not isinstance(data, dict):
            raise _DecodeError(f"JSON Error: Request data JSON decoded to {data!r} but it "
                               "needs to be a dictionary.")
    else:
        data = {}
    for field, upload in request.files.items():
        data[field] = upload
    return data


class _DecodeError(Exception):
    pass


@bp.route("/api/action/<name>", methods=["GET", "POST"])
@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
def action(name):
    """Run one action and answer with the CKAN envelope."""
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
    user = g.get("user")
    if "callback" in data:  # JSONP requests are anonymous, as in CKAN
        data.pop("callback")
        user = None
    try:
        result = call_action(name, user, data)
    except DcorliteError as exc:
        return error_response(exc, name)
    except Exception:
        logger.exception("action %s failed", name)
        current_app.logger.error("internal error in action %s", name)
        payload = {"help": _help_url(name), "success": False,
                   "error": {"__type": "Internal Server Error",
                             "message": "Internal Server Error"}}
        return _json_response(payload, 500)
    return _json_response({"help": _help_url(name), "success": True, "result": result})


@bp.route("/api", methods=["GET"])
@bp.route("/api/", methods=["GET"])
def api_version():
    """``{"version": 1}`` like CKAN's ``/api``."""
    return _json_response({"version": 1})


@bp.route("/api/<int(min=1, max=3):ver>", methods=["GET"])
def api_version_n(ver):
    """``{"version": N}`` for ``/api/N``."""
    return _json_response({"version": ver})
