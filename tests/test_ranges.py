"""``Range`` requests per RFC 9110 §14: the parser and the byte-serving routes."""
import pytest
import requests

from dcorlite.datasets import update_dataset
from dcorlite.jobs.queue import drain
from dcorlite.plugins.ckan_api.actions_datasets import dc_problems
from dcorlite.serving import IGNORE, UNSATISFIABLE, parse_byte_range

pytestmark = pytest.mark.sqlite_only

U, I = UNSATISFIABLE, IGNORE
HUGE = str(10 ** 30)
LONG = "9" * 5000  # longer than Python converts to int by default

PARSER_CASES = [
    # size 100: single ranges
    (100, None, I),
    (100, "bytes=0-0", (0, 1)),
    (100, "bytes=0-99", (0, 100)),
    (100, "bytes=10-19", (10, 20)),
    (100, "bytes=000-009", (0, 10)),
    (100, "bytes=0-", (0, 100)),
    (100, "bytes=99-", (99, 100)),
    (100, "bytes=99-99", (99, 100)),
    (100, "bytes=100-", U),
    (100, "bytes=100-200", U),
    (100, f"bytes={HUGE}-", U),
    (100, f"bytes={LONG}-", U),
    (100, "bytes=50-100", (50, 100)),
    (100, f"bytes=50-{HUGE}", (50, 100)),
    (100, f"bytes=0-{LONG}", (0, 100)),
    (100, "bytes=20-10", I),
    (100, "bytes=100-99", I),
    (100, f"bytes={HUGE}1-{HUGE}", I),
    (100, f"bytes={LONG}-{LONG[1:]}", I),
    (100, f"bytes={HUGE}-{HUGE}1", U),
    # size 100: suffix ranges
    (100, "bytes=-1", (99, 100)),
    (100, "bytes=-10", (90, 100)),
    (100, "bytes=-100", (0, 100)),
    (100, "bytes=-101", (0, 100)),
    (100, "bytes=-99999999", (0, 100)),
    (100, f"bytes=-{HUGE}", (0, 100)),
    (100, f"bytes=-{LONG}", (0, 100)),
    (100, "bytes=-0", U),
    (100, "bytes=-000", U),
    # size 100: more than one range is ignored
    (100, "bytes=0-1,5-9", I),
    (100, "bytes=0-1, 5-9", I),
    (100, "bytes=0-0,-1", I),
    (100, "bytes=0-1,0-1", I),
    (100, "bytes=-0,-0", I),
    (100, "bytes=200-300,400-500", I),
    (100, "bytes=0-1,a-b", I),
    # size 100: other units, syntax errors
    (100, "items=0-1", I),
    (100, "bytesx=0-1", I),
    (100, "Bytes=0-1", (0, 2)),
    (100, "BYTES=-1", (99, 100)),
    (100, "", I),
    (100, "bytes", I),
    (100, "bytes0-1", I),
    (100, "=0-1", I),
    (100, "bytes=", I),
    (100, "bytes=-", I),
    (100, "bytes=,", I),
    (100, "bytes=, ,", I),
    (100, "bytes=a-b", I),
    (100, "bytes=5-a", I),
    (100, "bytes=a-5", I),
    (100, "bytes=0-1-2", I),
    (100, "bytes=--1", I),
    (100, "bytes=-1-", I),
    (100, "bytes=-5-10", I),
    (100, "bytes=5--10", I),
    (100, "bytes=-5--1", I),
    (100, "bytes=+5-", I),
    (100, "bytes=5-+9", I),
    (100, "bytes=0x1-", I),
    (100, "bytes=1.5-", I),
    (100, "bytes=1e2-", I),
    (100, "bytes=\u00b2-", I),  # superscript two: str.isdigit() but not DIGIT
    (100, "bytes=\u0661-", I),  # Arabic-Indic one
    (100, "bytes=0-1;q=1", I),
    # size 100: whitespace (OWS around the field value and next to commas only)
    (100, " bytes=0-1 ", (0, 2)),
    (100, "\tbytes=0-1\t", (0, 2)),
    (100, "bytes=0-1,", (0, 2)),
    (100, "bytes=0-1 ,", (0, 2)),
    (100, "bytes=0-1\t, ", (0, 2)),
    (100, "bytes=,0-1", (0, 2)),
    (100, "bytes= ,0-1", (0, 2)),
    (100, "bytes=, \t0-1", (0, 2)),
    (100, "bytes=,,-1,,", (99, 100)),
    (100, "bytes= 0-1", I),
    (100, "bytes =0-1", I),
    (100, "bytes = 0-1", I),
    (100, "bytes=0 -1", I),
    (100, "bytes=0- 1", I),
    (100, "bytes=- 1", I),
    (100, "bytes=0-1 5-9", I),
    (100, "bytes=0-1\n", I),
    (100, "bytes=0-1\r", I),
    (100, "bytes=\x0b0-1", I),
    # size 1
    (1, None, I),
    (1, "bytes=0-0", (0, 1)),
    (1, "bytes=0-", (0, 1)),
    (1, "bytes=0-5", (0, 1)),
    (1, f"bytes=0-{HUGE}", (0, 1)),
    (1, "bytes=1-", U),
    (1, "bytes=1-1", U),
    (1, "bytes=-1", (0, 1)),
    (1, "bytes=-2", (0, 1)),
    (1, "bytes=-99999999", (0, 1)),
    (1, "bytes=-0", U),
    (1, "bytes=1-0", I),
    (1, "bytes=0-0,0-0", I),
    (1, "bytes=a-b", I),
    # size 0: every range is unsatisfiable, an invalid header is still ignored
    (0, None, I),
    (0, "bytes=0-", U),
    (0, "bytes=0-0", U),
    (0, "bytes=0-99", U),
    (0, f"bytes={HUGE}-", U),
    (0, "bytes=-1", U),
    (0, "bytes=-0", U),
    (0, "bytes=-99999999", U),
    (0, f"bytes=-{LONG}", U),
    (0, "bytes=1-0", I),
    (0, "bytes=0-1,5-9", I),
    (0, "bytes=a-b", I),
    (0, "bytes=", I),
    (0, "bytes=-", I),
    (0, "items=0-", I),
]


@pytest.mark.parametrize("size,header,expected", PARSER_CASES)
def test_parse_byte_range(size, header, expected):
    assert parse_byte_range(header, size) == expected


# --- end to end, through waitress ------------------------------------------------

#: Headers that must be identical in the answers to GET and HEAD.
COMPARED = ("Accept-Ranges", "Content-Disposition", "Content-Length", "Content-Range",
            "Content-Type", "ETag")


@pytest.fixture
def public_resource(app, make_user, make_circle, make_dataset, make_resource, rtdc_path):
    """An active public dataset with the RT-DC test file (processed) and an empty file."""
    owner = make_user("ranger")
    dataset = make_dataset(owner, make_circle(owner), active=False)
    resource = make_resource(owner, dataset, rtdc_path)
    empty = make_resource(owner, dataset, b"", name="empty.txt")
    update_dataset(owner, dataset, {"state": "active"}, dc_problems)
    drain(app)
    return resource, empty, rtdc_path.read_bytes()


def download_url(live_server, resource):
    return (f"{live_server}/dataset/{resource.dataset_id}/resource/{resource.id}"
            f"/download/{resource.name}")


def basin_url(live_server, resource):
    answer = requests.get(f"{live_server}/api/3/action/dcserv",
                          params={"id": resource.id, "query": "basins"}, timeout=10)
    [basin] = [b for b in answer.json()["result"] if b["name"].startswith("resource")]
    [url] = basin["urls"]
    assert "?" not in url and url.endswith(f"/files/{resource.id}/resource")  # unsigned
    return url


@pytest.fixture(params=["download", "files"])
def original(request, live_server, public_resource):
    """``(url, content)`` of the original file through the download or the basin route."""
    resource, _, content = public_resource
    url_of = download_url if request.param == "download" else basin_url
    return url_of(live_server, resource), content


def fetch(url, **headers):
    """GET and HEAD with ``headers``; the HEAD answer must match the GET answer."""
    got = requests.get(url, headers=headers, timeout=10)
    head = requests.head(url, headers=headers, timeout=10)
    assert head.status_code == got.status_code and head.content == b""
    assert {h: head.headers.get(h) for h in COMPARED} == {h: got.headers.get(h) for h in COMPARED}
    assert got.headers["Accept-Ranges"] == "bytes"
    assert int(got.headers["Content-Length"]) == len(got.content)
    return got


def assert_whole(answer, content):
    assert answer.status_code == 200 and answer.content == content
    assert "Content-Range" not in answer.headers


def assert_partial(answer, content, start, stop):
    assert answer.status_code == 206 and answer.content == content[start:stop]
    assert answer.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(content)}"


def assert_unsatisfiable(answer, size):
    assert answer.status_code == 416 and answer.content == b""
    assert answer.headers["Content-Range"] == f"bytes */{size}"


def test_suffix_ranges(original):
    url, content = original
    size = len(content)
    assert_unsatisfiable(fetch(url, Range="bytes=-0"), size)
    assert_partial(fetch(url, Range="bytes=-99999999"), content, 0, size)
    assert_partial(fetch(url, Range=f"bytes=-{size}"), content, 0, size)
    assert_partial(fetch(url, Range="bytes=-10"), content, size - 10, size)


def test_int_ranges(original):
    url, content = original
    size = len(content)
    assert_partial(fetch(url, Range="bytes=100-199"), content, 100, 200)
    assert_partial(fetch(url, Range="bytes=0-0"), content, 0, 1)
    assert_partial(fetch(url, Range=f"bytes={size - 10}-"), content, size - 10, size)
    assert_partial(fetch(url, Range=f"bytes=10-{10 ** 30}"), content, 10, size)
    assert_partial(fetch(url, Range=f"bytes={size - 1}-{size}"), content, size - 1, size)
    assert_unsatisfiable(fetch(url, Range=f"bytes={size}-"), size)
    assert_unsatisfiable(fetch(url, Range=f"bytes={10 ** 30}-"), size)


def test_ignored_ranges(original):
    url, content = original
    assert_whole(fetch(url), content)
    for header in ("bytes=0-1,5-9", "bytes=0-1, 5-9", "bytes=20-10", "items=0-9",
                   "bytes=", "bytes=-", "bytes=a-b", "bytes= 0-9"):
        assert_whole(fetch(url, Range=header), content)


def test_if_range(original):
    url, content = original
    etag = requests.head(url, timeout=10).headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert_partial(fetch(url, Range="bytes=0-9", **{"If-Range": etag}), content, 0, 10)
    for other in ('"not-the-etag"', f"W/{etag}", etag.strip('"'),
                  "Wed, 21 Oct 2015 07:28:00 GMT"):
        assert_whole(fetch(url, Range="bytes=0-9", **{"If-Range": other}), content)
    # If-Range without Range changes nothing
    assert_whole(fetch(url, **{"If-Range": '"not-the-etag"'}), content)


def test_if_none_match_still_gives_304(original):
    url, _ = original
    etag = requests.head(url, timeout=10).headers["ETag"]
    answer = requests.get(url, headers={"If-None-Match": etag, "Range": "bytes=0-9"},
                          timeout=10)
    assert answer.status_code == 304 and answer.content == b""


def test_empty_file(live_server, public_resource):
    _, empty, _ = public_resource
    url = download_url(live_server, empty)
    assert_whole(fetch(url), b"")
    for header in ("bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0", "bytes=-99999999"):
        assert_unsatisfiable(fetch(url, Range=header), 0)
    assert_whole(fetch(url, Range="bytes=a-b"), b"")


def test_without_the_waitress_file_wrapper(client, public_resource):
    """The Flask test client has no ``wsgi.file_wrapper``: ``_limited_chunks`` streams."""
    resource, _, content = public_resource
    url = f"/dataset/{resource.dataset_id}/resource/{resource.id}/download/{resource.name}"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == content[100:200]
    suffix = client.get(url, headers={"Range": "bytes=-99999999"})
    assert suffix.status_code == 206 and suffix.data == content
    assert client.get(url, headers={"Range": "bytes=-0"}).status_code == 416
    whole = client.get(url, headers={"Range": "bytes=0-1,5-9"})
    assert whole.status_code == 200 and whole.data == content
