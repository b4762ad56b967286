"""Large document packs: ask for one, watch it being made, download it (judging/packs.py)."""

import subprocess

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from auth.policy import ORGANISER, allow
from events import services as event_services
from events.forms import ActionForm
from extensions import db, utcnow
from judging import packs, pdf
from judging.pack_models import PackKind, PackStatus

bp = Blueprint("packs", __name__, url_prefix="/events/<slug>/results/packs")

KINDS = {kind.value: kind for kind in PackKind}


@bp.route("/<any(feedback, paper):kind>", methods=["POST"])
@allow(ORGANISER)
def make(slug: str, kind: str):
    """Ask for a pack; a pack of the kind already under way is shown instead."""
    event = event_services.get_event_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    pack, new = packs.request_pack(current_user, event, KINDS[kind], request.host_url)
    db.session.commit()
    if new:
        try:
            packs.start(current_app._get_current_object(), pack.id)
        except (OSError, subprocess.SubprocessError):
            current_app.logger.exception("could not start pack %s", pack.id)
            pack.status, pack.message = (
                PackStatus.FAILED,
                "The pack could not be started",
            )
            pack.finished_at = utcnow()
            db.session.commit()
    return redirect(url_for("packs.show", slug=slug, pack_id=pack.id))


def _pack_or_404(slug: str, pack_id: int):
    event = event_services.get_event_or_404(slug)
    pack = packs.get_pack(event, pack_id)
    if pack is None:
        abort(404)
    return event, pack


@bp.route("/<int:pack_id>")
@allow(ORGANISER)
def show(slug: str, pack_id: int):
    """The pack's progress, then its download. Answers JSON to the page's polling
    (static/js/pack.js)."""
    event, pack = _pack_or_404(slug, pack_id)
    shown = packs.view(pack)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            status="failed" if shown.failed else pack.status.value,
            percent=shown.percent,
            message=shown.message,
        )
    return render_template(
        "judging/pack.html", event=event, shown=shown, form=ActionForm()
    )


@bp.route("/<int:pack_id>.pdf")
@allow(ORGANISER)
def download(slug: str, pack_id: int):
    """Download a finished pack (an attachment, never cached); 404 until it is ready."""
    event, pack = _pack_or_404(slug, pack_id)
    if pack.status != PackStatus.DONE or pack.pdf is None:
        abort(404)
    return pdf.pdf_response(pack.pdf, pack.kind.filename(event.slug))
