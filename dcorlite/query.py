"""A parser for the Solr/CKAN query grammar that CKAN clients send.

It turns ``q`` and ``fq`` strings into a small syntax tree and knows nothing
about where datasets are stored, so the SQL fallback and the search index
translate the same tree.

Grammar (Lucene standard syntax, the subset used by CKAN clients)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          # juxtaposition means AND
    unary   := ["+" | "-" | "NOT"] primary
    primary := "(" query ")" | "*:*" | field ":" value | word | "phrase"
    value   := word | "phrase" | "[" lo "TO" hi "]" | "{" lo "TO" hi "}"
               | "(" value (["OR"|"AND"] value)* ")"
"""
import dataclasses
import datetime
import functools
import operator
import re

from .errors import SearchError

MAX_QUERY_LENGTH = 10000
MAX_DEPTH = 50


@dataclasses.dataclass(frozen=True)
class MatchAll:
    """``*:*``"""


@dataclasses.dataclass(frozen=True)
class Text:
    """Free text: a word or a phrase to find in the searchable text."""
    text: str


@dataclasses.dataclass(frozen=True)
class Term:
    """``field:value``; ``value`` may contain ``*`` wildcards."""
    field: str
    value: str


@dataclasses.dataclass(frozen=True)
class Range:
    """``field:[lo TO hi]``; ``None`` bounds are open (``*``)."""
    field: str
    low: str | None
    high: str | None
    inclusive: bool = True


@dataclasses.dataclass(frozen=True)
class And:
    children: tuple


@dataclasses.dataclass(frozen=True)
class Or:
    children: tuple


@dataclasses.dataclass(frozen=True)
class Not:
    child: object


_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<phrase>"(?:[^"\\]|\\.)*")
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<lbr>[\[{])
  | (?P<rbr>[\]}])
  | (?P<word>(?:[^\s()\[\]{}"\\]|\\.)+)
""", re.VERBOSE | re.DOTALL)


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise SearchError(f"cannot parse query at position {pos}: {text[pos:pos + 20]!r}")
        kind = match.lastgroup
        if kind != "ws":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def unescape(text):
    """Remove Lucene backslash escapes (``2023-11-14T22\\:13`` → ``2023-11-14T22:13``)."""
    return re.sub(r"\\(.)", r"\1", text)


def _split_field(word):
    """Split ``field:value`` at the first unescaped colon; (None, word) if none."""
    match = re.match(r"^((?:[^:\\]|\\.)+):(.*)$", word, re.DOTALL)
    if match is None:
        return None, word
    return unescape(match.group(1)), match.group(2)


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def parse(self):
        node = self.parse_or()
        if self.peek()[0] is not None:
            raise SearchError(f"unexpected {self.peek()[1]!r}")
        return node

    def parse_or(self):
        children = [self.parse_and()]
        while self.peek() == ("word", "OR"):
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self):
        children = [self.parse_unary()]
        while True:
            kind, value = self.peek()
            if kind is None or kind == "rpar" or value == "OR":
                break
            if value == "AND":
                self.take()
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self):
        kind, value = self.peek()
        if kind is None:
            raise SearchError("query ends where a term was expected")
        if value == "NOT":
            self.take()
            return Not(self.parse_primary())
        if kind == "word" and value in ("+", "-"):
            self.take()
            child = self.parse_primary()
            return Not(child) if value == "-" else child
        if kind == "word" and value[0] in "+-" and len(value) > 1:
            self.tokens[self.pos] = ("word", value[1:])
            child = self.parse_primary()
            return Not(child) if value[0] == "-" else child
        return self.parse_primary()

    def parse_primary(self):
        kind, value = self.take()
        if kind == "lpar":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SearchError("query nested too deeply")
            node = self.parse_or()
            if self.take()[0] != "rpar":
                raise SearchError("missing closing parenthesis")
            self.depth -= 1
            return node
        if kind == "phrase":
            return Text(unescape(value[1:-1]))
        if kind != "word" or value in ("AND", "OR"):
            raise SearchError(f"unexpected {value!r}")
        if value == "*:*":
            return MatchAll()
        field, rest = _split_field(value)
        if field is None:
            return Text(unescape(value))
        if rest:
            if rest.startswith('"'):
                raise SearchError(f"unterminated phrase in {value!r}")
            return Term(field, unescape(rest))
        return self.parse_field_value(field)

    def parse_field_value(self, field):
        kind, value = self.take()
        if kind == "phrase":
            return Term(field, unescape(value[1:-1]))
        if kind == "lbr":
            low = self.take()
            to = self.take()
            high = self.take()
            end = self.take()
            if low[0] != "word" or to != ("word", "TO") or high[0] != "word" or end[0] != "rbr":
                raise SearchError(f"invalid range for field '{field}'")
            return Range(field, None if low[1] == "*" else unescape(low[1]),
                         None if high[1] == "*" else unescape(high[1]), value == "[")
        if kind == "lpar":
            values, op = [], Or
            while self.peek()[0] not in ("rpar", None):
                k, v = self.take()
                if v == "OR":
                    continue
                if v == "AND":
                    op = And
                    continue
                if k not in ("word", "phrase"):
                    raise SearchError(f"unexpected {v!r} in value list of '{field}'")
                values.append(Term(field, unescape(v[1:-1] if k == "phrase" else v)))
            if self.take()[0] != "rpar" or not values:
                raise SearchError(f"invalid value list for field '{field}'")
            return values[0] if len(values) == 1 else op(tuple(values))
        raise SearchError(f"missing value for field '{field}'")


def parse(text):
    """Parse a ``q`` or ``fq`` string into a tree; empty text matches all.

    :raises SearchError: for unbalanced parentheses, dangling operators, …
    """
    if text is None or not str(text).strip():
        return MatchAll()
    text = str(text)
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchError("query too long")
    tokens = _tokenize(text)
    return _Parser(tokens).parse()


def fields_of(node):
    """Yield every field name used in ``node``."""
    if isinstance(node, (Term, Range)):
        yield node.field
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from fields_of(child)
    elif isinstance(node, Not):
        yield from fields_of(node.child)


#: ``dc:<section>:<key>`` / ``sp:<section>:<key>``: the characters dclab and
#: the supplement schema use, so a field name is always safe to put in a JSON path
_META_FIELD = re.compile(r"(dc|sp):[A-Za-z0-9_ .:()/-]{1,200}")


def is_meta_field(field):
    """True for a well-formed ``dc:…`` or ``sp:…`` resource metadata field."""
    return _META_FIELD.fullmatch(field) is not None


def as_number(value):
    """``value`` as a finite float, or None if it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


_DATE_MATH = re.compile(r"^NOW(?:([+-])(\d+)(DAY|DAYS|HOUR|HOURS|MINUTE|MINUTES))?$")


def parse_time(value, field):
    """Parse ``NOW``, ``NOW-7DAYS`` or an ISO 8601 date into naive UTC (None stays None).

    :raises SearchError: for anything else, also for dates out of range
    """
    if value is None:
        return None
    try:
        return _solr_time(value)
    except (ValueError, OverflowError):
        raise SearchError(f"Invalid date '{value}' for field '{field}'") from None


def _solr_time(value):
    match = _DATE_MATH.match(value)
    if match:
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if match.group(1):
            unit = match.group(3).rstrip("S").lower() + "s"
            delta = datetime.timedelta(**{unit: int(match.group(2))})
            now = now + delta if match.group(1) == "+" else now - delta
        return now
    ts = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is not None:
        ts = ts.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return ts


class BooleanTarget:
    """The negation and the conjunctions of :func:`translate` for targets whose
    conditions combine with ``~``, ``&`` and ``|`` (peewee expressions);
    subclasses add ``match_all``, ``text``, ``term`` and ``range``."""

    negate = staticmethod(lambda cond: ~cond)
    all_of = staticmethod(lambda conds: functools.reduce(operator.and_, conds))
    any_of = staticmethod(lambda conds: functools.reduce(operator.or_, conds))


def translate(node, target):
    """Turn a query tree into a backend's query by calling ``target`` for each node.

    ``target`` provides ``match_all()``, ``text(text)``, ``term(field, value)``,
    ``range(node)``, ``negate(query)``, ``all_of(queries)`` and ``any_of(queries)``;
    the SQL fallback and the search index are two such targets.

    :raises SearchError: for elements the tree should never contain
    """
    if isinstance(node, MatchAll):
        return target.match_all()
    if isinstance(node, Text):
        return target.text(node.text)
    if isinstance(node, Term):
        return target.term(node.field, node.value)
    if isinstance(node, Range):
        return target.range(node)
    if isinstance(node, Not):
        return target.negate(translate(node.child, target))
    if isinstance(node, (And, Or)):
        parts = [translate(child, target) for child in node.children]
        return target.all_of(parts) if isinstance(node, And) else target.any_of(parts)
    raise SearchError(f"Unsupported query element {node!r}")
