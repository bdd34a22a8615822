"""The job ``privacy.scan``: patient data in an RT-DC file's metadata and logs.

Only HDF5 attributes, the ``logs`` and the attributes of ``tables`` are read,
never feature data, so a scan takes milliseconds even for large files. The
resource's own texts (name, description, ``sp:`` supplements) are scanned too.
"""
import logging

from flask import current_app

from ...db import database, lock_rows
from ...dcfiles import open_dc_file, open_readonly
from ...jobs import forced
from ...models import Dataset, Resource, utcnow
from ...revisions import mark_written
from . import patterns
from .model import PrivacyScan

logger = logging.getLogger(__name__)
MAX_HITS = 100


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return " ".join(_text(v) for v in value)
    return str(value)


def file_texts(path):
    """``[(where, text)]`` of the metadata and log lines of the RT-DC file at ``path``."""
    found = []
    with open_readonly(path) as h5:
        found += [(f"metadata:{key}", _text(value)) for key, value in h5.attrs.items()]
        for name, log in (h5["logs"].items() if "logs" in h5 else ()):
            for number, line in enumerate(log[()].tolist() if log.shape else [log[()]], 1):
                found.append((f"log:{name} line {number}", _text(line)))
        for name, table in (h5["tables"].items() if "tables" in h5 else ()):
            found += [(f"table:{name}:{key}", _text(value)) for key, value in table.attrs.items()]
    return found


def resource_texts(resource):
    """``[(where, text)]`` of what the uploader wrote: name, description, ``sp:`` values."""
    found = [("resource:name", resource.name), ("resource:description", resource.description)]
    found += [(f"resource:{key}", _text(value)) for key, value in (resource.extras or {}).items()
              if key.startswith("sp:") and value not in (None, "")]
    return [(where, text) for where, text in found if text]


def find_hits(texts, rules):
    """Every match of ``rules`` in ``texts``, as ``{"where", "pattern", "excerpt"}``."""
    hits = []
    for where, text in texts:
        for rule in rules:
            for match in rule.regex.finditer(text):
                if match.end() == match.start():
                    continue
                hits.append({"where": where, "pattern": rule.label,
                             "excerpt": patterns.mask(text, match.start(), match.end())})
                if len(hits) >= MAX_HITS:
                    return hits
    return hits


def ensure_scan(resource_id):
    """Scan ``resource_id`` unless it has a result; store ``clean``, ``hits`` or ``error``."""
    if PrivacyScan.get_or_none(PrivacyScan.resource_id == resource_id) and not forced():
        return
    resource = Resource.get_by_id(resource_id)
    try:
        rules = patterns.configured_patterns(current_app.config)
        with open_dc_file(resource_id) as path:
            texts = file_texts(path)
        hits, error = find_hits(texts + resource_texts(resource), rules), ""
    except Exception as exc:  # an unreadable file is reported, not retried for ever
        logger.warning("privacy scan of resource %s failed: %s", resource_id, exc)
        hits, error = [], f"{exc.__class__.__name__}: {exc}"
    store(resource, "error" if error else ("hits" if hits else "clean"), hits, error)


def store(resource, state, hits, error=""):
    """Record a scan result (a rescan clears an earlier confirmation)."""
    with database.atomic():
        dataset = lock_rows(Dataset.select().where(Dataset.id == resource.dataset_id))[0]
        row = PrivacyScan.get_or_none(PrivacyScan.resource_id == resource.id)
        is_new = row is None
        row = row or PrivacyScan(resource_id=resource.id)
        row.dataset_id, row.state, row.hits, row.error = dataset.id, state, hits, error
        row.scanned_at, row.confirmed_by, row.confirmed_at, row.statement = \
            utcnow(), None, None, ""
        row.save(force_insert=is_new)
        mark_written(dataset)
