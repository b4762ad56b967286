"""`flask create-organiser EMAIL`: make the first organiser account."""

import sys

import click
from flask.cli import with_appcontext

from auth import audit, services
from extensions import db


@click.command("create-organiser")
@click.argument("email")
@click.option("--name", default="", help="Display name (defaults to the email's name).")
@click.password_option(prompt="Password", confirmation_prompt=True)
@with_appcontext
def create_organiser(email: str, name: str, password: str) -> None:
    """Create an account that may create events, or grant that right to an existing one."""
    user = services.get_user_by_email(email)
    try:
        if user is None:
            user = services.create_user(
                email, password, name or email.split("@")[0], is_organiser=True
            )
        else:
            user.is_organiser = True
            services.set_password(user, password)
            audit.record("account.organiser_granted", target=user)
    except services.AuthError as error:
        click.secho(str(error), fg="red", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Organiser ready: {user.email}")
