"""The ``dcorlite`` command: ``dcorlite [--instance DIR] [--debug] COMMAND``.

The app is built lazily per command, so ``--help`` works without one.
Plugins add commands through ``register_commands(cli)``. An unexpected error
ends a command with one line on stderr (see :mod:`dcorlite.cli_errors`);
``--debug`` or ``DCORLITE_DEBUG=1`` shows the traceback instead.
"""
import contextlib
import os
import socket
import sys
import time
import warnings

import click

from . import __version__, cli_errors
from .db_commands import db_group
from .search_commands import search_group

DEBUG_ENV = "DCORLITE_DEBUG"


class CliState:
    """Carries the instance path and builds the app when a command needs it."""

    def __init__(self, instance):
        self.instance = os.path.abspath(instance)
        self._app = None

    @property
    def app(self):
        """The dcorlite app of this instance (created and migrated on first use)."""
        if self._app is None:
            from .app import create_app
            self._app = create_app(instance_path=self.instance)
        return self._app

    def close(self):
        """Stop the app's background work, if the command built the app."""
        if self._app is not None:
            from .app import stop_app
            stop_app(self._app)


def _instance_path(ctx):
    """The instance folder of the command line, also before ``cli()`` has run."""
    if ctx is not None and isinstance(ctx.obj, CliState):
        return ctx.obj.instance
    instance = (ctx.params.get("instance") if ctx is not None else None) or \
        os.environ.get("DCORLITE_INSTANCE") or "instance"
    return os.path.abspath(instance)


def _remember_debug(ctx, param, value):
    ctx.meta["dcorlite.debug"] = value


def _debug_wanted(ctx, args=()):
    """Whether the traceback was asked for (``--debug`` or ``$DCORLITE_DEBUG``)."""
    if ctx.meta.get("dcorlite.debug") or "--debug" in args:
        return True
    try:
        return click.BOOL.convert(os.environ.get(DEBUG_ENV) or "false", None, None)
    except click.BadParameter:  # an unreadable value still asks for a traceback
        return True


class DcorliteGroup(click.Group):
    """Adds plugin commands lazily and turns errors into one readable line."""

    _plugins_loaded = False

    def _load_plugin_commands(self, ctx):
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from .config import early_config
        from .plugins import get_plugin_manager
        config = early_config(_instance_path(ctx))
        get_plugin_manager(config).hook.register_commands(cli=self)

    def list_commands(self, ctx):
        self._load_plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        self._load_plugin_commands(ctx)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx, args):
        # --help lists (and so loads) the plugin commands while parsing, when
        # --debug may not have been read yet: hence a look at the raw args
        # (a copy, as the parser consumes the list).
        with self._readable_errors(ctx, list(args)):
            return super().parse_args(ctx, args)

    def invoke(self, ctx):
        with self._readable_errors(ctx):
            return super().invoke(ctx)

    @contextlib.contextmanager
    def _readable_errors(self, ctx, args=()):
        """Re-raise an unexpected error as one line (exit status 1) unless debugging."""
        try:
            yield
        except Exception as exc:
            if cli_errors.keeps_click_handling(exc) or _debug_wanted(ctx, args):
                raise
            app = ctx.obj._app if isinstance(ctx.obj, CliState) else None
            message = cli_errors.describe(exc, instance=_instance_path(ctx), app=app)
            raise cli_errors.CommandFailed(message) from exc


def _fail(exc):
    """Turn a dcorlite error into a click error (stderr, exit status 1)."""
    raise click.ClickException(cli_errors.dcorlite_error_text(exc))


@click.group(cls=DcorliteGroup)
@click.option("--instance", envvar="DCORLITE_INSTANCE", default="instance",
              show_default=True, type=click.Path(file_okay=False), is_eager=True,
              help="instance folder (configuration, database, files)")
@click.option("--debug", is_flag=True, envvar=DEBUG_ENV, show_envvar=True, is_eager=True,
              expose_value=False, callback=_remember_debug,
              help="show the traceback of an error instead of one line")
@click.version_option(__version__, prog_name="dcorlite")
@click.pass_context
def cli(ctx, instance):
    """dcorlite: a self-contained repository for deformability cytometry data."""
    ctx.obj = CliState(instance)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(search_group)
cli.add_command(db_group)


@cli.command()
@click.pass_obj
def init(state):
    """Create the instance folder and database (safe to run again)."""
    state.app
    click.echo(f"instance ready: {state.instance}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="request threads per server process")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes; with more than one, jobs run in a worker beside them")
@click.option("--listen-fd", type=int, default=None, hidden=True,
              help="serve on this inherited listening socket (set by --processes)")
@click.pass_obj
def serve(state, host, port, threads, processes, listen_fd):
    """Serve dcorlite with waitress (creates the instance on first start)."""
    from .models import User
    from .shutdown import remember_stop_signals
    configure_server_logging()
    if processes == 1 or listen_fd is not None:  # this process serves (and drains)
        remember_stop_signals()
    app = state.app
    if listen_fd is not None:
        return _serve_app(app, threads, sockets=[socket.socket(fileno=listen_fd)])
    with app.app_context():
        has_users = User.select().exists()
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"dcorlite {__version__} serving {state.instance}")
    click.echo(f"  URL: http://{shown}:{port}/  (API: http://{shown}:{port}/api/3/action/)")
    if not has_users:
        click.echo("  No users yet. Create an administrator and a token for DCOR-Aid:")
        click.echo(f"    dcorlite --instance {state.instance} user add admin "
                   "--email admin@example.org --sysadmin --password-stdin")
        click.echo(f"    dcorlite --instance {state.instance} token create admin")
    click.echo("  Log in with DCOR-Aid or dclab using that server URL and API token.")
    workers = int(app.config["JOBS_WORKERS"])
    if processes > 1:
        from . import supervisor
        click.echo(f"  {processes} server processes"
                   + (f", jobs in a worker process ({workers} at a time)." if workers else "."))
        sys.stdout.flush()
        sockets = supervisor.listening_sockets(host, port, processes)
        stop, settings = supervisor.start_shared_work(app)

        def close_sockets():
            for sock in sockets:
                sock.close()
        try:
            supervisor.supervise(supervisor.children(
                state.instance, sockets, threads, workers, dict(os.environ, **settings)),
                app.config["SHUTDOWN_DRAIN_SECONDS"], on_stop=close_sockets)
        finally:
            stop.set()
        return
    if not workers:
        click.echo("  Background jobs: none here (JOBS_WORKERS=0); run 'dcorlite worker'.")
    sys.stdout.flush()
    _serve_app(app, threads, host=host, port=port, job_workers=workers)


def _serve_app(app, threads, job_workers=0, **listen):
    """Serve ``app`` with waitress on ``listen`` (host and port, or sockets) until stopped.

    SIGTERM or SIGINT stops it cleanly (:mod:`dcorlite.shutdown`): no new
    connections, requests in progress finish within ``SHUTDOWN_DRAIN_SECONDS``,
    the job consumer ends after its current jobs; then the command exits 0.
    """
    import waitress
    from .dcfiles import import_dclab
    from .app import stop_app
    from .jobs.queue import start_consumer
    from .shutdown import Drainer
    import_dclab()  # before the server's threads start (see import_dclab)
    consumer = start_consumer(app, job_workers) if job_workers else None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "send_bytes", DeprecationWarning)
        server = waitress.create_server(
            app, threads=threads, ident="dcorlite",
            max_request_body_size=app.config["UPLOADS_MAX_SIZE"] + 2 ** 24,
            channel_timeout=300,
            # with PROXY_COUNT, the app's ProxyFix reads them instead
            clear_untrusted_proxy_headers=not app.config["PROXY_COUNT"],
            recv_bytes=2 ** 18, send_bytes=SEND_BYTES, connection_limit=CONNECTION_LIMIT,
            **listen)
    drainer = Drainer(server, app.config["SHUTDOWN_DRAIN_SECONDS"])
    try:
        drainer.run(on_stop=consumer.stop_flag.set if consumer is not None else None)
    finally:
        if consumer is not None:
            # jobs are "ensure" functions: one cut off here runs again after the restart
            consumer.shutdown_timeout = max(0.0, (drainer.deadline or 0) - time.monotonic())
            consumer.stop(graceful=True)
        stop_app(app)


#: answers up to this size are sent by waitress's I/O thread once the request's thread
#: is done (waitress's default, 1 byte, has the request's thread send them itself). That
#: thread sends while it holds the connection's buffer lock, and a send gives up the
#: interpreter lock; the I/O thread then spins on the locked buffer, often until the
#: switch interval (5 ms) hands the interpreter back. Under 8 concurrent clients that
#: left small API answers at a third of their speed (benchmarks/request_costs.py). Above
#: dclab's 256 KiB basin reads, below waitress's 1 MiB spill of buffered output to disk.
SEND_BYTES = 2 ** 19

#: open connections waitress keeps (its default, 100, is too few for dclab: every remote
#: file it opens leaves a GET unread on a connection of its own until the dataset closes)
CONNECTION_LIMIT = 500


def configure_server_logging():
    """Log warnings and errors to stderr with their times (a server's log, not a CLI's output).

    waitress warns about its task queue at every request once all threads are
    busy; under load that is thousands of lines saying the same thing.
    """
    import logging
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING,
                            format="%(levelname)s %(asctime)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def _read_password(password, password_stdin, required):
    if password and password_stdin:
        raise click.UsageError("use either --password or --password-stdin")
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if password is None and required:
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@cli.group()
def user():
    """Manage users."""


@user.command("add")
@click.argument("name")
@click.option("--email", required=True, help="e-mail address")
@click.option("--password", default=None, help="password (≥ 8 characters)")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@click.option("--fullname", default="", help="full name")
@click.option("--sysadmin", is_flag=True, help="make the user a sysadmin")
@click.pass_obj
def user_add(state, name, email, password, password_stdin, fullname, sysadmin):
    """Create user NAME (no password: the user works with API tokens only)."""
    from . import users
    from .errors import DcorliteError
    password = _read_password(password, password_stdin, required=False)
    with state.app.app_context():
        try:
            created = users.create_user(name, email, password, sysadmin=sysadmin,
                                        fullname=fullname)
        except DcorliteError as exc:
            _fail(exc)
    click.echo(f"created user {created.name} ({created.id})"
               + (" [sysadmin]" if created.sysadmin else ""))


@user.command("list")
@click.pass_obj
def user_list(state):
    """List users: name, e-mail, sysadmin flag, id."""
    from .models import User
    with state.app.app_context():
        for u in User.select().where(User.state == "active").order_by(User.name):
            click.echo(f"{u.name}\t{u.email}\t{'sysadmin' if u.sysadmin else '-'}\t{u.id}")


@user.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="new password (≥ 8 characters)")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@click.pass_obj
def user_passwd(state, name, password, password_stdin):
    """Set the password of user NAME."""
    from . import users
    from .errors import DcorliteError
    password = _read_password(password, password_stdin, required=True)
    with state.app.app_context():
        try:
            users.set_password(users.get_user(name), password)
        except DcorliteError as exc:
            _fail(exc)
    click.echo(f"password of {name} changed")


@user.command("sysadmin")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="take sysadmin rights away")
@click.pass_obj
def user_sysadmin(state, name, revoke):
    """Grant (or with --revoke, remove) sysadmin rights of user NAME."""
    from . import users
    from .errors import DcorliteError
    with state.app.app_context():
        try:
            target = users.get_user(name)
        except DcorliteError as exc:
            _fail(exc)
        target.sysadmin = not revoke
        target.save()
    click.echo(f"{name} is {'no longer ' if revoke else ''}a sysadmin")


@cli.group()
def circle():
    """Manage circles."""


@circle.command("create")
@click.argument("name")
@click.option("--title", default="", help="human-readable title")
@click.option("--admin", "admin_name", default=None, help="user who administers the circle")
@click.pass_obj
def circle_create(state, name, title, admin_name):
    """Create circle NAME."""
    from . import groups, users
    from .errors import DcorliteError
    with state.app.app_context():
        try:
            admin = users.get_user(admin_name) if admin_name else None
            created = groups.create_group(name, True, creator=admin, title=title)
        except DcorliteError as exc:
            _fail(exc)
    click.echo(f"created circle {created.name} ({created.id})")


@cli.command("plugins")
@click.pass_obj
def plugins_cmd(state):
    """List the loaded plugins and the hooks each implements."""
    pm = state.app.extensions["dcorlite"]["pm"]
    versions = {id(plugin): f"{dist.project_name} {dist.version}"
                for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        origin = versions.get(id(plugin), f"dcorlite {__version__} (built-in)")
        click.echo(f"{name} [{origin}]: {', '.join(hooks)}")
