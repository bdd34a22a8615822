"""``dcorlite token create|list|revoke``."""
import click

from ... import users
from ...errors import DcorliteError
from ...models import ApiToken
from . import logic


@click.group("token")
def token_group():
    """Manage API tokens."""


def _user(name):
    try:
        return users.get_user(name)
    except DcorliteError:
        raise click.ClickException(f"no such user: {name}") from None


@token_group.command("create")
@click.argument("username")
@click.option("--name", "label", default="cli", show_default=True, help="label of the token")
@click.pass_obj
def create(ctx, username, label):
    """Create a token for USERNAME and print only the token."""
    with ctx.app.app_context():
        click.echo(logic.create_token(_user(username), label))


@token_group.command("list")
@click.argument("username")
@click.pass_obj
def list_tokens(ctx, username):
    """List the tokens of USERNAME (id, name, created, last used)."""
    with ctx.app.app_context():
        user = _user(username)
        for token in ApiToken.select().where(ApiToken.user == user).order_by(ApiToken.created_at):
            d = logic.token_dict(token)
            click.echo(f"{d['id']}\t{d['name']}\t{d['created_at']}\t{d['last_access'] or '-'}")


@token_group.command("revoke")
@click.argument("token_id")
@click.pass_obj
def revoke(ctx, token_id):
    """Revoke the token with TOKEN_ID (the part before the dot) or full text."""
    with ctx.app.app_context():
        token_id = token_id.split(".")[0]
        if not logic.revoke(token_id):
            raise click.ClickException(f"no such token: {token_id}")
        click.echo(f"revoked {token_id}")
