"""Every hook a dcorlite plugin can implement.

Plugins implement these with ``@dcorlite.hookimpl``; the host calls them only
through :mod:`dcorlite.host`, always with keyword arguments. See
``docs/plugin_hooks.md`` for the long form with examples.
"""
import pluggy

hookspec = pluggy.HookspecMarker("dcorlite")


# -- start-up: called once per app by create_app, in this order -------------

@hookspec
def config_defaults():
    """Return a dict of this plugin's configuration defaults.

    Keys are upper case and start with the plugin's name, e.g.
    ``{"UPLOADS_URL_EXPIRY": 86400}``. Implemented by: uploads, dc_schemas, search.
    """


@hookspec
def register_storage_backends():
    """Return ``{scheme: StorageClass}`` for the ``STORAGE_URL`` schemes served.

    Example: ``return {"file": LocalStorage}``. Implemented by: storage.local.
    """


@hookspec
def register_migrations():
    """Return ``(name, directory)`` of this plugin's own migrations, or None.

    Migrations in ``directory`` run after the core ones with their own history
    table ``migrations_<name>``. Implemented by: search.
    """


@hookspec
def register_actions(app):
    """Return a list of :class:`dcorlite.actions.Action` for ``/api/3/action``.

    Example: ``return [Action("site_read", lambda ctx, data: True, get=True)]``.
    Implemented by: ckan_api, tokens, uploads, dc_schemas.
    """


@hookspec
def register_blueprints(app):
    """Return a list of Flask blueprints to register.

    Implemented by: ckan_api, uploads, dc_serve.
    """


@hookspec
def register_jobs(app):
    """Return a list of :class:`dcorlite.jobs.Job` run for every new resource.

    Each job is an idempotent "ensure" function ``run(resource_id)``, run in
    the background in dependency order. Example::

        return [Job("dc_view.preview", ensure_preview, wants=is_dc_resource,
                    depends_on=("dc_schemas.dc_metadata",))]

    Implemented by: dc_schemas, dc_serve, dc_view, privacy, uploads.
    """


@hookspec
def register_commands(cli):
    """Add click commands or groups to the ``dcorlite`` command group ``cli``.

    Example: ``cli.add_command(my_group)``. Implemented by: tokens, uploads,
    jobs, search.
    """


@hookspec
def app_ready(app):
    """Called last in ``create_app``, with the app fully configured.

    Example: register a huey task on ``app.extensions["dcorlite"]["huey"]``.
    Implemented by: search (opens its index, indexes changes left by a crash).
    """


@hookspec
def app_stopping(app):
    """Called by :func:`dcorlite.app.stop_app` when ``app`` is done with.

    That is after ``dcorlite serve`` has drained, or when a test is over and
    its database is about to go. End the background threads this plugin
    started for the app, writing what they still hold, so none of them keeps
    working on a database that is gone. Example::

        app.extensions["dcorlite"]["my_writer"].close()

    Implemented by: search (its indexer thread), audit (writes its queue).
    """


@hookspec
def supervise(app, stop):
    """Called in the supervising process of ``dcorlite serve --processes N``.

    Runs once, before the server and worker processes start. Start here the
    background work that one process of the instance should do for all of
    them (it must end once the :class:`threading.Event` ``stop`` is set), and
    return the settings the server and worker processes get so that they
    leave that work to this process. Example::

        threading.Thread(target=compact_until, args=(stop,), daemon=True).start()
        return {"COMPACT_IN_REQUESTS": False}

    :returns: a dict of configuration keys and values for the child processes, or None
    Implemented by: search (this process writes the index, the others only read it),
    fixity (the paced batches run here, once for the instance).
    """


@hookspec
def inspect_checks(app):
    """Return a list of :class:`dcorlite.inspection.Check` for ``dcorlite inspect``.

    Each check's ``run(app)`` is called inside an app context and returns a
    :class:`dcorlite.inspection.Finding` (``OK``, ``WARN`` or ``FAIL`` with one
    line, detail lines, and optionally a safe ``fix``). Check names are
    unique. Example::

        return [Check("certificate", lambda app: ok("valid for 300 days"))]

    Implemented by: inspection (configuration, permissions, stored files),
    uploads (stale staged uploads), fixity, deploy (certificate expiry).
    """


# -- per request / per call -----------------------------------------------

@hookspec(firstresult=True)
def authenticate_request(request):
    """Return the :class:`dcorlite.models.User` making ``request``, or None.

    The first non-None answer wins; None from every plugin means anonymous.
    Implemented by: tokens (``Authorization`` / ``X-CKAN-API-Key`` header).
    """


@hookspec(firstresult=True)
def search_datasets(query, user):
    """Answer a dataset search; return a :class:`dcorlite.search.SearchResult`.

    ``query`` is a :class:`dcorlite.search.SearchQuery` (parsed ``q``/``fq``,
    paging, sort, flags); ``user`` the caller or None. The first non-None answer
    wins. Implemented by: search (Whoosh index; None while it is unusable),
    search_pg (PostgreSQL full-text search), ckan_api (SQL fallback, ``trylast``).
    """


@hookspec(firstresult=True)
def search_rebuild(app, progress, processes):
    """Rebuild every dataset's search document from the database; return how many.

    Called by ``dcorlite search reindex``. Answered by the plugin of the
    configured ``SEARCH_BACKEND`` (the others return None). ``progress`` is
    called with the number of datasets done after each batch; ``processes`` is
    the number of writer processes asked for (None: the backend's default).
    Implemented by: search, search_pg.
    """


@hookspec(firstresult=True)
def search_check(app):
    """Compare the search documents with the database; return a ``dcorlite.search.CheckReport``.

    Called by ``dcorlite search check``; answered like :func:`search_rebuild`.
    Implemented by: search, search_pg.
    """


@hookspec
def resource_dict_fields(resource_ids):
    """Return ``{resource id: {field: value}}`` to add to these resources' dicts.

    Called when resource dicts are built (``package_show``, ``resource_show``,
    search results), once for all resources of the datasets being built.
    Dataset dicts are cached by revision: a plugin whose values change calls
    :func:`dcorlite.revisions.bump` (or ``mark_written``) in the transaction
    that stores them. Example::

        return {rid: {"privacy_scan": scans.get(rid)} for rid in resource_ids}

    Implemented by: privacy (``privacy_scan``).
    """


@hookspec
def dataset_activating(dataset, resources):
    """``dataset`` (with ``resources``) is about to go from draft to active.

    Called after the core's checks and before the change is written; raise a
    :class:`dcorlite.errors.DcorliteError` (e.g. ``ValidationError``, a 409) to
    refuse the activation. Example::

        if any(r.name.endswith(".tmp") for r in resources):
            raise ValidationError({"state": ["Temporary files cannot be published"]})

    Implemented by: privacy (with ``PRIVACY_BLOCKS_ACTIVATION``).
    """


@hookspec
def admin_pages(app):
    """Return the pages this plugin adds for sysadmins: a list of ``(endpoint, title)``.

    The web UI links them from its administration page (``/admin``). Give
    titles as ``flask_babel.lazy_gettext`` texts; they are translated when
    shown. Example::

        return [("audit.index", lazy_gettext("Audit trail"))]

    Implemented by: web (users, access tokens, circles, jobs, status,
    deletion requests), audit.
    """


@hookspec
def admin_status(app):
    """Return a list of sections of the sysadmins' status page: ``{"title": …, "rows": […]}``.

    ``rows`` are ``(label, value)`` pairs; labels and titles are already translated
    (``flask_babel.gettext``), values are text or numbers. Called in a request
    of a sysadmin; keep it to a few quick queries. Implemented by: jobs
    (jobs that are not done), search (index state), fixity (last checks).
    """


# -- inside a write transaction ---------------------------------------------

@hookspec
def dataset_written(dataset_id, background):
    """A change of dataset ``dataset_id`` was written and is about to be committed.

    Called inside the transaction that creates, changes (fields, state,
    resources, collections, collaborators), deletes or purges the dataset, so
    whatever the implementation writes to the database commits or rolls back
    together with the change: the place for an outbox row that says "derived
    data of this dataset must be brought up to date". Keep it quick; an
    exception rolls the change back. ``background`` is True for the results of
    background jobs (``dc:`` metadata), False for a client's write. Example::

        Outbox.insert(dataset_id=dataset_id).execute()

    Implemented by: search (marks the dataset for indexing), search_pg (writes
    the dataset's search document).
    """


# -- lifecycle notifications: after commit, return values ignored ----------

@hookspec
def resource_created(resource):
    """A resource was attached to a dataset (its file is in storage)."""


@hookspec
def resource_processed(resource, job, error):
    """Background job ``job`` (its name) finished for ``resource``.

    ``error`` is None on success, else the error text. Called in the worker.
    """


@hookspec
def dataset_changed(dataset, changes):
    """A dataset was created or changed; ``changes`` is ``{field: (old, new)}``."""


@hookspec
def dataset_activated(dataset):
    """A dataset went from draft to active."""


@hookspec
def dataset_deleted(dataset, purged):
    """A dataset was deleted (``purged`` False) or purged for good (True)."""


@hookspec
def activity(action, dataset_id, resource_id, details):
    """Something worth a record in the audit trail happened to a dataset or resource.

    ``action`` is one of ``read`` (metadata of a private dataset shown),
    ``download`` (original, condensed copy or preview), ``basin`` (a ``/files/``
    basin opened), ``change``, ``share``, ``delete``, ``purge`` or another
    plugin's own word (privacy: ``deletion_approved``, with ``{"reason": …,
    "request": …}``); ``resource_id`` may be None; ``details`` is a dict of
    JSON values (for a purge: ``{"resources": […]}``). Called after the
    action succeeded; in a request the actor (user, token, client address) is
    the request's, unless ``details["actor"]`` names it (outside requests, and
    for signed basin URLs, which carry no token). Keep it cheap:
    it runs on the read path. Implemented by: audit (appends a chained entry).
    """
