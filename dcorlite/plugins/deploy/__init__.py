"""Deployment: the instance's TLS certificate, its nginx site file and systemd unit."""
from ... import hookimpl
from . import commands, inspection


@hookimpl
def register_commands(cli):
    """``dcorlite certs create|show``, ``dcorlite nginx-config``, ``dcorlite systemd-unit``."""
    cli.add_command(commands.certs_group)
    cli.add_command(commands.nginx_config)
    cli.add_command(commands.systemd_unit)


@hookimpl
def inspect_checks(app):
    """``certificate``: expiry of the instance's TLS certificate."""
    from ...inspection import Check
    return [Check("certificate", inspection.check_certificate)]
