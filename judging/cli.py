"""`flask results pdf SLUG --out FILE`: write the result sheet without the web app."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from events.models import Event
from extensions import db
from judging import pdf, services

cli = AppGroup("results", help="Results documents.")


@cli.command("pdf")
@click.argument("slug")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the PDF.",
)
def results_pdf(slug: str, out: str) -> None:
    """Write the event's A4 result sheet (the same document as the web download)."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        click.secho(f"No event with the slug '{slug}'", fg="red", err=True)
        sys.exit(1)
    document = pdf.render_results_pdf(services.compute_results(event))
    Path(out).write_bytes(document)
    click.echo(f"Wrote {out} ({len(document):,} bytes)")
