"""Reading action parameters with CKAN's error messages."""
from ... import validation
from ...errors import ValidationError


def required(data, *keys):
    """Return the value of the first of ``keys`` present in ``data``.

    :raises ValidationError: ``{keys[0]: ["Missing value"]}`` if none is present
    """
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            if not isinstance(value, str):
                raise ValidationError({key: ["Must be a string"]})
            return value
    raise validation.missing(keys[0])


def flag(data, key, default=False):
    """Return the boolean parameter ``key`` (``True``/``"true"``/``"1"``…)."""
    if key not in data or data[key] in (None, ""):
        return default
    return validation.as_bool(data[key], key)
