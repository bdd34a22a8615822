"""Deployment: the instance's TLS certificate and its nginx site file."""
from ... import hookimpl
from . import commands


@hookimpl
def register_commands(cli):
    """``dcorlite certs create|show`` and ``dcorlite nginx-config``."""
    cli.add_command(commands.certs_group)
    cli.add_command(commands.nginx_config)
