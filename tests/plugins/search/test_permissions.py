"""The index filters by permission exactly like ``authz.visible_datasets_condition``.

The tests marked ``search_backends`` also check the PostgreSQL backend.
"""
import itertools

import pytest

from dcorlite import authz, datasets, groups
from dcorlite.models import Dataset
from dcorlite.search import SearchQuery
from tests import test_authz
from tests.fixtures.app import index_pending
from tests.test_authz import MATRIX, ROLES, SEARCH_FLAGS, world  # noqa: F401  (fixture)


@pytest.mark.search_backends
@pytest.mark.parametrize("role,readable,editable", MATRIX, ids=ROLES)
def test_matrix_results_counts_and_facets(index_only, world, api, role,  # noqa: F811
                                          readable, editable):
    """tests/test_authz.py's search expectations, answered by the index alone."""
    test_authz.test_search_results_and_counts(world, api, role, readable, editable)


def _from_index(backend_search, user, include_private, include_drafts, fq=None):
    from dcorlite import query as qp
    query = SearchQuery(rows=1000, include_private=include_private,
                        include_drafts=include_drafts,
                        fq=qp.parse(fq) if fq else qp.MatchAll(),
                        facet_fields=["organization", "state"])
    return backend_search(query, user)


def _from_sql(user, include_private, include_drafts):
    cond = authz.visible_datasets_condition(user, include_private, include_drafts)
    return {d.id for d in Dataset.select(Dataset.id).where(cond)}


@pytest.mark.search_backends
def test_same_sets_as_visible_datasets_condition(app, world, make_dataset,  # noqa: F811
                                                 make_collection, backend_search):
    """Every role and flag combination, also after ties change and a dataset is deleted."""
    admin = world.users["circle_admin"]
    # a shared private draft in a second collection, a deleted draft, new ties
    other = make_collection(admin, name="other-coll",
                            members={world.users["unrelated"]: "editor"})
    extra = make_dataset(world.users["circle_editor"], world.circle, private=True,
                         active=False, title="x")
    datasets.set_in_collection(extra, other, True)
    datasets.share(extra, world.users["collab_member"], "editor")
    gone = make_dataset(admin, world.circle, active=False, title="gone")
    datasets.delete_dataset(admin, gone)
    groups.set_member(world.circle, world.users["collab_member"], "member")

    def compare():
        index_pending(app)
        for role, (private, drafts) in itertools.product(ROLES, SEARCH_FLAGS):
            user = world.users[role]
            result = _from_index(backend_search, user, private, drafts)
            expected = _from_sql(user, private, drafts)
            assert set(result.ids) == expected, (role, private, drafts)
            assert result.count == len(expected)
            assert sum(result.facets["state"].values()) == len(expected)
            assert gone.id not in result.ids

    compare()
    groups.remove_member(world.circle, world.users["collab_member"])
    datasets.unshare(extra, world.users["collab_member"])
    compare()


@pytest.mark.search_backends
def test_fq_cannot_widen_the_filter(app, index_only, world, backend_search):  # noqa: F811
    """``state:draft``, ``capacity:private`` or ``id:`` never reach unreadable datasets."""
    index_pending(app)
    secret = world.datasets[test_authz.OTHER_PRIVATE].id
    for fq in ("state:draft", "capacity:private", f"id:{secret}", "*:*",
               f"-id:{secret}", "private:true OR state:deleted"):
        for role in ("anonymous", "unrelated", "collection_member", "collab_editor"):
            result = _from_index(backend_search, world.users[role], True, True, fq=fq)
            assert secret not in result.ids, (fq, role)
