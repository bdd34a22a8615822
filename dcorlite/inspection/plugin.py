"""The core's checks and the ``dcorlite inspect`` command, registered like a plugin."""
from .. import hookimpl
from . import commands, config_check, permissions, storage_check
from . import Check


CORE_CHECKS = ("config", "permissions", "orphaned files", "missing files")


@hookimpl
def inspect_checks(app):
    """Configuration, permissions of instance files, stored files against resource rows."""
    return [Check("config", config_check.check_config),
            Check("permissions", permissions.check_permissions),
            Check("orphaned files", storage_check.check_orphaned_files),
            Check("missing files", storage_check.check_missing_files)]


@hookimpl
def register_commands(cli):
    """``dcorlite inspect [--fix] [--yes]``."""
    cli.add_command(commands.inspect_command)
