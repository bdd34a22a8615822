"""``dcorlite search reindex`` and ``dcorlite search check``, for every search backend.

The plugin of the configured ``SEARCH_BACKEND`` answers the hooks
``search_rebuild`` and ``search_check``; these commands show the outcome.
"""
import click

from . import host

SHOWN = 20  # ids listed per kind of difference


def _no_backend(app):
    from .search import backend
    raise click.ClickException(f"no plugin answers for SEARCH_BACKEND={backend(app)} "
                               f"(is it among DISABLED_PLUGINS?)")


@click.group("search")
def search_group():
    """The search documents (index) of the configured search backend."""


@search_group.command("reindex")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Writer processes (Whoosh; default: one per CPU, at most 4).")
@click.pass_obj
def reindex(state, processes):
    """Rebuild every dataset's search document from the database."""
    from .models import Dataset
    app = state.app
    with app.app_context():
        total = Dataset.select().count()
        with click.progressbar(length=total, label="Indexing datasets") as bar:
            count = host.plugin_manager(app).hook.search_rebuild(
                app=app, progress=bar.update, processes=processes)
    if count is None:
        _no_backend(app)
    click.echo(f"indexed {count} datasets")


@search_group.command("check")
@click.pass_obj
def check(state):
    """Compare the search documents with the database; exit status 1 if they differ."""
    app = state.app
    with app.app_context():
        report = host.plugin_manager(app).hook.search_check(app=app)
    if report is None:
        _no_backend(app)
    if report.error:
        click.echo(f"index unreadable: {report.error}")
        click.echo("run 'dcorlite search reindex' to rebuild it")
        raise SystemExit(1)
    for kind in ("missing", "extra", "outdated"):
        ids = getattr(report, kind)
        if ids:
            more = f" (and {len(ids) - SHOWN} more)" if len(ids) > SHOWN else ""
            click.echo(f"{kind}: {len(ids)}: {' '.join(ids[:SHOWN])}{more}")
    if not report.consistent:
        click.echo("run 'dcorlite search reindex' to rebuild the index")
        raise SystemExit(1)
    click.echo("search index is consistent with the database")
