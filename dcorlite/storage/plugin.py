"""The host's storage commands, registered like a plugin."""
from .. import hookimpl
from . import commands


@hookimpl
def register_commands(cli):
    """``dcorlite storage migrate``."""
    cli.add_command(commands.storage_group)
