"""``dcorlite dataset purge ID --reason "…"``: approve a deletion request on the server."""
import getpass

import click

from ...errors import DcorliteError
from ...models import User
from . import deletion


@click.group("dataset")
def dataset_group():
    """Datasets: removal for good after a deletion request."""


@dataset_group.command("purge")
@click.argument("dataset_id")
@click.option("--reason", required=True, help="why (recorded with the purge)")
@click.option("--by", "by", default=None,
              help="sysadmin account recorded as the actor (default: cli:<login name>)")
@click.pass_obj
def purge_command(state, dataset_id, reason, by):
    """Remove DATASET_ID (id or name) and its files for good; its open request is approved."""
    app = state.app
    with app.app_context():
        if by:
            user = User.get_or_none(User.name == by)
            if user is None or not user.sysadmin:
                raise click.ClickException(f"{by} is not a sysadmin account")
            actor = user.name
        else:
            # whoever runs the command on the server already holds the instance's keys
            user, actor = User(name="cli", sysadmin=True), f"cli:{getpass.getuser()}"
        try:
            result = deletion.approve(user, dataset_id, reason, actor=actor)
        except DcorliteError as exc:
            raise click.ClickException(f"{exc.status}: {exc.error_dict()['message']}")
    request = result["request"]
    click.echo(f"purged dataset {result['package_id']}"
               + (f" (deletion request {request['id']} approved)" if request else
                  " (no deletion request was open)"))
