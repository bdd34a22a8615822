"""The license register and the supplementary resource schema.

Both are shipped as JSON in ``dcorlite/data``; ``LICENSES = "medical"`` selects
the clinic register (``none``, ``patient``), ``SUPPLEMENTS_DIR`` a directory of
``supplement<N>_<section>.json`` files instead of the shipped ones, and
``SUPPLEMENTS_MEDICAL`` adds the clinic section ``medical``.
"""
import collections
import glob
import json
import os

from flask import current_app

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")

#: Lower is less restrictive; a license may only change to a lower rating.
LICENSE_RATING = {"CC0-1.0": 0, "CC-BY-4.0": 1, "CC-BY-SA-4.0": 2,
                  "CC-BY-NC-4.0": 2, "none": 3}


def _cache(app):
    return app.extensions["dcorlite"].setdefault("schemas", {})


def licenses(app=None):
    """Return the license register as a list of dicts (``license_list``)."""
    app = app or current_app
    cache = _cache(app)
    if "licenses" not in cache:
        name = {"standard": "licenses.json", "medical": "licenses_medical.json"}[
            app.config["LICENSES"]]
        with open(os.path.join(DATA_DIR, name), encoding="utf-8") as fh:
            cache["licenses"] = json.load(fh)
    return cache["licenses"]


def supplements(app=None):
    """Return ``{section: {key, name, requires?, items}}`` in file order."""
    app = app or current_app
    cache = _cache(app)
    if "supplements" not in cache:
        directory = app.config["SUPPLEMENTS_DIR"] or os.path.join(DATA_DIR, "supplements")
        paths = sorted(glob.glob(os.path.join(directory, "*.json")))
        if app.config["SUPPLEMENTS_MEDICAL"]:
            paths += sorted(glob.glob(os.path.join(DATA_DIR, "supplements_medical", "*.json")))
        result = collections.OrderedDict()
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                section = json.load(fh)
            result[section["key"]] = section
        cache["supplements"] = result
    return cache["supplements"]


def supplement_item(key, app=None):
    """Return the schema item for ``sp:<section>:<item>`` or None."""
    parts = key.split(":", 2)
    if len(parts) != 3 or parts[0] != "sp":
        return None
    section = supplements(app).get(parts[1])
    if section is None:
        return None
    for item in section["items"]:
        if item["key"] == parts[2]:
            return item
    return None
