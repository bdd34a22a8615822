"""The Solr/CKAN query parser (shared by the SQL fallback and the index)."""
import pytest

from dcorlite.errors import SearchError
from dcorlite.query import And, MatchAll, Not, Or, Range, Term, Text, parse


@pytest.mark.parametrize("text, tree", [
    ("", MatchAll()),
    ("*:*", MatchAll()),
    # a leading "+" arrives as a space after form decoding
    (" creator_user_id:u1", Term("creator_user_id", "u1")),
    ("+groups:g", Term("groups", "g")),
    ("(-creator_user_id:u AND (organization:a OR organization:b))",
     And((Not(Term("creator_user_id", "u")),
          Or((Term("organization", "a"), Term("organization", "b")))))),
    ("organization:c AND metadata_modified:[2023-11-14T22\\:13\\:20Z TO NOW]",
     And((Term("organization", "c"),
          Range("metadata_modified", "2023-11-14T22:13:20Z", "NOW")))),
    ("state:(active OR draft)", Or((Term("state", "active"), Term("state", "draft")))),
    ('title:"two words" NOT tags:x', And((Term("title", "two words"), Not(Term("tags", "x"))))),
    ("flow rate", And((Text("flow"), Text("rate")))),
    ("dc\\:setup\\:flow\\ rate:[0.04 TO *]", Range("dc:setup:flow rate", "0.04", None)),
])
def test_parse(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text", ["(a", "a)", "a AND", "OR b", "x:[1 TO", "x:(", 'x:"open',
                                  "(" * 60 + "a" + ")" * 60])
def test_bad_queries_raise_search_error(text):
    with pytest.raises(SearchError):
        parse(text)
