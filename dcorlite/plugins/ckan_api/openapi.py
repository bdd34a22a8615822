"""The OpenAPI 3 description of the action API, generated from the action registry.

Every registered :class:`dcorlite.actions.Action` becomes a path
``/api/3/action/<name>`` with a POST operation (JSON body) and, for
side-effect free actions, a GET operation (query parameters); the schemas
come from the actions' :class:`dcorlite.params.Param` declarations, the
same ones :func:`dcorlite.params.check_params` enforces. Nothing here is
written by hand per action.
"""
from ... import __version__

_ERROR_STATUSES = {"400": "unreadable request or unknown action",
                   "403": "not allowed", "404": "not found",
                   "409": "invalid parameters", "413": "request body too large"}

SUCCESS = {
    "type": "object", "required": ["help", "success", "result"],
    "properties": {"help": {"type": "string"}, "success": {"enum": [True]}, "result": {}},
}
ERROR = {
    "type": "object", "required": ["help", "success", "error"],
    "properties": {
        "help": {"type": "string"}, "success": {"enum": [False]},
        "error": {"type": "object", "required": ["__type"],
                  "properties": {"__type": {"type": "string"},
                                 "message": {"type": "string"}}},
    },
}
#: CKAN answers unknown actions and undecodable bodies with a bare JSON string
BAD_REQUEST_TEXT = {"type": "string", "pattern": "^Bad request"}
#: longest text of one query parameter of a GET: a whole request line must stay well
#: below what servers and proxies take (waitress 256 KiB for all headers, nginx 8 KiB
#: by default); longer values go into a POST body
QUERY_MAX_LENGTH = 2000


def kind_schema(kind, param, max_length=None):
    """The JSON schema of one kind of a :class:`dcorlite.params.Param`."""
    if kind == "string":
        return {"type": "string", "maxLength": min(param.max_length,
                                                   max_length or param.max_length)}
    if kind == "integer":
        schema = {"type": "integer"}
        if param.minimum is not None:
            schema["minimum"] = param.minimum
        return schema
    if kind == "array":
        items = kind_schema(param.items, param, max_length) if param.items else {}
        return {"type": "array", "items": items}
    if kind in ("boolean", "number", "object"):
        return {"type": kind}
    if kind == "file":
        return {"type": "string", "format": "binary"}
    return {}


def param_schema(param, max_length=None):
    """The JSON schema of a :class:`dcorlite.params.Param` (``anyOf`` for several kinds).

    :param max_length: a shorter limit for text (query parameters)
    """
    kinds = [k for k in param.kind_list() if k != "file"] or ["any"]
    schemas = [kind_schema(kind, param, max_length) for kind in kinds]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    if param.description:
        schema = dict(schema, description=param.description)
    return schema


def _responses():
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses = {"200": {"description": "the action's result",
                         "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Success"}}}}}
    for status, text in _ERROR_STATUSES.items():
        responses[status] = {"description": text, "content": content}
    responses["400"] = {"description": _ERROR_STATUSES["400"], "content": {
        "application/json": {"schema": {"anyOf": [
            {"$ref": "#/components/schemas/Error"}, BAD_REQUEST_TEXT]}}}}
    return responses


def _operations(action):
    summary = (action.func.__doc__ or action.name).strip().splitlines()[0]
    required = sorted(name for name, p in action.params.items() if p.required)
    body = {"type": "object", "additionalProperties": action.open_params,
            "properties": {name: param_schema(p) for name, p in action.params.items()}}
    if required:
        body["required"] = required
    operations = {"post": {
        "operationId": f"{action.name}_post", "summary": summary,
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": body}}},
        "responses": _responses()}}
    if action.get:
        operations["get"] = {
            "operationId": action.name, "summary": summary, "responses": _responses(),
            "parameters": [{"name": name, "in": "query", "required": p.required,
                            "schema": param_schema(p, QUERY_MAX_LENGTH)}
                           for name, p in action.params.items()
                           if "file" not in p.kind_list()]}
    return operations


def describe(actions, server_url):
    """The OpenAPI 3.0 document of ``actions`` (``{name: Action}``) served at ``server_url``."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "dcorlite action API (CKAN-compatible)", "version": __version__,
                 "description": "CKAN's action API as DCOR-Aid, dclab and ckanapi use it. "
                                "Send an API token in the Authorization header."},
        "servers": [{"url": server_url or "/"}],
        "paths": {f"/api/3/action/{name}": _operations(action)
                  for name, action in sorted(actions.items())},
        "components": {
            "schemas": {"Success": SUCCESS, "Error": ERROR},
            "securitySchemes": {"apiToken": {"type": "apiKey", "in": "header",
                                             "name": "Authorization"}},
        },
        "security": [{}, {"apiToken": []}],
    }
