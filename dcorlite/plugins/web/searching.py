"""From the search page's URL to ``package_search`` parameters, and back to links.

Every facet value is a link that adds or removes one ``field=value`` pair in
the query string, so each filtered view has its own URL.
"""
import json
import re
from urllib.parse import quote

from flask import url_for
from flask_babel import lazy_gettext as _l

#: (field, label) of the facets shown, in order
FACETS = (
    ("organization", _l("Circle")), ("groups", _l("Collection")), ("license_id", _l("License")),
    ("res_format", _l("Format")), ("tags", _l("Tags")),
    ("sp:general:sample type", _l("Sample type")),
    ("dc:setup:flow rate", _l("Flow rate [µL/s]")),
    ("dc:setup:channel width", _l("Channel width [µm]")), ("dc:setup:chip region", _l("Region")),
)
FACET_FIELDS = tuple(field for field, _ in FACETS)
DATE_FIELD = "dc:experiment:date"
#: (value of ``sort``, label); the first is the default
SORTS = (
    ("score desc, metadata_modified desc", _l("Relevance")),
    ("metadata_modified desc", _l("Last modified")),
    ("metadata_created desc", _l("Newest")),
    ("title_string asc", _l("Title A–Z")),
)
ROWS = 20
MAX_PAGE = 500
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _field(name):
    """A field name for ``fq``, with Solr's special characters escaped."""
    return re.sub(r'([\\:\s+\-!(){}\[\]^"~*?/&|])', r"\\\1", name)


def _quoted(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SearchPage:
    """The state of one search page, read from its query string.

    :param args: the request's ``MultiDict`` of arguments
    """

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:1000]
        self.sort = args.get("sort", "") if args.get("sort") in dict(SORTS) else SORTS[0][0]
        try:
            self.page = min(max(int(args.get("page", 1)), 1), MAX_PAGE)
        except ValueError:
            self.page = 1
        self.selected = {field: [v for v in args.getlist(field) if v][:20]
                         for field in FACET_FIELDS if args.getlist(field)}
        self.date_from = args.get("date_from", "") if _DATE.fullmatch(args.get("date_from", "")) else ""
        self.date_to = args.get("date_to", "") if _DATE.fullmatch(args.get("date_to", "")) else ""

    def action_data(self, user):
        """The ``package_search`` parameters of this page for ``user``."""
        clauses = [f"{_field(field)}:{_quoted(value)}"
                   for field, values in self.selected.items() for value in values]
        if self.date_from or self.date_to:
            clauses.append(f"{_field(DATE_FIELD)}:[{self.date_from or '*'} TO "
                           f"{self.date_to or '*'}]")
        data = {"q": self.q, "rows": ROWS, "start": (self.page - 1) * ROWS, "sort": self.sort,
                "facet.field": json.dumps(list(FACET_FIELDS)), "facet.limit": 10,
                "include_private": True, "include_drafts": user is not None}
        if clauses:
            data["fq"] = " AND ".join(clauses)
        return data

    def _args(self, **changes):
        args = {"q": self.q or None, "sort": self.sort if self.sort != SORTS[0][0] else None,
                "date_from": self.date_from or None, "date_to": self.date_to or None}
        selected = {field: list(values) for field, values in self.selected.items()}
        selected.update(changes.pop("selected", {}))
        args.update(changes)
        pairs = [(k, v) for k, v in args.items() if v not in (None, "")]
        pairs += [(field, v) for field, values in selected.items() for v in values]
        return pairs

    def url(self, **changes):
        """This page's URL with ``changes`` (``page=``, ``sort=``, ``selected={field: [...]}``)."""
        pairs = self._args(**changes)
        query = "&".join(f"{_encode(k)}={_encode(str(v))}" for k, v in pairs)
        return url_for("web.datasets.search") + ("?" + query if query else "")

    def toggle_url(self, field, value):
        """The URL with ``field=value`` added, or removed if it is selected (back to page 1)."""
        values = list(self.selected.get(field, []))
        values = [v for v in values if v != value] if value in values else values + [value]
        return self.url(selected={field: values}, page=None)

    def is_selected(self, field, value):
        """True if ``field=value`` filters this page."""
        return value in self.selected.get(field, [])

    def page_count(self, count):
        """Number of pages for ``count`` results (at most :data:`MAX_PAGE`)."""
        return min(max((count + ROWS - 1) // ROWS, 1), MAX_PAGE)


def _encode(text):
    return quote(text, safe="")
