"""The one translation of :mod:`dcorlite.query` trees into Whoosh queries.

Also builds the permission filter, the Whoosh form of
:func:`dcorlite.authz.visible_datasets_condition`, from the caller's
memberships and collaborations read from the database at query time.
"""
from whoosh import query as wq

from ... import query as qp
from ... import search_text
from ...authz import WRITE_ROLES
from ...errors import SearchError
from ...models import Group, Membership, User
from ...prepared import Prepared
from . import schema

#: fields that hold exactly the value given (``field:value``)
_EXACT = {"id": "id", "name": "name", "state": "state", "owner_org": "owner_org",
          "creator_user_id": "creator_user_id", "license_id": "license_id",
          "title": "title_string", "tags": "tags", "res_format": "res_format",
          "res_name": "res_name"}
_DATES = ("metadata_modified", "metadata_created")

#: facet name → index field; organization and groups are ids, named by the caller
FACETS = {"organization": "owner_org", "groups": "groups", "tags": "tags",
          "license_id": "license_id", "res_format": "res_format", "state": "state"}


def facet_terms(name):
    """``(index field, term prefix)`` of the terms counted for facet ``name``.

    :raises SearchError: a field that cannot be faceted
    """
    if name in FACETS:
        return FACETS[name], ""
    if qp.is_meta_field(name):
        return "meta", schema.meta_prefix(name)
    raise SearchError(f"Cannot facet on field '{name}'")


def _nothing():
    return wq.NullQuery


def _any(queries):
    queries = [q for q in queries if q is not wq.NullQuery]
    if not queries:
        return _nothing()
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _text(text):
    """Free text: the stemmed words as a phrase, or the punctuation-free word(s)."""
    if "*" in text:
        pattern = search_text.normalize_word(text)
        if pattern.strip("*") == "":
            return wq.Every()
        return wq.Wildcard("text_norm", pattern)
    words = search_text.stemmed_words(text)
    norm = search_text.normalized_text(text).split()
    options = []
    if words:
        options.append(wq.Term("text", words[0]) if len(words) == 1
                       else wq.Phrase("text", words))
    if norm:
        options.append(wq.Term("text_norm", norm[0]) if len(norm) == 1
                       else wq.Phrase("text_norm", norm))
    if not options:
        return wq.Every()  # only punctuation: matches everything, like the SQL search
    return _any(options)


def _exact(field, value):
    if "*" in value or "?" in value:
        return wq.Wildcard(field, value)
    return wq.Term(field, value)


_GROUPS = Prepared(lambda value: Group.select(Group.id, Group.is_organization)
                   .where((Group.name == value) | (Group.id == value)))
_MEMBERSHIPS = Prepared(lambda user_id: Membership.select(Membership.group, Membership.role)
                        .where(Membership.user == user_id))


def _group_ids(value, is_organization):
    return [g.id for g in _GROUPS.all(value) if g.is_organization or not is_organization]


def _term(field, value):
    if value == "*":
        return wq.Every()
    if field in _EXACT:
        return _exact(_EXACT[field], value)
    if field == "organization":
        return _any([wq.Term("owner_org", gid) for gid in _group_ids(value, True)])
    if field == "groups":
        return _any([wq.Term("groups", gid) for gid in _group_ids(value, False)])
    if field in ("capacity", "private"):
        private = value.lower() in ("private", "true")
        return wq.Term("private", "true" if private else "false")
    if field in _DATES:
        return _range(qp.Range(field, value, value))
    if field == "text":
        return _text(value)
    if field == "creator":
        return _any([wq.Term("creator_user_id", u.id)
                     for u in User.select(User.id).where(User.name == value)])
    if qp.is_meta_field(field):
        options = [_exact("meta", schema.meta_prefix(field) + value)]
        number = qp.as_number(value)
        if number is not None:
            options.append(wq.Term("meta_num", schema.number_term(field, number)))
        return _any(options)
    raise SearchError(f"Unknown field '{field}'")


def _range(node):
    excl = not node.inclusive
    if node.field in _DATES:
        low = qp.parse_time(node.low, node.field)
        high = qp.parse_time(node.high, node.field)
        if low is None and high is None:
            return wq.Every()
        if low is not None and high is not None and low > high:
            return _nothing()
        return wq.DateRange(node.field, low, high, startexcl=excl, endexcl=excl)
    if qp.is_meta_field(node.field):
        low, high = qp.as_number(node.low), qp.as_number(node.high)
        numeric = ((node.low is None or low is not None)
                   and (node.high is None or high is not None))
        prefix = schema.meta_prefix(node.field)
        if numeric and (low is not None or high is not None):
            return wq.TermRange(
                "meta_num", prefix if low is None else schema.number_term(node.field, low),
                prefix + "g" if high is None else schema.number_term(node.field, high),
                startexcl=excl, endexcl=excl)  # "g" sorts after every hex digit
        # dates and times in ISO form sort like text
        return wq.TermRange("meta", prefix + (node.low or ""),
                            prefix + (node.high or "\U0010ffff"),
                            startexcl=excl, endexcl=excl)
    raise SearchError(f"Range queries are not supported for field '{node.field}'")


class _WhooshTarget:
    """Whoosh queries for the nodes of a query tree (see :func:`dcorlite.query.translate`)."""

    match_all = staticmethod(wq.Every)
    text = staticmethod(_text)
    term = staticmethod(_term)
    range = staticmethod(_range)
    negate = staticmethod(lambda query: wq.And([wq.Every(), wq.Not(query)]))
    all_of = staticmethod(wq.And)
    any_of = staticmethod(wq.Or)


def translate(node):
    """Translate a :mod:`dcorlite.query` tree into a Whoosh query.

    :raises SearchError: unknown fields, invalid dates or ranges
    """
    return qp.translate(node, _WhooshTarget)


def _terms(field, values):
    return [wq.Term(field, v) for v in values]


def permission_filter(user, include_private, include_drafts):
    """The documents ``user`` may list: :func:`authz.visible_datasets_condition` for Whoosh."""
    states = _any(_terms("state", ["active"] + (["draft"] if include_drafts else [])))
    not_private = wq.Term("private", "false")
    if user is not None and user.sysadmin:
        return states if include_private else wq.And([states, not_private])
    public = wq.And([wq.Term("state", "active"), not_private])
    if user is None:
        return public
    memberships = _MEMBERSHIPS.all(user.id)
    my_groups = [m.group_id for m in memberships]
    my_write_groups = [m.group_id for m in memberships if m.role in WRITE_ROLES]
    visible = [public]
    if include_private:
        readable = (_terms("owner_org", my_groups) + _terms("groups", my_groups)
                    + [wq.Term("collaborators", user.id)])
        visible.append(wq.And([wq.Term("state", "active"), wq.Or(readable)]))
    if include_drafts:
        editable = (_terms("owner_org", my_write_groups)
                    + [wq.Term("collaborator_editors", user.id),
                       wq.Term("creator_user_id", user.id)])
        draft = [wq.Term("state", "draft"), wq.Or(editable)]
        visible.append(wq.And(draft if include_private else draft + [not_private]))
    return wq.And([states, wq.Or(visible)])
