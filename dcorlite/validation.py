"""Validation and normalisation of everything users send.

Each function returns the cleaned value or raises
:class:`dcorlite.errors.ValidationError` with CKAN's ``{field: [msg]}`` shape.
"""
import datetime
import math
import re
import uuid

from .errors import ValidationError

NAME_RE = re.compile(r"^[a-z0-9_\-]{2,100}$")
RESOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9.,\-_+()\[\]]+$")
TAG_RE = re.compile(r"^[\w \-.]{2,100}$")
TOKEN_NAME_MAX = 200
RESERVED_NAMES = {"new", "edit", "search"}

#: Suffixes a resource may have (``supported_resource_suffixes``).
RESOURCE_SUFFIXES = [".rtdc", ".ini", ".csv", ".tsv", ".pdf", ".txt", ".jpg", ".png",
                     ".tif", ".py", ".ipynb", ".poly", ".sof", ".so2"]
DC_SUFFIXES = (".rtdc", ".dc")

#: The largest integer SQL databases store (64-bit signed).
MAX_INTEGER = 2 ** 63 - 1

_TRUE = {"true", "yes", "on", "y", "t", "1"}
_FALSE = {"false", "no", "off", "n", "f", "0", ""}


def missing(field):
    """Return the ValidationError for a missing mandatory ``field``."""
    return ValidationError({field: ["Missing value"]})


def as_bool(value, field):
    """Parse a CKAN boolean (``True``, ``"true"``, ``"False"``, ``1``…)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError({field: [f"Not a boolean: {value!r}"]})


def as_natural(value, field, default=None, maximum=None):
    """Parse a non-negative integer; cap at ``maximum`` if given.

    Without ``maximum``, numbers beyond :data:`MAX_INTEGER` are refused: they
    are used as SQL limits and offsets, which the databases cannot take.
    """
    if value is None or value == "":
        return default
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: ["Invalid integer"]}) from None
    if number < 0:
        raise ValidationError({field: ["Must be a natural number"]})
    if maximum is not None:
        return min(number, maximum)
    if number > MAX_INTEGER:
        raise ValidationError({field: ["Invalid integer"]})
    return number


def as_str(value, field, max_length=None):
    """Return ``value`` as a stripped string; reject lists, dicts and overlong values."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError({field: ["Must be a string"]})
    text = str(value).strip()
    if max_length and len(text) > max_length:
        raise ValidationError({field: [f"Must be at most {max_length} characters long"]})
    return text


def as_uuid(value, field="id"):
    """Return ``value`` if it is a uuid string."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError({field: ["Invalid id provided"]}) from None


def is_uuid(value):
    """Return True if ``value`` is a canonical uuid string."""
    try:
        return str(uuid.UUID(str(value))) == value
    except (ValueError, TypeError, AttributeError):
        return False


def name(value, field="name"):
    """Validate a CKAN name: 2–100 of ``a-z0-9_-``, not reserved."""
    text = as_str(value, field)
    if not text:
        raise missing(field)
    if len(text) < 2:
        raise ValidationError({field: ["Must be at least 2 characters long"]})
    if len(text) > 100:
        raise ValidationError({field: ["Name must be a maximum of 100 characters long"]})
    if not NAME_RE.match(text):
        raise ValidationError({field: ["Must be purely lowercase alphanumeric (ascii) "
                                       "characters and these symbols: -_"]})
    if text in RESERVED_NAMES:
        raise ValidationError({field: ["That name cannot be used"]})
    return text


def authors(value):
    """Normalise a comma-separated author list to ``"A, B, C"``; mandatory."""
    if isinstance(value, (list, tuple)):
        value = ",".join(as_str(v, "authors") for v in value)
    text = as_str(value, "authors", max_length=5000)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise missing("authors")
    return ", ".join(parts)


def doi(value):
    """Strip URL prefixes from a DOI (``https://doi.org/10.x/y`` → ``10.x/y``)."""
    text = as_str(value, "doi", max_length=500)
    text = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "", text)
    text = re.sub(r"^doi:", "", text)
    return text.strip(" /")


def references(value):
    """Normalise a comma-separated reference list (doi:, arXiv:, bioRxiv: prefixes)."""
    if isinstance(value, (list, tuple)):
        value = ",".join(as_str(v, "references") for v in value)
    text = as_str(value, "references", max_length=10000)
    result = []
    for ref in (r.strip() for r in text.split(",")):
        if not ref:
            continue
        ref = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "doi:", ref)
        ref = re.sub(r"^(https?://)?arxiv\.org/abs/", "arXiv:", ref)
        match = re.match(r"^(https?://)?(www\.)?biorxiv\.org/content/(.+?)(\.full\.pdf|\.full)?$",
                         ref)
        if match:
            ref = "bioRxiv:" + match.group(3)
        result.append(ref)
    return ", ".join(result)


def license_id(value, register_ids, is_sysadmin=False):
    """Check ``value`` against the license register (``none`` only for sysadmins)."""
    text = as_str(value, "license_id")
    allowed = set(register_ids)
    if not is_sysadmin and len(allowed) > 2:
        allowed.discard("none")
    if text not in allowed:
        raise ValidationError({"license_id": [
            f"Please choose a license_id: {sorted(allowed)}"]})
    return text


def tags(value):
    """Return a sorted list of unique tag names from ``[{"name": …}]`` or ``"a,b"``."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = [{"name": t} for t in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise ValidationError({"tags": ["Must be a list of {'name': ...} dicts"]})
    names = set()
    for item in items:
        tag = item.get("name") if isinstance(item, dict) else item
        tag = as_str(tag, "tags")
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise ValidationError({"tags": [f"Tag \"{tag}\" must be 2-100 characters "
                                            "of letters, digits, spaces and -_."]})
        names.add(tag)
    return sorted(names)


def resource_name(value, is_sysadmin=False):
    """Check a resource file name: allowed characters and suffix."""
    text = as_str(value, "name", max_length=250)
    if not text:
        raise missing("name")
    if is_sysadmin:
        return text
    if not RESOURCE_NAME_RE.match(text) or text.startswith("."):
        raise ValidationError({"name": [
            f"Invalid characters in resource name '{text}': only A-Z, a-z, 0-9 "
            "and .,-_+()[] are allowed"]})
    suffix = "." + text.rsplit(".", 1)[-1].lower() if "." in text else ""
    if suffix not in RESOURCE_SUFFIXES:
        raise ValidationError({"name": [
            f"Unsupported file format '{suffix or text}'; allowed are "
            f"{', '.join(RESOURCE_SUFFIXES)}"]})
    return text


def supplement_value(key, value, item):
    """Check and convert one ``sp:`` value against its schema ``item``.

    :returns: the value with its JSON type (str, int, float, bool, list as str)
    """
    if item is None:
        raise ValidationError({key: ["Unknown supplementary resource key"]})
    kind = item.get("type", "string")
    try:
        if kind == "string" or kind == "list":
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError
            return str(value)
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, str) else value
            if not isinstance(number, (int, float)) or int(number) != number:
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "boolean":
            return as_bool(value, key)
        if kind == "date":
            datetime.date.fromisoformat(str(value))
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", str(value)):
                raise ValueError
            return str(value)
    except (ValueError, TypeError, ValidationError):
        raise ValidationError({key: [f"Invalid value {value!r} for type '{kind}'"]}) from None
    raise ValidationError({key: [f"Unknown supplement type '{kind}'"]})


def capacity(value, allowed, field="capacity"):
    """Check a role/capacity against ``allowed``."""
    text = as_str(value, field)
    if text not in allowed:
        raise ValidationError({field: [f"Role must be one of \"{', '.join(allowed)}\""]})
    return text


def parse_iso(value, field):
    """Parse an ISO-8601 timestamp (``Z`` allowed) into naive UTC."""
    try:
        ts = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({field: [f"Invalid date {value!r}"]}) from None
    if ts.tzinfo is not None:
        ts = ts.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return ts
