"""Deployment: the instance's TLS certificate and its nginx site file."""
from ... import hookimpl
from . import commands, inspection


@hookimpl
def register_commands(cli):
    """``dcorlite certs create|show`` and ``dcorlite nginx-config``."""
    cli.add_command(commands.certs_group)
    cli.add_command(commands.nginx_config)


@hookimpl
def inspect_checks(app):
    """``certificate``: expiry of the instance's TLS certificate."""
    from ...inspection import Check
    return [Check("certificate", inspection.check_certificate)]
