"""API tokens: authentication by header, token actions and CLI commands."""
from flask import g

from ... import hookimpl
from . import access_command, actions, commands, expiry, logic


@hookimpl
def authenticate_request(request):
    """The user of the raw token in ``Authorization`` (or ``X-CKAN-API-Key``)."""
    text = (request.headers.get("Authorization", "").strip()
            or request.headers.get("X-CKAN-API-Key", "").strip())
    if not text:
        return None
    user = logic.user_for_token(text)
    if user is not None:
        # the token's public half, for the audit trail (its secret half stays unknown)
        g.api_token_id = text.split(".", 1)[0]
    return user


@hookimpl
def register_migrations():
    """The ``api_token_expiry`` table."""
    return ("tokens", expiry.MIGRATIONS)


@hookimpl
def register_actions(app):
    """``api_token_create``, ``api_token_list``, ``api_token_revoke``, ``dcor_access_create``."""
    return actions.ACTIONS


@hookimpl
def register_commands(cli):
    """``dcorlite token …`` and ``dcorlite access-token create``."""
    cli.add_command(commands.token_group)
    cli.add_command(access_command.access_token_group)
