"""Parsing ``package_revise``: ``match``, ``update`` and flattened ``a__b`` keys."""
import dataclasses
import json

from ...errors import NotAuthorized, ValidationError


@dataclasses.dataclass
class Revision:
    """What one ``package_revise`` call asks for."""

    match: dict
    fields: dict                     # top-level dataset fields to set
    new_resources: list              # dicts for update__resources__extend
    resource_updates: list           # [(selector, {field: value})]
    uploads: dict                    # {selector: FileStorage}


def json_or_string(value):
    """Decode ``value`` if it is a string holding JSON, else return it unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _dict_param(data, key):
    value = json_or_string(data.get(key, {}))
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError({key: [f"Expected dict for {key}"]})
    return dict(value)


def parse_revision(data):
    """Split a ``package_revise`` request into a :class:`Revision`.

    :raises ValidationError: missing match, malformed keys or values
    """
    match = _dict_param(data, "match")
    update = _dict_param(data, "update")
    rev = Revision(match=match, fields={}, new_resources=[], resource_updates=[], uploads={})
    flat = []
    for key, value in data.items():
        if key.startswith("match__"):
            match[key[len("match__"):]] = json_or_string(value)
        elif key.startswith("update__"):
            flat.append((key[len("update__"):].split("__"), value, key))
        elif key not in ("match", "update", "filter", "include"):
            raise ValidationError({key: ["Unmatched key " + key]})
    if not match.get("id") and not match.get("name"):
        raise ValidationError({"match__id": ["Missing value"]})
    _refuse_filter(data.get("filter"))
    resources = update.pop("resources", None)
    if resources is not None:
        if not isinstance(resources, list):
            raise ValidationError({"update": ["Expected list for resources"]})
        for index, item in enumerate(resources):
            rev.resource_updates.append((index, _as_dict(item, "update__resources")))
    rev.fields.update(update)
    for path, value, key in flat:
        _apply_flat(rev, path, value, key)
    return rev


def _refuse_filter(value):
    """CKAN's ``filter`` removes fields and resources; DCOR removes neither.

    :raises NotAuthorized: a filter that would remove resources
    :raises ValidationError: any other filter
    """
    value = json_or_string(value)
    if value in (None, "", []):
        return
    entries = value if isinstance(value, list) else [value]
    if any("resources" in str(entry) for entry in entries):
        raise NotAuthorized("Resources cannot be removed: DCOR keeps every resource of a "
                            "dataset (package_revise 'filter' is refused)")
    raise ValidationError({"filter": ["Removing fields with 'filter' is not supported; "
                                      "set them with 'update'"]})


def _as_dict(value, key):
    value = json_or_string(value)
    if not isinstance(value, dict):
        raise ValidationError({key: [f"Expected dict for {key}"]})
    return value


def _apply_flat(rev, path, value, key):
    if path[0] != "resources":
        if len(path) != 1:
            raise ValidationError({key: ["Unmatched key " + key]})
        rev.fields[path[0]] = json_or_string(value)
        return
    if len(path) < 2:
        raise ValidationError({key: ["Unmatched key " + key]})
    if path[1] == "extend" and len(path) == 2:
        items = json_or_string(value)
        if not isinstance(items, list):
            raise ValidationError({key: ["Expected list for update__resources__extend"]})
        rev.new_resources += [_as_dict(item, key) for item in items]
        return
    selector = path[1]
    if path[2:] == ["upload"]:
        rev.uploads[selector] = value
    elif len(path) == 2:
        rev.resource_updates.append((selector, _as_dict(value, key)))
    elif len(path) == 3:
        rev.resource_updates.append((selector, {path[2]: json_or_string(value)}))
    else:
        raise ValidationError({key: ["Unmatched key " + key]})


def resolve_selector(selector, resources):
    """Find the resource a selector means: an index (may be negative) or an id prefix.

    :param resources: list of resource dicts/objects having ``id``
    :returns: the index into ``resources``
    :raises ValidationError: if nothing (or more than one thing) matches
    """
    if isinstance(selector, int) or (isinstance(selector, str)
                                     and selector.lstrip("-").isdigit()):
        index = int(selector)
        if -len(resources) <= index < len(resources):
            return index % len(resources)
        raise ValidationError({"resources": [f"Unmatched key resources__{selector}"]})
    if len(selector) < 5:
        raise ValidationError({"resources": [f"Unmatched key resources__{selector}"]})
    hits = [i for i, r in enumerate(resources) if str(_rid(r) or "").startswith(selector)]
    if len(hits) != 1:
        raise ValidationError({"resources": [f"Unmatched key resources__{selector}"]})
    return hits[0]


def _rid(resource):
    return resource.get("id") if isinstance(resource, dict) else resource.id
