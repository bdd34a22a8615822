"""What the scan looks for: the instance's user names, configured words, regexes."""
import dataclasses
import re

from ...models import User

#: A date of birth: an ISO or German date within 30 characters of "birth",
#: "born", "dob" or "geb…" (geb., geboren, Geburtsdatum), on either side.
_DATE = r"(?:(?:19|20)\d\d-\d\d-\d\d|\d{1,2}\.\d{1,2}\.(?:19|20)\d\d)"
_BIRTH = r"(?:birth\w*|born|dob|d\.o\.b\.?|geb\w*\.?)"
DEFAULT_PATTERNS = (
    rf"(?i)\b{_BIRTH}[^\n]{{0,30}}?\b{_DATE}\b",
    rf"(?i)\b{_DATE}\b[^\n]{{0,30}}?\b{_BIRTH}",
    r"(?i)\b(?:PID|patient[-_ ]?id)[:= ]*\w+",
)

#: Words that name patient data in English and German (matched as whole words,
#: case-insensitively).
DEFAULT_WORDS = ("date of birth", "Geburtsdatum", "patient name", "Patientenname",
                 "insurance number", "Versichertennummer")


@dataclasses.dataclass(frozen=True)
class Pattern:
    """One compiled rule: ``label`` is what a hit reports as its ``pattern``."""

    label: str
    regex: re.Pattern


def _word(text):
    return re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)", re.IGNORECASE)


def user_patterns(min_length):
    """A pattern for the full name and the user name of every active user.

    Names shorter than ``min_length`` characters are left out: they would hit
    ordinary words.
    """
    found = []
    for name, fullname in (User.select(User.name, User.fullname)
                           .where(User.state == "active").tuples()):
        for label, value in (("user full name", fullname), ("user name", name)):
            value = (value or "").strip()
            if len(value) >= min_length:
                found.append(Pattern(label, _word(value)))
    return found


def configured_patterns(config):
    """The rules of ``config``: users, ``PRIVACY_WORDS`` and ``PRIVACY_PATTERNS``.

    :raises re.error: for a regex in ``PRIVACY_PATTERNS`` that does not compile
    """
    rules = user_patterns(int(config["PRIVACY_MIN_NAME_LENGTH"]))
    rules += [Pattern(f"word {w!r}", _word(w)) for w in config["PRIVACY_WORDS"] if w.strip()]
    rules += [Pattern(f"regex {p}", re.compile(p)) for p in config["PRIVACY_PATTERNS"]]
    return rules


def mask(text, start, end, context=20):
    """An excerpt of ``text`` around ``[start, end)`` with the match itself masked.

    Only the first character of the match is kept, so the excerpt shows where
    the hit is without repeating the personal data it found.
    """
    found = text[start:end]
    masked = found[:1] + "•" * min(max(len(found) - 1, 3), 12)
    before = text[max(0, start - context):start]
    after = text[end:end + context]
    return (("…" if start > context else "") + before + masked + after
            + ("…" if end + context < len(text) else ""))
