"""Dependency order of jobs."""
from ..errors import StartupError


def order_jobs(jobs):
    """Return ``jobs`` sorted so that each follows the jobs it depends on.

    Among jobs whose dependencies are met, lower ``priority`` goes first, then
    registration order.

    :raises StartupError: unknown dependency or a dependency cycle
    """
    by_name = {job.name: job for job in jobs}
    ordered, done, visiting = [], set(), set()

    def visit(job):
        if job.name in done:
            return
        if job.name in visiting:
            raise StartupError(f"job dependency cycle through '{job.name}'")
        visiting.add(job.name)
        for dep in job.depends_on:
            if dep not in by_name:
                raise StartupError(f"job '{job.name}' depends on unknown job '{dep}'")
            visit(by_name[dep])
        visiting.discard(job.name)
        done.add(job.name)
        ordered.append(job)

    for job in sorted(jobs, key=lambda j: j.priority):
        visit(job)
    return ordered
