"""`flask results ...`: the results documents without the web app.

- ``pdf SLUG --out FILE``: the A4 result sheet;
- ``feedback SLUG --out DIR``: each team's feedback sheet, and all of them in one PDF;
- ``letters SLUG --out DIR``: an award letter per funded team;
- ``run-pack PACK_ID``: make a pack an organiser asked for on the results page (the app
  starts it, through judging.pack_runner; see judging/packs.py).
"""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from events.models import Event
from extensions import db
from judging import feedback, packs, pdf, services

cli = AppGroup("results", help="Results documents.")


def _event_or_exit(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        click.secho(f"No event with the slug '{slug}'", fg="red", err=True)
        sys.exit(1)
    return event


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
    event = _event_or_exit(slug)
    document = pdf.render_results_pdf(services.compute_results(event))
    Path(out).write_bytes(document)
    click.echo(f"Wrote {out} ({len(document):,} bytes)")


_OUT_DIR = click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="The folder to write the PDFs into (created if missing).",
)


@cli.command("feedback")
@click.argument("slug")
@_OUT_DIR
def feedback_pdfs(slug: str, out: str) -> None:
    """Write each team's feedback sheet, and all of them in one PDF."""
    event = _event_or_exit(slug)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    items = feedback.all_feedback(event)
    with click.progressbar(items, label="Feedback sheets") as bar:
        for item in bar:
            ref = (item.row.team.ref or str(item.row.team.id)).lower()
            (folder / f"{event.slug}-feedback-{ref}.pdf").write_bytes(
                pdf.render_feedback_pdf([item])
            )
    (folder / f"{event.slug}-feedback-all-teams.pdf").write_bytes(
        pdf.render_feedback_pdf(items)
    )
    click.echo(f"Wrote {len(items) + 1} PDFs to {folder}")


@cli.command("letters")
@click.argument("slug")
@_OUT_DIR
def award_letters(slug: str, out: str) -> None:
    """Write an award letter for each funded team."""
    event = _event_or_exit(slug)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    funded = [
        item
        for item in feedback.all_feedback(event)
        if item.decision is not None and item.decision.kind.is_cash
    ]
    for item in funded:
        ref = (item.row.team.ref or str(item.row.team.id)).lower()
        (folder / f"{event.slug}-award-letter-{ref}.pdf").write_bytes(
            pdf.render_award_letter_pdf(item)
        )
    click.echo(f"Wrote {len(funded)} award letters to {folder}")


@cli.command("run-pack")
@click.argument("pack_id", type=int)
def run_pack(pack_id: int) -> None:
    """Make a queued document pack (started by the app when an organiser asks for one)."""
    packs.run(pack_id)
