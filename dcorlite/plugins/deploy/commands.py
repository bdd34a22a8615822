"""``dcorlite certs create|show``, ``dcorlite nginx-config`` and ``dcorlite systemd-unit``."""
import grp
import os
import pwd

import click

from ... import config_file, tls
from . import nginx, systemd


@click.group("certs")
def certs_group():
    """The instance's TLS certificate (for nginx and .dcor-access files)."""


@certs_group.command("create")
@click.option("--hostname", required=True, help="the server's name, as users type it")
@click.option("--ip", "ips", multiple=True, help="an IP address users may connect to (repeat)")
@click.option("--days", default=3650, show_default=True, type=click.IntRange(1, 36500))
@click.option("--force", is_flag=True, help="replace an existing certificate and key")
@click.pass_obj
def certs_create(state, hostname, ips, days, force):
    """Write a self-signed certificate for HOSTNAME (and IPs) into the instance's certs/."""
    folder = tls.certs_dir(state.app)
    try:
        cert = tls.create_certificate(folder, hostname, ips, days, overwrite=force)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc} exists; use --force to replace it") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {os.path.join(folder, tls.CERT_NAME)} and "
               f"{os.path.join(folder, tls.KEY_NAME)} (key readable by its owner only)")
    _print(tls.describe(cert))


@certs_group.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def certs_show(state, path):
    """Print subject, names, expiry and fingerprint of the instance's certificate (or PATH)."""
    path = path or tls.cert_path(state.app)
    if not os.path.isfile(path):
        raise click.ClickException(f"no certificate at {path}; make one with "
                                   "'dcorlite certs create --hostname NAME'")
    _print(tls.describe(tls.load_certificate(path)))


def _print(d):
    click.echo(f"subject:     {d.subject}")
    click.echo(f"DNS names:   {', '.join(d.dns_names) or '-'}")
    click.echo(f"IP addresses: {', '.join(d.ip_addresses) or '-'}")
    click.echo(f"valid from:  {d.not_before:%Y-%m-%d %H:%M} UTC")
    click.echo(f"expires:     {d.not_after:%Y-%m-%d %H:%M} UTC")
    click.echo(f"SHA-256:     {d.fingerprint}")
    click.echo(f"self-signed: {'yes' if d.self_signed else 'no'}")


@click.command("nginx-config")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="file to write (default: <instance>/nginx/dcorlite.conf)")
@click.option("--upstream", default="127.0.0.1:5000", show_default=True,
              help="host:port of 'dcorlite serve'")
@click.option("--server-name", "names", multiple=True,
              help="public host name (default: the certificate's names)")
@click.option("--https-port", default=443, show_default=True, type=click.IntRange(1, 65535))
@click.option("--http-port", default=80, show_default=True, type=click.IntRange(1, 65535))
@click.option("--listen-address", default="", help="address to listen on (default: all)")
@click.option("--no-default-server", is_flag=True,
              help="leave out the default_server blocks (another site has them)")
@click.option("--no-settings", is_flag=True,
              help="do not add PROXY_COUNT and X_ACCEL_REDIRECT to <instance>/config.py")
@click.pass_obj
def nginx_config(state, output, upstream, names, https_port, http_port, listen_address,
                 no_default_server, no_settings):
    """Write the nginx site file for this instance and switch dcorlite to it.

    TLS with the instance's certificate, HTTP/2, HTTP → HTTPS, unbuffered
    uploads, /<dataset id> → /dataset/<id>, file bytes sent by nginx
    (X-Accel-Redirect). The settings that go with it (PROXY_COUNT = 1,
    X_ACCEL_REDIRECT = True) are added to <instance>/config.py unless given
    there already; restart 'dcorlite serve' afterwards.
    """
    app = state.app
    cert, key = tls.cert_path(app), tls.key_path(app)
    if not os.path.isfile(cert) or not os.path.isfile(key):
        raise click.ClickException(f"no certificate in {tls.certs_dir(app)}; make one with "
                                   "'dcorlite certs create --hostname NAME'")
    description = tls.describe(tls.load_certificate(cert))
    names = list(names) or list(dict.fromkeys([description.common_name,
                                               *description.dns_names,
                                               *description.ip_addresses]))
    storage_root = app.config["STORAGE_URL"].split(":", 1)[1] \
        if app.config["STORAGE_URL"].startswith("file:") else None
    listen = f"[{listen_address}]:" if ":" in listen_address else \
        (f"{listen_address}:" if listen_address else "")
    site = nginx.Site(server_names=names, upstream=upstream, cert=cert, key=key,
                      storage_root=os.path.abspath(storage_root) if storage_root else None,
                      https_port=https_port, http_port=http_port,
                      max_body=int(app.config["UPLOADS_MAX_SIZE"]) + 2 ** 24,
                      default_server=not no_default_server, listen=listen)
    output = output or os.path.join(app.instance_path, "nginx", "dcorlite.conf")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as fh:
        fh.write(nginx.render(site))
    click.echo(f"wrote {output}")
    if site.storage_root and not _group_readable(site.storage_root):
        click.echo(f"note: nginx's worker processes must be able to read {site.storage_root} "
                   "to send files (X-Accel-Redirect): run dcorlite in nginx's group with "
                   'UMASK = "027", or grant that group read access (docs/deployment.md)')
    if not no_settings:
        wanted = {"PROXY_COUNT": 1, "X_ACCEL_REDIRECT": site.storage_root is not None}
        for line in config_file.add_missing(os.path.join(app.instance_path, "config.py"),
                                            wanted, "nginx-config"):
            click.echo(line)


def _group_readable(folder):
    """Whether the group of ``folder`` may list it and enter it (nginx's, ideally)."""
    try:
        return os.stat(folder).st_mode & 0o050 == 0o050
    except FileNotFoundError:
        return False


@click.command("systemd-unit")
@click.option("--user", default=None, help="account the service runs as "
              "(default: the instance folder's owner)")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--processes", default=None, type=click.IntRange(1, 64),
              help="server processes (default: one per core)")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="write the unit here instead of printing it")
@click.pass_obj
def systemd_unit(state, user, host, port, processes, threads, output):
    """Print (or write) a systemd unit that runs 'dcorlite serve' for this instance.

    Restart on failure, a clean stop on SIGTERM within SHUTDOWN_DRAIN_SECONDS,
    and hardening: no new privileges, a read-only system but for the
    instance, a private /tmp, UMask from UMASK. Install it with
    'dcorlite systemd-unit -o /etc/systemd/system/dcorlite.service' and
    'systemctl enable --now dcorlite'.
    """
    app = state.app
    info = os.stat(app.instance_path)
    try:
        account = pwd.getpwnam(user) if user else pwd.getpwuid(info.st_uid)
    except KeyError:
        raise click.ClickException(f"no such user: {user or info.st_uid}") from None
    try:
        group = grp.getgrgid(account.pw_gid).gr_name
    except KeyError:
        group = str(account.pw_gid)
    unit = systemd.make_unit(app, account.pw_name, group, host, port,
                             processes or os.cpu_count() or 1, threads)
    text = systemd.render(unit)
    if output is None:
        click.echo(text, nl=False)
        return
    with open(output, "w") as fh:
        fh.write(text)
    click.echo(f"wrote {output}")
