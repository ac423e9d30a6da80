"""``kpay hello ...``: greet from the command line."""

import click
from flask.cli import with_appcontext

from kpay.api import db
from kpay_hello import greetings


@click.group("hello")
def hello_group() -> None:
    """The hello plugin's commands."""


@hello_group.command("greet")
@click.argument("name")
@with_appcontext
def greet_command(name: str) -> None:
    """Post a greeting to NAME on the hello page and print it."""
    text = f"{greetings.greeting()}, {name}!"
    greetings.add_once(f"cli:{name}", text)
    db.session.commit()
    click.echo(text)
