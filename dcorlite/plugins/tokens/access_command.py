"""``dcorlite access-token create USER``: a new token and its ``USER.dcor-access`` file."""
import os

import click

from ... import tls, users
from ...errors import DcorliteError
from ...models import utcnow
from . import access_file, expiry, logic


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
    app = state.app
    cert_path = tls.cert_path(app)
    if not os.path.isfile(cert_path):
        raise click.ClickException(f"no certificate at {cert_path}; make one with "
                                   "'dcorlite certs create --hostname NAME'")
    with open(cert_path, "rb") as fh:
        cert_pem = fh.read()
    output = output or f"{username}.dcor-access"
    if os.path.exists(output):
        raise click.ClickException(f"{output} exists; remove it or choose --output")
    generated = password is None
    password = access_file.generate_password() if generated else password
    if not password:
        raise click.BadParameter("must not be empty", param_hint="--password")
    with app.app_context():
        try:
            user = users.get_user(username)
        except DcorliteError:
            raise click.ClickException(f"no such user: {username}") from None
        token = logic.create_token(user, label, lifetime)
    data = access_file.access_file_bytes(token, cert_pem, password)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    until = "never expires" if lifetime is None else \
        f"expires {(utcnow() + lifetime):%Y-%m-%d %H:%M} UTC"
    click.echo(f"wrote {output} (token {token.split('.')[0]}, {until})")
    if generated:
        click.echo(f"password: {password}")
        click.echo("(shown only now: send it to the user on another channel than the file)")
