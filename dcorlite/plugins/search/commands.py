"""``dcorlite search reindex`` and ``dcorlite search check``."""
import click

from ...models import Dataset

SHOWN = 20  # ids listed per kind of difference


@click.group("search")
def search_group():
    """The search index."""


@search_group.command("reindex")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Index writer processes (default: one per CPU, at most 4).")
@click.pass_obj
def reindex(state, processes):
    """Rebuild the index from the database (into a fresh folder, then swap)."""
    from . import search_index, search_indexer
    app = state.app
    with app.app_context():
        the_index = search_index(app)
        total = Dataset.select().count()
        with click.progressbar(length=total, label="Indexing datasets") as bar:
            count = search_indexer(app).rebuild(
                progress=bar.update, processes=processes or the_index.default_processes())
    click.echo(f"indexed {count} datasets")


@search_group.command("check")
@click.pass_obj
def check(state):
    """Compare the index with the database; exit status 1 if they differ."""
    from . import search_index, search_indexer
    app = state.app
    with app.app_context():
        try:  # what a search would do first: index the changes marked so far
            search_indexer(app).catch_up()
        except Exception as exc:
            click.echo(f"could not index the marked changes: {exc}")
        report = search_index(app).check()
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
