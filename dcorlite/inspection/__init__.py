"""``dcorlite inspect``: checks of an instance, each with an OK/WARN/FAIL finding.

A :class:`Check` has a name and a function that looks at the instance and
returns a :class:`Finding`. A finding may carry a safe repair (``fix``) that
``dcorlite inspect --fix`` offers; repairs never delete a stored file or a
database row. Plugins add checks through the ``inspect_checks(app)`` hook.
"""
import dataclasses
import typing

OK, WARN, FAIL = "OK", "WARN", "FAIL"
#: detail lines printed under one finding at most
MAX_DETAILS = 10


@dataclasses.dataclass
class Finding:
    """What one check found.

    :ivar status: :data:`OK`, :data:`WARN` or :data:`FAIL`
    :ivar summary: one line
    :ivar details: more lines (e.g. the paths concerned)
    :ivar fix: a function doing the safe repair, returning one line saying what it did
    :ivar fix_text: what ``fix`` would do, for the question to the user
    """

    status: str
    summary: str
    details: list = dataclasses.field(default_factory=list)
    fix: typing.Optional[typing.Callable[[], str]] = None
    fix_text: str = ""


@dataclasses.dataclass
class Check:
    """A named check: ``run(app)`` returns a :class:`Finding` (inside an app context)."""

    name: str
    run: typing.Callable


def ok(summary):
    """A :class:`Finding` saying all is well."""
    return Finding(OK, summary)


def worst(findings):
    """The most serious status among ``findings`` (OK for none)."""
    order = (OK, WARN, FAIL)
    return max((f.status for f in findings), key=order.index, default=OK)


def all_checks(app):
    """Every check of ``app``: the core's and the plugins' (``inspect_checks`` hook).

    :raises StartupError: when two plugins name a check alike
    """
    from .. import host
    from .plugin import CORE_CHECKS
    checks = host.collect("inspect_checks", unique_by="name", app=app)
    return sorted(checks, key=lambda c: c.name not in CORE_CHECKS)  # the core's first
