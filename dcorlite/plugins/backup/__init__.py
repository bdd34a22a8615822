"""Encrypted, incremental backups of an instance, and restoring them."""
from ... import hookimpl
from . import commands


@hookimpl
def config_defaults():
    """Backup settings (see docs/configuration.md)."""
    return {
        "BACKUP_DIR": None,     # default: <instance>/backups
        "BACKUP_KEEP": 7,       # backups kept by 'dcorlite backup create'
    }


@hookimpl
def register_commands(cli):
    """``dcorlite backup keygen|create|verify|restore``."""
    cli.add_command(commands.backup_group)
