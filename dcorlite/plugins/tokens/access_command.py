"""``dcorlite access-token create USER``: a new token and its ``USER.dcor-access`` file."""
import os

import click

from ... import users
from ...cli_errors import dcorlite_error_text
from ...errors import DcorliteError, NotFound
from . import access_file, expiry


@click.group("access-token")
def access_token_group():
    """Encrypted access tokens (.dcor-access) for DCOR-Aid and dclab."""


@access_token_group.command("create")
@click.argument("username")
@click.option("--password", default=None,
              help="password of the file (default: a strong one, printed once)")
@click.option("--expires", default="90d", show_default=True,
              help="lifetime of the token inside: e.g. 90d, 12h, 4w, or never")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="file to write (default: ./USERNAME.dcor-access)")
@click.option("--name", "label", default="dcor-access", show_default=True,
              help="label of the token")
@click.pass_obj
def create(state, username, password, expires, output, label):
    """Make a new API token for USERNAME and write it with the server's certificate.

    Send the file and its password to the user on different channels.
    """
    try:
        lifetime = expiry.parse_lifetime(expires)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from None
    output = output or f"{username}.dcor-access"
    if os.path.exists(output):
        raise click.ClickException(f"{output} exists; remove it or choose --output")
    with state.app.app_context():
        try:
            issued = access_file.issue(state.app, users.get_user(username), lifetime,
                                       password, label)
        except NotFound:
            raise click.ClickException(f"no such user: {username}") from None
        except DcorliteError as exc:
            raise click.ClickException(dcorlite_error_text(exc)) from None
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(issued["content"])
    until = "never expires" if issued["expires"] is None else \
        f"expires {issued['expires']:%Y-%m-%d %H:%M} UTC"
    click.echo(f"wrote {output} (token {issued['token_id']}, {until})")
    if "password" in issued:
        click.echo(f"password: {issued['password']}")
        click.echo("(shown only now: send it to the user on another channel than the file)")
