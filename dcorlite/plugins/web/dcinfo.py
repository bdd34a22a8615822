"""The "DC info" table: ``dc:`` metadata by section, with dclab's labels and units."""
import re

from flask_babel import gettext as _, lazy_gettext as _l

# the section titles are ours; the labels of the keys are dclab's (English)
_SECTION_TITLES = {"experiment": _l("Experiment"), "imaging": _l("Imaging"),
                   "setup": _l("Setup"), "fluorescence": _l("Fluorescence"),
                   "online_contour": _l("Online contour"), "online_filter": _l("Online filter"),
                   "pipeline": _l("Pipeline"), "qpi": _l("Quantitative phase imaging"),
                   "fmt_tdms": _l("TDMS format"), "calculation": _l("Calculation"),
                   "filtering": _l("Filtering")}
_UNIT = re.compile(r"^(.*?)\s*\[([^\]]+)\]$")


def _describe(section, key):
    """``(label, unit)`` of a metadata key from ``dclab.definitions``."""
    from dclab import definitions  # dclab takes seconds to import: only when needed
    try:
        descr = definitions.get_config_value_descr(section, key)
    except (KeyError, ValueError):
        return key, ""
    match = _UNIT.match(descr or "")
    return (match.group(1), match.group(2)) if match else (descr or key, "")


def dc_sections(metadata):
    """``[(section title, [(label, value, unit, key)])]`` from ``dcserv``'s metadata."""
    sections = []
    for section in sorted(metadata, key=lambda s: (s not in _SECTION_TITLES, s)):
        values = metadata[section]
        if not isinstance(values, dict) or not values:
            continue
        rows = []
        for key in sorted(values):
            label, unit = _describe(section, key)
            rows.append((label, _text(values[key]), unit, f"dc:{section}:{key}"))
        sections.append((_SECTION_TITLES.get(section, section.replace("_", " ").title()), rows))
    return sections


def sp_sections(resource, supplements):
    """``[(section name, [(label, value, unit, key)])]`` of the resource's ``sp:`` values.

    :param supplements: ``resource_schema_supplements``' answer (``{section key: section}``)
    """
    names = {}
    sections = supplements.values() if isinstance(supplements, dict) else supplements or []
    for section in sections:
        for item in section.get("items", []):
            names[f"sp:{section['key']}:{item['key']}"] = (
                section.get("name", section["key"]), item.get("name", item["key"]),
                item.get("unit", ""))
    grouped = {}
    for key in sorted(k for k in resource if k.startswith("sp:")):
        section_key = key.split(":")[1]
        section, label, unit = names.get(key, (section_key, key.split(":", 2)[-1], ""))
        grouped.setdefault(section, []).append((label, _text(resource[key]), unit, key))
    return list(grouped.items())


def _text(value):
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
