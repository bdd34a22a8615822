"""schemathesis against a live ``dcorlite serve``: thousands of generated requests, no 5xx.

One run, loopback only, in a temporary directory removed at the end:

1. ``dcorlite serve`` on a fresh SQLite instance with a user (not a
   sysadmin), its API token, a circle and a draft dataset in it;
2. the server's own OpenAPI description (``/api/3/openapi.json``, made from
   the action registry) loaded with ``schemathesis.openapi.from_url``; for
   every operation (GET and POST of every action) cases are drawn from its
   hypothesis strategy, in schemathesis' positive mode (values that fit the
   schema) and negative mode (values that do not), ``--cases`` in all spread
   evenly over operations and modes; an operation whose strategy runs out of
   distinct cases gives its share to the others in further rounds;
3. every case is sent with ``case.call``, alternately anonymously and with
   the user's token, and every answer is checked with
   ``tests.fuzz.envelope.envelope_problem`` (a CKAN envelope with a fitting
   status; HEAD and OPTIONS answers only need a status < 500);
4. a small hand corpus of what schemathesis does not generate (deep JSON
   nesting, lone surrogates, NUL, invalid UTF-8, non-finite and huge numbers,
   bad ``Host`` ports, odd methods and paths), sent over a raw socket;
   ``tests/plugins/ckan_api/test_hostile_input.py`` has the full one.

Printed: cases sent, counts per status code, the number of 5xx answers and
of answers that are not CKAN envelopes, the first problems with a curl
command that reproduces them, the server log's errors, and the runtime.
Targets: 0 answers >= 500 and 0 non-envelope answers under ``/api/``.

Usage::

    python benchmarks/fuzz.py [--cases 6000] [--seed 0]
"""
import argparse
import collections
import importlib.metadata
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile
import time
import warnings

import requests

import harness  # benchmarks/harness.py, next to this script

sys.path.insert(0, harness.REPO)
from tests.fuzz.envelope import BODILESS, envelope_problem  # noqa: E402

MODES = ("positive", "negative")
MAX_ROUNDS = 4
SHOWN_PROBLEMS = 5
TIMEOUT = 60


# -- recording answers -------------------------------------------------------------

class Tally:
    """What came back: status counts, 5xx, non-envelope answers, the first problems."""

    def __init__(self, token):
        self.token = token
        self.sent = 0
        self.statuses = collections.Counter()
        self.server_errors = 0
        self.not_envelope = 0
        self.transport_errors = 0
        #: {kind: [first text, its curl command, count, {operations}]}
        self.problems = {}

    def record(self, method, path, status, content, request=None, label=None):
        """Count one answer; keep it if it is a problem. ``path`` decides the envelope rule."""
        self.sent += 1
        self.statuses[status] += 1
        problem = None
        if status >= 500:
            self.server_errors += 1
            problem = f"{status} answer"
        if method.upper() not in BODILESS and path.startswith("/api/"):
            envelope = envelope_problem(status, content)
            if envelope and status < 500:
                self.not_envelope += 1
            problem = envelope or problem
        elif status >= 500:
            problem = f"{method} answered {status}"
        if problem:
            self.keep(problem, request, label or f"{method} {path.split('?')[0]}")

    def record_failure(self, exc, request=None, label=""):
        """Count a request that got no answer (connection reset, timeout)."""
        self.sent += 1
        self.transport_errors += 1
        self.statuses["no answer"] += 1
        self.keep(f"no answer: {type(exc).__name__}: {exc}", request, label)

    def keep(self, problem, request, label):
        """Count ``problem``; keep the first of its kind (status and text start) with a curl."""
        kind = problem[:40]
        if kind not in self.problems:
            self.problems[kind] = [f"{label}: {problem}",
                                   curl(request, self.token) if request else "", 0, set()]
        self.problems[kind][2] += 1
        self.problems[kind][3].add(label)


def curl(request, token, limit=300):
    """A curl command line for a ``requests.PreparedRequest`` (the token shown as $TOKEN).

    URLs and bodies longer than ``limit`` are cut, with a note of their length.
    """
    url = request.url
    if len(url) > limit:
        url = url[:limit]
        note = [f"# URL cut at {limit} of {len(request.url)} bytes"]
    else:
        note = []
    parts = ["curl", "-X", request.method, shlex.quote(url)]
    for name, value in request.headers.items():
        if name.lower() == "authorization" and value == token:
            parts += ["-H", '"Authorization: $TOKEN"']
        elif name.lower() in ("content-type", "host"):
            parts += ["-H", shell_quote(f"{name}: {value}")]
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if body:
        parts += ["--data-binary", shell_quote(body[:limit])]
        if len(body) > limit:
            note.append(f"# body cut at {limit} of {len(body)} bytes")
    return " ".join(parts + note)


def shell_quote(value):
    """``value`` (text or bytes) for bash: plain quotes, or ``$'...'`` with escapes."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if all(32 <= b < 127 for b in data):
        return shlex.quote(data.decode())
    return "$'" + "".join(chr(b) if 32 <= b < 127 and b not in b"'\\" else f"\\x{b:02x}"
                          for b in data) + "'"


# -- the schemathesis part ---------------------------------------------------------

def operations(schema):
    """Every operation of the schema that loaded; problems with the others are printed."""
    found = []
    for result in schema.get_all_operations():
        try:
            found.append(result.ok())
        except Exception:  # an operation schemathesis could not read
            print(f"WARNING: operation not loaded: {result.err()}")
    return found


def draw_and_send(operation, mode, budget, seed, base_url, tally, auth_cycle):
    """Draw up to ``budget`` cases of ``operation`` in ``mode`` and send each.

    :returns: how many were sent (fewer if the strategy ran out of distinct cases)
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation.modes import GenerationMode
    sent = [0]

    @hypothesis_seed(seed)
    @settings(max_examples=budget, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    def send(case):
        sent[0] += 1
        headers = next(auth_cycle)
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            tally.record_failure(exc, getattr(exc, "request", None))
            return
        tally.record(case.method, response.request.path_url, response.status_code,
                     response.content, response.request)

    try:
        send()
    except Unsatisfiable:
        return sent[0], "no case (nothing to make invalid: the operation has no parameters)"
    except Exception as exc:  # anything else that keeps schemathesis from generating
        return sent[0], f"{type(exc).__name__}: {str(exc).splitlines()[0][:150]}"
    return sent[0], None


def fuzz(schema, cases, seed, base_url, tally):
    """Spread ``cases`` over all operations and both modes, in rounds.

    :returns: ``(number of operations, {operation [mode]: why it generated nothing})``
    """
    ops = operations(schema)
    pairs = [(op, mode) for op in ops for mode in MODES]
    open_pairs, notes = list(pairs), {}

    def auth():
        while True:
            yield {}
            yield {"Authorization": tally.token}
    auth_cycle = auth()
    for round_index in range(MAX_ROUNDS):
        remaining = cases - tally.sent
        if remaining <= 0 or not open_pairs:
            break
        budget = max(1, -(-remaining // len(open_pairs)))
        print(f"round {round_index + 1}: {len(open_pairs)} operation/mode pairs, up to "
              f"{budget} cases each ({tally.sent} sent so far)", flush=True)
        still_open = []
        for op, mode in open_pairs:
            if tally.sent >= cases:
                still_open.append((op, mode))
                continue
            sent, error = draw_and_send(op, mode, min(budget, cases - tally.sent),
                                        seed + round_index, base_url, tally, auth_cycle)
            if error:
                notes[f"{op.label} [{mode}]"] = error
            elif sent >= budget:
                still_open.append((op, mode))
        open_pairs = still_open
    return len(ops), notes


# -- the hand corpus ---------------------------------------------------------------

def raw_request(host, request_bytes):
    """Send ``request_bytes`` to ``host`` ("127.0.0.1:PORT"); return ``(status, body)``."""
    name, port = host.split(":")
    with socket.create_connection((name, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(request_bytes)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def hand_corpus(token):
    """``[(label, method, path, headers, body bytes)]``: what schemathesis does not send."""
    def post(action, body):
        return ("POST", f"/api/3/action/{action}", {"Content-Type": "application/json"},
                body if isinstance(body, bytes) else body.encode())
    corpus = [
        ("deep nesting 2000", *post("package_create",
                                    '{"title": ' + "[" * 2000 + "]" * 2000 + "}")),
        ("deep nesting 100", *post("package_create", '{"title": ' + "[" * 100 + "]" * 100
                                   + "}")),
        ("deep nesting 100000", *post("package_show", "[" * 100000)),
        ("invalid UTF-8", *post("package_show", b'{"id": "\xff\xfe\xfd"}')),
        ("non-finite number", *post("package_search", '{"rows": NaN, "start": Infinity}')),
        ("huge number", *post("package_search", '{"rows": 1' + "0" * 5000 + "}")),
        ("huge exponent", *post("package_search", '{"rows": 1e999999}')),
        ("JSON null body", *post("package_show", "null")),
        ("JSON list body", *post("package_show", "[1, 2]")),
        ("JSON string body", *post("package_show", '"x"')),
        ("duplicate keys", *post("package_show", '{"id": "a", "id": ["b"]}')),
        ("undecodable multipart", "POST", "/api/3/action/package_revise",
         {"Content-Type": "multipart/form-data; boundary=x"},
         b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb'),
        ("PUT on an action", "PUT", "/api/3/action/package_show", {}, b""),
        ("DELETE on an action", "DELETE", "/api/3/action/package_show", {}, b""),
        ("path traversal", "GET", "/api/3/action/../../etc/passwd", {}, b""),
        ("encoded traversal", "GET", "/api/3/action/%2e%2e%2fsecret_key", {}, b""),
        ("NUL in the query", "GET", "/api/3/action/package_show?id=a%00b", {}, b""),
        ("lone surrogate in the query", "GET", "/api/3/action/package_search?q=%ED%A0%80",
         {}, b""),
        ("huge query text", "GET", "/api/3/action/group_list?q=" + "x" * 50000, {}, b""),
        # Not here: a request head over waitress' 256 KiB, which waitress answers itself
        # with a plain-text 431 before the app sees it (docs/architecture.md says so).
    ]
    for action, key in (("package_show", "id"), ("package_search", "q"),
                        ("group_show", "id"), ("resource_show", "id")):
        for value in ("\ud800", "abc\udfff", "a\x00b"):
            corpus.append((f"{action} {key}={value!r}",
                           *post(action, json.dumps({key: value}))))
    for bad in ("x:99999", "a b", "x:-1", "127.0.0.1:" + "9" * 100):
        corpus.append((f"Host: {bad}", "GET", "/api/3/action/status_show", {"Host": bad},
                       b""))
    for i, (label, method, path, headers, body) in enumerate(corpus):
        if i % 2:
            headers = dict(headers, Authorization=token)
        corpus[i] = (label, method, path, headers, body)
    return corpus


def send_hand_corpus(host, token, tally):
    """Send the hand corpus over raw sockets; record every answer in ``tally``."""
    for label, method, path, headers, body in hand_corpus(token):
        headers = {"Host": host, **headers, "Connection": "close",
                   "Content-Length": str(len(body))}
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        request = requests.Request(method, f"http://{host}{path}", data=body,
                                   headers=headers).prepare()
        try:
            status, answer = raw_request(host, head.encode("latin-1") + body)
        except OSError as exc:
            tally.record_failure(exc, request, label)
            continue
        tally.record(method, path, status, answer, request, label)


# -- the report ----------------------------------------------------------------------

def log_errors(log_path, limit=5):
    """``(count, first lines)`` of ERROR/CRITICAL records and tracebacks in the server log."""
    with open(log_path, errors="replace") as fh:
        lines = fh.read().splitlines()
    hits = [i for i, line in enumerate(lines)
            if line.startswith(("ERROR", "CRITICAL", "Traceback"))]
    shown = []
    for i in hits[:limit]:
        shown.append(lines[i])
        shown += [f"    {line.strip()}" for line in lines[i + 1:i + 40]
                  if "/dcorlite/" in line or (line and not line[0].isspace())][:8]
    return len(hits), shown


def print_tally(title, tally):
    """Status counts, 5xx and envelope problems of one tally."""
    statuses = ", ".join(f"{status}: {n}" for status, n in
                         sorted(tally.statuses.items(), key=lambda kv: str(kv[0])))
    print(f"{title}: {tally.sent} requests; per status: {statuses}")
    print(f"  answers >= 500: {tally.server_errors}; non-envelope answers under /api/: "
          f"{tally.not_envelope}; no answer: {tally.transport_errors}")
    if tally.problems:
        print(f"  kinds of problem (by the start of the text): {len(tally.problems)}; "
              f"the first {min(SHOWN_PROBLEMS, len(tally.problems))}, each with its first case:")
    for problem, command, count, labels in list(tally.problems.values())[:SHOWN_PROBLEMS]:
        print(f"  problem ({count}x, {len(labels)} operations: "
              f"{', '.join(sorted(labels)[:6])}{', ...' if len(labels) > 6 else ''}):")
        print(f"    {problem[:400]}")
        if command:
            print(f"    reproduce: {command}")


def parse_args():
    """Command line options (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--cases", type=int, default=6000,
                        help="generated cases in all, spread over operations and modes")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    parser.add_argument("--no-corpus", action="store_true", help="skip the hand corpus")
    args = parser.parse_args()
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    return args


def main():
    args = parse_args()
    import schemathesis
    warnings.simplefilter("ignore")  # hypothesis' and schemathesis' advice is not needed here
    workdir = tempfile.mkdtemp(prefix="dcorlite-fuzz-")
    start = time.perf_counter()
    try:
        with harness.served_instance(workdir) as (_, host, token, circle_id, _):
            base = f"http://{host}"
            requests.post(f"{base}/api/3/action/package_create", timeout=TIMEOUT,
                          headers={"Authorization": token},
                          json={"title": "Fuzz target", "authors": "A. Tester",
                                "license_id": "CC0-1.0", "owner_org": circle_id}
                          ).raise_for_status()
            schema = schemathesis.openapi.from_url(f"{base}/api/3/openapi.json")
            generated = Tally(token)
            fuzz_start = time.perf_counter()
            n_ops, notes = fuzz(schema, args.cases, args.seed, base, generated)
            fuzz_seconds = time.perf_counter() - fuzz_start
            corpus = Tally(token)
            if not args.no_corpus:
                send_hand_corpus(host, token, corpus)
            n_log, log_lines = log_errors(os.path.join(workdir, "dcorlite.log"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"schemathesis {importlib.metadata.version('schemathesis')} against dcorlite serve "
          f"(SQLite), seed {args.seed}: {n_ops} operations, "
          f"modes {'+'.join(MODES)}, anonymous and with a token alternately")
    print_tally("generated cases", generated)
    by_note = collections.defaultdict(list)
    for label, note in notes.items():
        by_note[note].append(label)
    for note, labels in by_note.items():
        print(f"  {len(labels)} operation/mode pairs generated nothing: {note}: "
              f"{', '.join(labels[:8])}{', ...' if len(labels) > 8 else ''}")
    if not args.no_corpus:
        print_tally("hand corpus (raw socket)", corpus)
    print(f"server log: {n_log} ERROR/CRITICAL records or tracebacks")
    for line in log_lines:
        print(f"  {line}")
    bad = generated.server_errors + corpus.server_errors
    odd = generated.not_envelope + corpus.not_envelope
    print(f"runtime: {time.perf_counter() - start:.0f} s in all (server start, generated "
          f"cases {fuzz_seconds:.0f} s = {generated.sent / fuzz_seconds:.0f} cases/s, "
          f"hand corpus)")
    print(f"targets: >= 5000 cases: {generated.sent} "
          f"{'PASS' if generated.sent >= 5000 else 'FAIL'}; 0 answers >= 500: {bad} "
          f"{'PASS' if bad == 0 else 'FAIL'}; 0 non-envelope answers: {odd} "
          f"{'PASS' if odd == 0 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
