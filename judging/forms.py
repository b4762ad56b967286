"""The scorecard form, built from the event's rubric, and the conflict forms."""

import re
import uuid
from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from events.models import CategoryBy
from formkit import EnumRadioField, clean_filter, enum_choices
from judging.funding_models import FundingKind
from judging.models import Recommendation

# ASCII digits only: int() would accept full-width digits such as "５".
_ASCII_INT = re.compile(r"^[0-9]{1,3}$")
_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")


class ScorecardBase(FlaskForm):
    class Meta:
        # CSRFProtect already checks every POST's token before the view runs, and
        # the template renders it with csrf_token(): checking it again here would only
        # cost every save a second HMAC.
        csrf = False

    feedback = TextAreaField(
        "Feedback for the team",
        description="Strengths, and what would make this fundable. The team sees this "
        "without your name.",
        filters=[clean_filter],
        validators=[DataRequired("Write feedback for the team"), Length(max=3000)],
    )
    recommendation = RadioField(
        "Your recommendation",
        choices=enum_choices(Recommendation),
        validators=[Optional()],
    )
    conditions = TextAreaField(
        "Conditions (if you recommend funding with conditions)",
        description="What the team must do before or while it is funded. Organisers "
        "see this without your name.",
        filters=[clean_filter],
        validators=[Length(max=2000)],
    )
    private_notes = TextAreaField(
        "Private notes (only you can see these)",
        description="Reminders for the panel discussion. Nobody else sees them: not "
        "the organisers, the other judges or the team.",
        filters=[clean_filter],
        validators=[Length(max=3000)],
    )
    submission_key = HiddenField()
    base_revision = HiddenField()

    mark_fields: tuple[str, ...] = ()

    def validate_submission_key(self, field) -> None:
        if not _KEY.match(field.data or ""):
            raise ValidationError("This form is out of date. Reload the page")

    def validate_conditions(self, field) -> None:
        if (
            self.recommendation.data == Recommendation.FUND_WITH_CONDITIONS.value
            and not (field.data or "").strip()
        ):
            raise ValidationError("Write the conditions of your recommendation")

    def validate_base_revision(self, field) -> None:
        if not _ASCII_INT.match(field.data or ""):
            raise ValidationError("This form is out of date. Reload the page")

    def marks(self) -> dict[int, int]:
        """Return {criterion id: mark} for the validated form."""
        return {
            int(name.removeprefix("mark_")): int(self[name].data)
            for name in self.mark_fields
        }

    def unscored(self) -> list[str]:
        """Return the names of mark fields with errors (unscored or invalid)."""
        return [name for name in self.mark_fields if self[name].errors]


class MarkField(RadioField):
    """A criterion's mark: one radio button per point of the scale.

    The posted value is checked against the scale with one set lookup. RadioField's own
    check rebuilds every choice of every criterion on each save, and a whole panel saves
    at once (bench/score_burst.py).
    """

    def __init__(self, *args, allowed: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def pre_validate(self, form) -> None:
        if not self.process_errors and self.data not in self.allowed:
            raise ValidationError(self.gettext("Not a valid choice."))


def _single_value(form, field) -> None:
    """Refuse repeated parameters (mark_3=4&mark_3=5) instead of taking the first (R-26)."""
    if field.raw_data is not None and len(field.raw_data) > 1:
        raise ValidationError("Give one score")


def make_scorecard_form(
    criteria, scale_min: int, scale_max: int, *, needs_reason: bool = False
) -> type[ScorecardBase]:
    """Return the scorecard form class for a rubric: one radio group
    ``mark_<criterion id>`` per criterion and, during moderation, a required reason.

    Classes are cached per rubric (ids, codes, names, scale), so a scorecard request does
    not build a new class; a rubric edit before judging simply gives a new key.
    """
    spec = tuple((c.id, c.code, c.name) for c in criteria)
    return _scorecard_form_class(spec, scale_min, scale_max, needs_reason)


@lru_cache(maxsize=256)
def _scorecard_form_class(
    spec: tuple[tuple[int, str, str], ...],
    scale_min: int,
    scale_max: int,
    needs_reason: bool,
) -> type[ScorecardBase]:
    attrs = {}
    if needs_reason:
        attrs["reason"] = TextAreaField(
            "Reason for the change",
            description="Say why you are changing your scores after the panel's "
            "discussion. Organisers see this in the audit log; the team does not.",
            filters=[clean_filter],
            validators=[
                DataRequired("Give a reason for the change"),
                Length(max=500),
            ],
        )
    values = [str(v) for v in range(scale_max, scale_min - 1, -1)]
    for criterion_id, code, name in spec:
        attrs[f"mark_{criterion_id}"] = MarkField(
            f"{code} {name}",
            choices=[SelectChoice(v, v) for v in values],
            allowed=frozenset(values),
            validators=[_single_value, DataRequired(f"Score {code} {name}")],
        )
    attrs["mark_fields"] = tuple(f"mark_{criterion_id}" for criterion_id, _, _ in spec)
    return type("ScorecardForm", (ScorecardBase,), attrs)


def new_submission_key() -> str:
    """Return a fresh idempotency key for a scorecard form."""
    return str(uuid.uuid4())


class ConflictForm(FlaskForm):
    reason = TextAreaField(
        "Why do you have a conflict of interest?",
        description="For example: a team member works in my department. Organisers see "
        "this.",
        filters=[clean_filter],
        validators=[
            DataRequired("Say why you have a conflict of interest"),
            Length(max=500),
        ],
    )


class VoidScoresForm(FlaskForm):
    """An organiser voids all of one judge's scores (judging.voiding, R-42)."""

    reason = TextAreaField(
        "Why do this judge's scores not count?",
        description="For example: the judge left after the third pitch, or turned out "
        "to be conflicted for the whole event. Organisers see this on the result "
        "sheet and in the audit log; teams do not.",
        filters=[clean_filter],
        validators=[
            DataRequired("Say why this judge's scores do not count"),
            Length(max=500),
        ],
    )


class DeclarationForm(FlaskForm):
    """A judge's organisation and declared interests, once per event."""

    organisation = StringField(
        "Your organisation",
        description="Where you work or volunteer, as you would write it on a badge. "
        "Write 'None' if you have none. Organisers see this.",
        filters=[clean_filter],
        validators=[DataRequired("Enter your organisation"), Length(max=120)],
    )
    interests = TextAreaField(
        "Declared interests (optional)",
        description="Roles, shareholdings, close relationships or anything else a team "
        "or organiser could see as a conflict. Organisers see this.",
        filters=[clean_filter],
        validators=[Length(max=2000)],
    )


class ConflictDecisionForm(FlaskForm):
    """An organiser's decision on one flagged judge-pitch pair."""

    pitch_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    judge_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    decision = HiddenField(
        validators=[DataRequired(), AnyOf(["conflicted", "not_conflict"])]
    )


# --- judge assignment (issue 3) -----------------------------------------------------------


class AssignmentSettingsForm(FlaskForm):
    """The organiser's choice of assignment mode, judges per pitch and cap per judge."""

    mode = RadioField(
        "How are pitches shared among judges?",
        choices=[
            SelectChoice("panel", "Panel: every judge scores every pitch"),
            SelectChoice("split", "Split: each pitch gets a set number of judges"),
        ],
        validators=[DataRequired("Choose how pitches are shared among judges")],
    )
    judges_per_pitch = IntegerField(
        "Judges per pitch (split mode)",
        validators=[
            Optional(),
            NumberRange(min=1, max=50, message="Enter a whole number from 1 to 50"),
        ],
    )
    max_pitches_per_judge = IntegerField(
        "Most pitches one judge scores (optional)",
        description="Leave blank for no cap: pitches are still shared out evenly.",
        validators=[
            Optional(),
            NumberRange(min=1, max=500, message="Enter a whole number from 1 to 500"),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.mode.data == "split" and not self.judges_per_pitch.data:
            self.judges_per_pitch.errors = ["Enter how many judges score each pitch"]
            ok = False
        return ok


class AssignmentPairForm(FlaskForm):
    """Assign or unassign one judge on one pitch."""

    pitch_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    judge_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    action = HiddenField(validators=[DataRequired(), AnyOf(["assign", "unassign"])])


class AssignmentJudgeForm(FlaskForm):
    """Name one judge (for "dropped out: redistribute")."""

    judge_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])


class FundingForm(FlaskForm):
    """One pitch's funding decision (judging.funding checks it against the pot)."""

    kind = RadioField(
        "Decision",
        choices=enum_choices(FundingKind),
        validators=[DataRequired("Choose a decision")],
    )
    amount = StringField(
        "Amount to award, in whole pounds",
        filters=[clean_filter],
        description="Fund in full awards the amount asked. Leave empty for support, "
        "signpost or decline.",
        validators=[
            Optional(),
            Regexp(r"^£?[0-9][0-9,]{0,9}$", message="Enter whole pounds, like 2500"),
        ],
    )
    scope = TextAreaField(
        "Reduced scope or match funding (fund in part)",
        filters=[clean_filter],
        description="What the team agreed to do with less, or where the rest of the "
        "money comes from.",
        validators=[Length(max=1000)],
    )
    conditions = TextAreaField(
        "Conditions (fund with conditions)",
        filters=[clean_filter],
        description="One per line. The money is released when every condition is "
        "marked met.",
        validators=[Length(max=2000)],
    )
    note = TextAreaField(
        "Note to the team",
        filters=[clean_filter],
        description="The team reads this with its feedback once the results are "
        "published: advice, the support offered, where to go instead, or why it is "
        "declined.",
        validators=[Length(max=2000)],
    )

    def amount_pounds(self) -> int | None:
        text = (self.amount.data or "").replace("£", "").replace(",", "")
        return int(text) if text else None

    def condition_lines(self) -> tuple[str, ...]:
        return tuple(
            line.strip(" -•\t")
            for line in (self.conditions.data or "").split("\n")
            if line.strip(" -•\t")
        )


# --- People's Choice (issue 4) ---------------------------------------------------------


class VoteRulesForm(FlaskForm):
    """The organiser's declaration of the audience vote, before it opens."""

    picks = RadioField(
        "How many different pitches does each voter choose?",
        description="Asking for more than one stops people backing only the team they "
        "know. A ballot counts only with exactly this many.",
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 7)],
        validators=[DataRequired("Choose how many pitches each voter chooses")],
    )
    blend_percent = IntegerField(
        "Audience weight in a blended ranking (%)",
        description="0 shows the vote separately from the panel's result, as most "
        "Trusts do. From 1 to 50, a blended ranking at this weight is shown beside the "
        "panel's. Funding always follows the panel.",
        validators=[
            NumberRange(0, 50, "Enter a weight from 0 to 50"),
        ],
        default=0,
    )

    def validate_blend_percent(self, field) -> None:
        raw = (field.raw_data or [""])[0]
        if not _ASCII_INT.match(raw.strip()):
            raise ValidationError("Enter a weight from 0 to 50")


class BallotForm(FlaskForm):
    """An audience ballot: the pitch ids chosen (checked against the ballot by the
    service, judging.votes.cast)."""

    pitch = SelectMultipleField(
        "Your choice", coerce=int, choices=[], validate_choice=False
    )

    def validate_pitch(self, field) -> None:
        if any(
            len(v) > 18 or not v.isascii() or not v.isdigit() for v in field.raw_data
        ):
            raise ValidationError("Choose from the pitches on the ballot")


# --- categories and special prizes (issue 4) -------------------------------------------


class CategoryForm(FlaskForm):
    """How the results are also ranked within categories."""

    category_by = EnumRadioField(
        "Rank the pitches within categories too?",
        description="Each category gets its own ranking beside the overall one, in the "
        "same order. Funding follows the overall ranking.",
        choices=enum_choices(CategoryBy),
        validators=[DataRequired("Choose how pitches are grouped")],
    )


class PrizeForm(FlaskForm):
    """An organiser names a special prize."""

    name = StringField(
        "Name of the prize",
        description="For example: Best patient co-production.",
        filters=[clean_filter],
        validators=[DataRequired("Enter the name of the prize"), Length(max=80)],
    )
    description = TextAreaField(
        "What it rewards (optional)",
        filters=[clean_filter],
        validators=[Length(max=500)],
    )


class PrizeDecisionForm(FlaskForm):
    """The chair records the panel's winner of a prize. One per prize on the page, told
    apart by a prefix ("prize-<id>")."""

    class Meta:
        # CSRFProtect checks every POST's csrf_token; a prefixed token field
        # would be named "prize-<id>-csrf_token", so the page sends the plain one.
        csrf = False

    pitch_id = RadioField("Winning pitch", choices=[], validate_choice=False)
    citation = TextAreaField(
        "Why the panel chose it",
        description="Shown with the prize on the event page and the result sheet.",
        filters=[clean_filter],
        validators=[
            DataRequired("Say why the panel chose this pitch"),
            Length(max=500),
        ],
    )

    def validate_pitch_id(self, field) -> None:
        if not re.fullmatch(r"[0-9]{1,18}", field.data or ""):
            raise ValidationError("Choose the winning pitch")
