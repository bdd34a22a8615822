"""``package_search``, ``tag_list`` and ``dataset_followee_list``."""
from ... import host, validation
from ...actions import Action
from ...dictization import package_dicts_by_id
from ...models import Dataset, Group, Tag
from ...params import MAX_QUERY, Param, boolean, identifier, natural, text
from ...search import parse_search_params


def _facet_items(field, counts, limit):
    titles = {}
    if field in ("organization", "groups"):
        titles = {g.name: g.display_name
                  for g in Group.select().where(Group.name.in_(list(counts)))}
    items = [{"name": value, "display_name": titles.get(value, value), "count": n}
             for value, n in counts.items()]
    items.sort(key=lambda item: (-item["count"], item["display_name"]))
    return items[:limit] if limit >= 0 else items


def package_search(context, data):
    """Search datasets with CKAN's ``q``/``fq``/``rows``/``start``/``sort`` semantics."""
    query = parse_search_params(data)
    result = host.first("search_datasets", query=query, user=context["user"])
    facets = {field: dict(list(counts.items())) for field, counts in result.facets.items()}
    return {
        "count": result.count,
        "results": package_dicts_by_id(result.ids),
        "sort": query.sort_text,
        "facets": facets,
        "search_facets": {field: {"title": field,
                                  "items": _facet_items(field, counts, query.facet_limit)}
                          for field, counts in result.facets.items()},
    }


def tag_list(context, data):
    """Names of tags on active public datasets (optionally containing ``query``)."""
    text = validation.as_str(data.get("query") or data.get("q") or "", "query")
    query = (Tag.select(Tag.name).join(Dataset, on=(Tag.dataset == Dataset.id))
             .where((Dataset.state == "active") & (Dataset.private == False))  # noqa: E712
             .distinct().order_by(Tag.name))
    if text:
        query = query.where(Tag.name.contains(text))
    return [t.name for t in query]


def dataset_followee_list(context, data):
    """Following datasets is not offered: always an empty list."""
    return []


_SOLR_TEXT = text(max_length=1000)
SEARCH_PARAMS = {
    "q": text("free text, or *:*", 10000), "fq": text("filter query (Solr syntax)", 10000),
    "fq_list": Param(("array", "string"), items="string", max_length=10000),
    "rows": natural("results per page (more are capped to 1000)", unbounded=True),
    "start": natural("offset"),
    "sort": text("e.g. metadata_modified desc", 500),
    "facet": Param(("boolean", "string"), max_length=20),
    "facet.field": Param(("array", "string"), items="string", max_length=10000,
                         description="JSON list of field names"),
    "facet.limit": Param("integer", description="values per facet; -1: all"),
    "facet.mincount": natural(),
    "include_private": boolean(), "include_drafts": boolean(), "include_deleted": boolean(),
    "use_default_schema": boolean(),
    **{name: _SOLR_TEXT for name in ("fl", "defType", "df", "qf", "mm", "wt")},
}

ACTIONS = [
    Action("package_search", package_search, get=True, params=SEARCH_PARAMS,
           open_params=True),  # ext_* keys, as in CKAN
    Action("tag_list", tag_list, get=True,
           params={"query": text(max_length=MAX_QUERY), "q": text(max_length=MAX_QUERY),
                   "vocabulary_id": text(max_length=200), "all_fields": boolean()}),
    Action("dataset_followee_list", dataset_followee_list, get=True,
           params={"id": identifier("user id or name")}),
]
