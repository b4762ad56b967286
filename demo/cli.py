"""`flask demo load`: create the demo event and print the sign-ins."""

import os
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from auth.models import User
from demo import services
from events.models import EventPhase
from extensions import db

cli = AppGroup("demo", help="The demo event, Care Homes Hackathon 2026.")


def _password() -> tuple[str, bool]:
    """Return the shared demo password, creating it (0600 in instance/) the first time."""
    path = services.password_file(current_app.instance_path)
    if path.exists():
        return path.read_text().strip(), False
    password = services.new_password()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password, True


PHASES = {
    "judging": EventPhase.JUDGING,
    "moderation": EventPhase.MODERATION,
    "published": EventPhase.PUBLISHED,
}


@cli.command("load")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing but print the sign-ins if the database has any accounts.",
)
@click.option(
    "--phase",
    type=click.Choice(sorted(PHASES)),
    default="published",
    show_default=True,
    help="Where the demo event stands: 'published' is demo day D+192 (results, "
    "funding and feedback out); 'judging' rehearses the live final, with every "
    "score in; 'moderation' opens the chair's console.",
)
def load(if_empty: bool, phase: str) -> None:
    """Create the demo event (idempotent) and print the demo sign-ins."""
    password, new = _password()
    has_users = db.session.scalar(select(func.count()).select_from(User)) > 0
    if if_empty and has_users and not services.demo_exists():
        click.echo("The database already has accounts: the demo was not loaded.")
        return
    result = services.load_demo(date.today(), password, PHASES[phase])
    if new and not result.created:
        services.reset_passwords(password)
    db.session.commit()
    click.echo(
        "Demo event "
        + ("created" if result.created else "already loaded")
        + f": {result.event.name}"
    )
    click.echo(f"  http://127.0.0.1:5000/events/{result.event.slug}")
    click.echo(f"Demo sign-ins (every demo account's password is: {password})")
    for role, name, email in result.sign_ins:
        click.echo(f"  {role:<28} {name:<22} {email}")
