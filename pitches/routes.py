"""Problem statements, teams and pitch submission."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from auth.policy import ORGANISER, PUBLIC, SIGNED_IN, TEAM, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from events.models import EventPhase
from extensions import db
from pitches import services
from pitches.forms import MemberForm, PitchForm, ProblemForm, TeamForm
from pitches.models import Background, PitchType, Setting

bp = Blueprint("pitches", __name__, url_prefix="/events/<slug>")

REFUSED = (services.PitchError, event_services.EventError)


def _visible_event(slug: str):
    event = event_services.get_event_or_404(slug)
    if event.phase == EventPhase.DRAFT and ORGANISER not in event_roles():
        abort(404)
    return event


@bp.route("/problems")
@allow(PUBLIC)
def problems(slug: str):
    """List the event's approved problem statements (all of them, for organisers)."""
    event = _visible_event(slug)
    is_org = ORGANISER in event_roles()
    mine = (
        services.list_problems(event, owner=current_user)
        if current_user.is_authenticated and not is_org
        else []
    )
    return render_template(
        "pitches/problems.html",
        event=event,
        is_organiser=is_org,
        mine=mine,
        problems=services.list_problems(event, include_unapproved=is_org),
        can_post=event.phase in services.PROBLEM_PHASES,
    )


@bp.route("/problems/new", methods=["GET", "POST"])
@allow(SIGNED_IN)
def new_problem(slug: str):
    """Let a clinician, member of staff, patient or carer post a problem statement."""
    event = _visible_event(slug)
    form = ProblemForm(
        data=None
        if request.method == "POST"
        else {
            "owner_name": current_user.display_name,
            "owner_contact": current_user.email,
        }
    )
    if form.validate_on_submit():
        data = {k: form[k].data for k in services.ProblemDetails.__dataclass_fields__}
        data["setting"] = Setting(data["setting"])
        try:
            problem = services.submit_problem(
                current_user, event, services.ProblemDetails(**data)
            )
        except REFUSED as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                "Thank you. Your problem statement will be public once an organiser "
                "approves it",
                "success",
            )
            return redirect(
                url_for("pitches.problem", slug=slug, problem_id=problem.id)
            )
    return render_template("pitches/problem_form.html", event=event, form=form)


@bp.route("/problems/<int:problem_id>")
@allow(PUBLIC)
def problem(slug: str, problem_id: int):
    """Show one problem statement."""
    event = _visible_event(slug)
    item = services.get_visible_problem_or_404(
        event, problem_id, current_user, event_roles()
    )
    return render_template(
        "pitches/problem_detail.html",
        event=event,
        problem=item,
        is_organiser=ORGANISER in event_roles(),
        form=ActionForm(),
    )


@bp.route("/problems/<int:problem_id>/decision", methods=["POST"])
@allow(ORGANISER)
def decide_problem(slug: str, problem_id: int):
    """Approve or decline a problem statement."""
    event = event_services.get_event_or_404(slug)
    decision = request.form.get("decision")
    if ActionForm().validate_on_submit() and decision in ("approve", "decline"):
        approve = decision == "approve"
        services.decide_problem(current_user, event, problem_id, approve)
        db.session.commit()
        flash(
            "Problem statement approved" if approve else "Problem statement declined",
            "success",
        )
    return redirect(url_for("pitches.problem", slug=slug, problem_id=problem_id))


@bp.route("/teams")
@allow(ORGANISER)
def teams(slug: str):
    """List the event's teams, their members and pitch status."""
    event = event_services.get_event_or_404(slug)
    return render_template(
        "pitches/teams.html", event=event, teams=services.list_teams(event)
    )


@bp.route("/teams/new", methods=["GET", "POST"])
@allow(SIGNED_IN)
def new_team(slug: str):
    """Let a participant form a team around an approved problem."""
    event = _visible_event(slug)
    form = TeamForm(
        data=None
        if request.method == "POST"
        else {
            "name": current_user.display_name,
            "problem_id": request.args.get("problem"),
        }
    )
    form.problem_id.choices = [SelectChoice("", "Choose a problem statement")] + [
        SelectChoice(str(p.id), f"{p.ref} {p.title}".strip())
        for p in services.list_problems(event)
    ]
    if form.validate_on_submit():
        lead = services.MemberDetails(
            form.name.data,
            Background(form.background.data),
            form.organisation.data,
            form.role_title.data,
        )
        try:
            team = services.create_team(
                current_user,
                event,
                form.team_name.data,
                int(form.problem_id.data),
                lead,
            )
        except REFUSED as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                f"Team '{team.name}' created. Add your members, then write your pitch",
                "success",
            )
            return redirect(url_for("pitches.team", slug=slug, team_id=team.id))
    return render_template("pitches/team_form.html", event=event, form=form)


@bp.route("/teams/<int:team_id>")
@allow(TEAM, ORGANISER)
def team(slug: str, team_id: int):
    """Show a team's members and the state of its pitch."""
    event = event_services.get_event_or_404(slug)
    item = services.get_team_for_user_or_404(
        event, team_id, current_user, event_roles()
    )
    return render_template(
        "pitches/team.html",
        event=event,
        team=item,
        form=MemberForm(),
        action_form=ActionForm(),
        is_member=services.is_member(current_user, item),
        can_change=event.phase in services.TEAM_PHASES,
        can_edit_pitch=services.can_edit_pitch(event),
        missing=services.missing_for_submission(item.pitch),
    )


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@allow(TEAM)
def add_member(slug: str, team_id: int):
    """Add a person, with their background, to the team."""
    event = event_services.get_event_or_404(slug)
    item = services.get_team_for_user_or_404(event, team_id, current_user, frozenset())
    form = MemberForm()
    if form.validate_on_submit():
        details = services.MemberDetails(
            form.name.data,
            Background(form.background.data),
            form.organisation.data,
            form.role_title.data,
        )
        try:
            services.add_member(current_user, event, item, details)
        except REFUSED as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"{details.name} added to the team", "success")
            return redirect(url_for("pitches.team", slug=slug, team_id=team_id))
    return render_template(
        "pitches/team.html",
        event=event,
        team=item,
        form=form,
        action_form=ActionForm(),
        is_member=True,
        can_change=event.phase in services.TEAM_PHASES,
        can_edit_pitch=services.can_edit_pitch(event),
        missing=services.missing_for_submission(item.pitch),
    ), 400


@bp.route("/teams/<int:team_id>/members/<int:member_id>/remove", methods=["POST"])
@allow(TEAM)
def remove_member(slug: str, team_id: int, member_id: int):
    """Remove a person from the team."""
    event = event_services.get_event_or_404(slug)
    item = services.get_team_for_user_or_404(event, team_id, current_user, frozenset())
    if ActionForm().validate_on_submit():
        try:
            services.remove_member(current_user, event, item, member_id)
        except REFUSED as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Member removed", "success")
    return redirect(url_for("pitches.team", slug=slug, team_id=team_id))


def _pitch_details(form: PitchForm) -> services.PitchDetails:
    data = {k: form[k].data for k in services.PitchDetails.__dataclass_fields__}
    data["pitch_type"] = PitchType(data["pitch_type"]) if data["pitch_type"] else None
    return services.PitchDetails(**data)


@bp.route("/teams/<int:team_id>/pitch", methods=["GET", "POST"])
@allow(TEAM)
def edit_pitch(slug: str, team_id: int):
    """Let a team write, save and submit its pitch until the deadline."""
    event = event_services.get_event_or_404(slug)
    item = services.get_team_for_user_or_404(event, team_id, current_user, frozenset())
    pitch = item.pitch
    form = PitchForm(obj=pitch)
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        try:
            services.save_pitch(
                current_user, event, item, _pitch_details(form), submit=submit
            )
        except REFUSED as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Pitch submitted" if submit else "Pitch saved", "success")
            return redirect(url_for("pitches.team", slug=slug, team_id=team_id))
    return render_template(
        "pitches/pitch_form.html",
        event=event,
        team=item,
        pitch=pitch,
        form=form,
        editable=services.can_edit_pitch(event),
        can_submit=services.submissions_are_open(event),
    )


@bp.route("/pitches/<int:pitch_id>")
@allow(ORGANISER)
def pitch(slug: str, pitch_id: int):
    """Show a pitch in full to the event's organisers."""
    event = event_services.get_event_or_404(slug)
    item = services.get_pitch_or_404(event, pitch_id)
    return render_template(
        "pitches/pitch_detail.html", event=event, pitch=item, team=item.team
    )
