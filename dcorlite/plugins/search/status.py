"""The state of the search index for the sysadmins' status page (``admin_status``)."""
import datetime
import os

from flask_babel import gettext as _

from .pending import SearchPending


def last_commit(path):
    """When the index in ``path`` was last committed (its newest table of contents), or None."""
    times = [entry.stat().st_mtime for entry in os.scandir(path) if entry.name.endswith(".toc")]
    if not times:
        return None
    return datetime.datetime.fromtimestamp(max(times), datetime.timezone.utc)


def status_section(search_index):
    """``{"title", "rows"}``: usable, documents, pending changes, last commit."""
    pending = SearchPending.select().count()
    path = search_index.current_dir()
    try:
        documents = search_index.searcher().doc_count()
        problem = None
    except Exception as exc:  # the page shows why the SQL search answers instead
        documents, problem = None, str(exc)
    committed = last_commit(path) if path and problem is None else None
    rows = [(_("Answers searches"), _("yes") if problem is None else _("no: %(why)s", why=problem)),
            (_("Documents"), documents if documents is not None else "-"),
            (_("Changes waiting to be indexed"), pending),
            (_("Last commit"), f"{committed:%Y-%m-%d %H:%M:%S} UTC" if committed else "-")]
    return {"title": _("Search index"), "rows": rows}
