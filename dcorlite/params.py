"""The shape of action parameters, checked in one place before an action runs.

Every :class:`dcorlite.actions.Action` declares its parameters as
:class:`Param` objects; :func:`check_params` (called by
:func:`dcorlite.actions.call_action`) makes sure each given value has its
declared type and size, and that no text anywhere in the request holds a
lone surrogate or a NUL character, before any query is built. Wrong input
gets CKAN's 409 with ``{field: [message]}``; what the values *mean* (names,
licenses, dates) is checked by :mod:`dcorlite.validation`. The same
declarations generate the action API's OpenAPI description.
"""
import dataclasses
import math

from . import validation
from .errors import ValidationError

#: the kinds a parameter may have (a Param may allow several)
KINDS = ("string", "boolean", "integer", "number", "object", "array", "file", "any")
#: longest text of a parameter unless its Param says otherwise
MAX_TEXT = 100_000
#: longest text of a query-like parameter (searches, name filters)
MAX_QUERY = 2_000
#: deepest nesting of lists and objects in a request
MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True)
class Param:
    """One action parameter.

    :param kinds: one kind or a tuple of kinds from :data:`KINDS`
    :param required: the action cannot run without it (documented; the
        action reports it with CKAN's "Missing value")
    :param items: kind of the items of an ``array``
    :param max_length: longest text (default :data:`MAX_TEXT`)
    :param minimum: smallest number allowed
    :param unbounded: integers may exceed the databases' 64-bit range
        (the action caps them, like ``rows``)
    :param description: for the API description
    """

    kinds: object
    required: bool = False
    items: str = None
    max_length: int = MAX_TEXT
    minimum: int = None
    unbounded: bool = False
    description: str = ""

    def kind_list(self):
        """The allowed kinds as a tuple."""
        return self.kinds if isinstance(self.kinds, tuple) else (self.kinds,)


def text(description="", max_length=MAX_TEXT, required=False):
    """A string parameter."""
    return Param("string", required=required, max_length=max_length, description=description)


def identifier(description="", required=False):
    """An id or name: any length a client may send (unknown ones are 404, as in CKAN)."""
    return Param("string", required=required, max_length=MAX_TEXT, description=description)


def boolean(description=""):
    """A CKAN boolean (``true``/``True``/``1``…)."""
    return Param("boolean", description=description)


def natural(description="", required=False, unbounded=False):
    """A non-negative integer (``unbounded``: beyond 64 bits, for values the action caps)."""
    return Param("integer", minimum=0, required=required, unbounded=unbounded,
                 description=description)


def _fail(field, message):
    raise ValidationError({field: [message]})


def check_text(value, field):
    """:raises ValidationError: for text that no database can store."""
    if "\x00" in value:
        _fail(field, "Must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _fail(field, "Must be valid Unicode text (no lone surrogates)")


def check_all_text(data):
    """Check every key and string value in ``data``, however deeply nested.

    Iterative, so that the check itself cannot run out of stack.

    :raises ValidationError: NUL, lone surrogates, or nesting deeper than :data:`MAX_DEPTH`
    """
    stack = [(data, "", 0)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_DEPTH:
            _fail(field or "data", f"Nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            check_text(value, field or "data")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    check_text(key, key)
                stack.append((item, field or str(key), depth + 1))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, field, depth + 1) for item in value)


def _is_kind(value, kind, param):
    """Return the value converted for ``kind``, or raise ValueError."""
    if kind == "any":
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError("Must be a string")
        return value
    if kind == "boolean":
        return validation.as_bool(value, "x")
    if kind in ("integer", "number"):
        return _number(value, kind, param)
    if kind == "object" and isinstance(value, dict):
        return value
    if kind == "array" and isinstance(value, list):
        return value
    if kind == "file" and hasattr(value, "stream"):
        return value
    raise ValueError(f"Must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}")


def _number(value, kind, param):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"Must be {'an integer' if kind == 'integer' else 'a number'}")
    try:
        number = float(value) if kind == "number" else _integer(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("Must be an integer" if kind == "integer" else "Must be a number") \
            from None
    if kind == "number" and not math.isfinite(number):
        raise ValueError("Must be a finite number")
    if param.minimum is not None and number < param.minimum:
        raise ValueError(f"Must be at least {param.minimum}")
    if kind == "integer" and abs(number) > validation.MAX_INTEGER and not param.unbounded:
        raise ValueError("Integer out of range")
    return number


def _integer(value):
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    if isinstance(value, str) and len(value.strip()) > 400:
        raise ValueError
    return int(value)


def check_value(value, param, field):
    """Check one value against its :class:`Param`; return it.

    :raises ValidationError: ``{field: [message]}``
    """
    message = None
    for kind in param.kind_list():
        try:
            value = _is_kind(value, kind, param)
        except (ValueError, ValidationError) as exc:
            message = message or (str(exc) if isinstance(exc, ValueError)
                                  else f"Not a boolean: {value!r}"[:200])
            continue
        if kind == "string" and len(value) > param.max_length:
            _fail(field, f"Must be at most {param.max_length} characters long")
        if kind == "array" and param.items:
            for item in value:
                check_value(item, Param(param.items, max_length=param.max_length), field)
        return value
    _fail(field, message)


def check_params(params, data):
    """Check ``data`` (the decoded request) against the action's ``params``.

    Values of declared parameters must have their declared kind (``None``
    and ``""`` count as not given); undeclared parameters are not checked
    here. Text everywhere is checked by :func:`check_all_text`.

    :returns: ``data``
    :raises ValidationError: the first problem found
    """
    check_all_text(data)
    for field, param in params.items():
        value = data.get(field)
        if value is None or (isinstance(value, str) and value == ""):
            continue
        check_value(value, param, field)
    return data
