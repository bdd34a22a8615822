"""An example dcorlite plugin: one API action and one command.

``/api/3/action/example_hello?name=…`` and ``dcorlite example-hello NAME``
answer with a greeting.
"""
import click

from dcorlite import hookimpl
from dcorlite.actions import Action


def greeting(name):
    """The greeting for ``name``."""
    return f"Hello, {name or 'world'}!"


def example_hello(context, data):
    """Greet ``name``, else the caller, else the world."""
    user = context["user"]
    return greeting(data.get("name") or (user.name if user else None))


@hookimpl
def register_actions(app):
    """``example_hello``."""
    return [Action("example_hello", example_hello, get=True)]


@click.command("example-hello")
@click.argument("name", required=False)
def hello_command(name):
    """Print a greeting for NAME (a dcorlite_example plugin command)."""
    click.echo(greeting(name))


@hookimpl
def register_commands(cli):
    """``dcorlite example-hello``."""
    cli.add_command(hello_command)
