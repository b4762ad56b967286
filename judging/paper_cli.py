"""`flask paper sheets SLUG --out FILE`: write every judge's scoring sheets as a PDF."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from events.models import Event
from extensions import db
from judging import paper

cli = AppGroup("paper", help="Paper scoring sheets.")


@cli.command("sheets")
@click.argument("slug")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the PDF.",
)
@click.option(
    "--base-url",
    envvar="PAPER_BASE_URL",
    default=None,
    help="The app's public address for the QR codes, e.g. https://pitchpanel.example "
    "(default: SERVER_NAME).",
)
def sheets(slug: str, out: str, base_url: str | None) -> None:
    """Write every judge's scoring sheets (the same document as the web download)."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        click.secho(f"No event with the slug '{slug}'", fg="red", err=True)
        sys.exit(1)
    base_url = base_url or current_app.config.get("PAPER_BASE_URL")
    if not base_url and not current_app.config.get("SERVER_NAME"):
        click.secho(
            "Set --base-url (or PAPER_BASE_URL, or SERVER_NAME) so the QR codes can "
            "hold the app's address",
            fg="red",
            err=True,
        )
        sys.exit(1)
    if base_url:
        with current_app.test_request_context("/", base_url=base_url):
            document = paper.render_sheets_pdf(event, paper.all_judge_sheets(event))
    else:
        document = paper.render_sheets_pdf(event, paper.all_judge_sheets(event))
    Path(out).write_bytes(document)
    click.echo(f"Wrote {out} ({len(document):,} bytes)")
