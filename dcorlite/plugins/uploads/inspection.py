"""The ``stale uploads`` check of ``dcorlite inspect``."""
from ...inspection import WARN, Finding, ok
from ...storage import get_storage
from . import store


def check_stale_uploads(app):
    """WARN for staged uploads past ``UPLOADS_STALE_HOURS`` (or abandoned); fixable.

    The fix is the cleanup that ``dcorlite serve`` runs every few minutes
    anyway (``dcorlite uploads cleanup``): it never touches an upload that
    received bytes in the last ``UPLOADS_ACTIVE_MINUTES``.
    """
    storage = get_storage(app)
    settings = store.cleanup_settings(app)
    uploads, strays = store.find_stale(storage, **settings)
    if not uploads and not strays:
        return ok(f"no staged upload older than UPLOADS_STALE_HOURS "
                  f"({settings['max_age_hours']} h) or abandoned")
    details = [f"upload {u.id} made {u.created:%Y-%m-%d %H:%M} UTC, "
               f"{'complete' if u.complete else 'incomplete'}" for u in uploads]
    details += [f"staged file {key} without an upload" for key in strays]
    count = len(uploads) + len(strays)
    return Finding(WARN, f"{count} stale staged upload(s) never attached", details,
                   fix=lambda: f"removed {store.cleanup_stale(storage, **settings)} "
                               "stale upload(s)",
                   fix_text=f"remove {count} stale upload(s) and their staged files")
