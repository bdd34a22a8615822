"""Jobs run after their dependencies, cheap ones first."""
import pytest

from dcorlite.errors import StartupError
from dcorlite.jobs import Job
from dcorlite.jobs.ordering import order_jobs


def job(name, depends_on=(), priority=0):
    return Job(name, lambda rid: None, depends_on=depends_on, priority=priority)


def names(jobs):
    return [j.name for j in jobs]


def test_dependencies_come_first_and_expensive_jobs_last():
    jobs = [job("a.kernel"), job("a.condense", ("a.kernel",), priority=10),
            job("b.metadata"), job("c.preview", ("a.kernel",)),
            job("d.after_condense", ("a.condense",))]
    assert names(order_jobs(jobs)) == ["a.kernel", "b.metadata", "c.preview", "a.condense",
                                       "d.after_condense"]


def test_cycles_and_unknown_dependencies_are_refused():
    with pytest.raises(StartupError, match="cycle"):
        order_jobs([job("x", ("y",)), job("y", ("x",))])
    with pytest.raises(StartupError, match="unknown job"):
        order_jobs([job("x", ("nope",))])
