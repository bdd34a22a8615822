"""What a dataset search asks and answers, independent of how it is run.

``package_search`` parameters are parsed here into a :class:`SearchQuery`;
plugins answer it through the ``search_datasets`` hook with a
:class:`SearchResult`.
"""
import dataclasses
import json

from flask import current_app

from . import query as qparse
from . import validation
from .errors import SearchQueryError, StartupError, ValidationError

#: the values of ``SEARCH_BACKEND``, with the database each one needs (None: any)
BACKENDS = {"whoosh": None, "postgresql": "PostgreSQL"}

ROWS_DEFAULT = 10
ROWS_MAX = 1000
SORT_FIELDS = {"score", "metadata_modified", "metadata_created", "name", "title",
               "title_string"}
KNOWN_PARAMS = {"q", "fq", "fq_list", "rows", "start", "sort", "facet", "facet.field",
                "facet.limit", "facet.mincount", "include_private", "include_drafts",
                "include_deleted", "fl", "defType", "df", "qf", "mm", "wt", "use_default_schema"}


@dataclasses.dataclass
class SearchQuery:
    """A parsed ``package_search`` request."""

    q: object = dataclasses.field(default_factory=qparse.MatchAll)
    fq: object = dataclasses.field(default_factory=qparse.MatchAll)
    rows: int = ROWS_DEFAULT
    start: int = 0
    sort: list = dataclasses.field(default_factory=list)  # [(field, "asc"|"desc")]
    include_private: bool = False
    include_drafts: bool = False
    facet_fields: list = dataclasses.field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    sort_text: str = "score desc, metadata_modified desc"


@dataclasses.dataclass
class SearchResult:
    """Matching dataset ids (one page, in order), total count and facet counts."""

    count: int
    ids: list
    facets: dict = dataclasses.field(default_factory=dict)  # {field: {value: count}}


@dataclasses.dataclass
class CheckReport:
    """Differences between a search backend's documents and the database."""

    missing: list = dataclasses.field(default_factory=list)    # in the DB, no document
    extra: list = dataclasses.field(default_factory=list)      # a document, not in the DB
    outdated: list = dataclasses.field(default_factory=list)   # made from older data
    error: str = ""                                            # documents unreadable

    @property
    def consistent(self):
        """True if every dataset has a current document and no document is left over."""
        return not (self.missing or self.extra or self.outdated or self.error)


def backend(app=None):
    """The ``SEARCH_BACKEND`` of ``app`` (default: the current app)."""
    return (app or current_app).config["SEARCH_BACKEND"]


def check_backend(config, on_postgresql):
    """Refuse to start with an unknown ``SEARCH_BACKEND`` or one the database cannot run.

    :param on_postgresql: the database is PostgreSQL
    :raises StartupError: naming the setting and what it needs
    """
    value = config.get("SEARCH_BACKEND")
    if value not in BACKENDS:
        raise StartupError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, "
                           f"not {value!r}")
    if BACKENDS[value] == "PostgreSQL" and not on_postgresql:
        raise StartupError(f"SEARCH_BACKEND={value} needs a PostgreSQL database; "
                           f"DATABASE_URL names another one")


def _parse_sort(text):
    clauses = []
    for part in str(text).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2 or words[1].lower() not in ("asc", "desc") \
                or words[0] not in SORT_FIELDS:
            raise SearchQueryError('Invalid "sort" parameter')
        clauses.append((words[0], words[1].lower()))
    return clauses


def _facet_fields(value):
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError({"facet.field": ["Could not parse as valid JSON"]}) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"facet.field": ["Must be a list of field names"]})
    return value


def _facet_limit(value):
    """``facet.limit`` as CKAN/Solr read it: default 50, a negative number means no limit."""
    if value in (None, ""):
        return 50
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"facet.limit": ["Invalid integer"]}) from None
    return -1 if number < 0 else number


def parse_search_params(data):
    """Build a :class:`SearchQuery` from ``package_search`` parameters.

    :raises SearchQueryError: unknown parameters or an invalid sort (400)
    :raises SearchError: unparsable ``q``/``fq`` (409)
    :raises ValidationError: negative ``rows``, bad booleans (409)
    """
    unknown = sorted(k for k in data if k not in KNOWN_PARAMS and not k.startswith("ext_"))
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    for key in ("q", "fq", "sort"):
        if key in data and not isinstance(data[key], (str, type(None))):
            raise ValidationError({key: ["Must be a string"]})
    fq_parts = [data.get("fq") or ""]
    fq_list = data.get("fq_list") or []
    fq_parts += [fq_list] if isinstance(fq_list, str) else list(fq_list)
    fq_trees = [qparse.parse(part) for part in fq_parts if str(part).strip()]
    sort_text = data.get("sort") or "score desc, metadata_modified desc"
    return SearchQuery(
        q=qparse.parse(data.get("q")),
        fq=qparse.And(tuple(fq_trees)) if len(fq_trees) > 1 else (
            fq_trees[0] if fq_trees else qparse.MatchAll()),
        rows=validation.as_natural(data.get("rows"), "rows", default=ROWS_DEFAULT,
                                   maximum=ROWS_MAX),
        start=validation.as_natural(data.get("start"), "start", default=0),
        sort=_parse_sort(sort_text),
        sort_text=sort_text,
        include_private=validation.as_bool(data.get("include_private", False),
                                           "include_private"),
        include_drafts=validation.as_bool(data.get("include_drafts", False),
                                          "include_drafts"),
        facet_fields=_facet_fields(data.get("facet.field")),
        facet_limit=_facet_limit(data.get("facet.limit")),
        facet_mincount=int(validation.as_natural(data.get("facet.mincount"),
                                                 "facet.mincount", default=1)),
    )
