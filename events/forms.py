"""Forms for events, their phase, rubric and panel."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from events.models import EventPhase, EventType
from events.rubrics import PRESETS, AggregationMethod
from formkit import EnumRadioField, LondonDateTimeField, clean_filter, enum_choices


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class EventForm(FlaskForm):
    name = StringField(
        "Event name",
        filters=[clean_filter],
        validators=[DataRequired("Enter the event name"), Length(max=120)],
    )
    slug = StringField(
        "Web address name",
        description="Used in the event's address, like /events/care-homes-2026. "
        "Lower-case letters, numbers and hyphens.",
        filters=[_lower],
        validators=[DataRequired("Enter a web address name"), Length(min=3, max=60)],
    )
    event_type = EnumRadioField(
        "Type of event",
        choices=enum_choices(EventType),
        validators=[DataRequired("Choose the type of event")],
    )
    starts_at = LondonDateTimeField(
        "Starts",
        description="UK time",
        validators=[DataRequired("Enter when it starts")],
    )
    ends_at = LondonDateTimeField(
        "Ends", description="UK time", validators=[DataRequired("Enter when it ends")]
    )
    submissions_close_at = LondonDateTimeField(
        "Submission deadline",
        description="UK time. Teams cannot change their pitch after this.",
        validators=[DataRequired("Enter the submission deadline")],
    )
    venue = StringField("Venue", filters=[clean_filter], validators=[Length(max=200)])
    description = TextAreaField(
        "Description", filters=[clean_filter], validators=[Length(max=4000)]
    )
    pot_pounds = IntegerField(
        "Seed-funding pot (£)",
        validators=[
            InputRequired("Enter the pot in pounds (0 for none)"),
            NumberRange(
                min=0,
                max=10_000_000,
                message="Enter a whole number of pounds from 0 to 10,000,000",
            ),
        ],
    )
    cap_pounds = IntegerField(
        "Most one team can receive (£)",
        validators=[
            InputRequired("Enter the per-team cap in pounds (0 for none)"),
            NumberRange(
                min=0,
                max=10_000_000,
                message="Enter a whole number of pounds from 0 to 10,000,000",
            ),
        ],
    )
    is_blind = BooleanField(
        "Blind judging: judges do not see team members' names or organisations"
    )


class NewEventForm(EventForm):
    preset = RadioField(
        "Rubric",
        choices=[
            SelectChoice("B", PRESETS["B"].name + " (seed funding, the default)"),
            SelectChoice("A", PRESETS["A"].name + " (hack days)"),
        ],
        default="B",
        validators=[DataRequired("Choose a rubric")],
    )


class ResultsMethodForm(FlaskForm):
    method = EnumRadioField(
        "How are the judges' scores combined?",
        description="Declare this before judging starts: it is locked with the rubric. "
        "The results show the other methods beside it.",
        choices=enum_choices(AggregationMethod),
        validators=[DataRequired("Choose how the judges' scores are combined")],
    )
    tie_draw = BooleanField(
        "Draw lots between pitches still tied at the funding line",
        description="Only when the tie-break leaves pitches equal on the funding line "
        "and the pot cannot fund them all. The seed is drawn when the chair locks "
        "moderation and printed with the results, so anyone can check the order. "
        "Without a draw, the chair decides.",
    )


class PhaseForm(FlaskForm):
    target = SelectField(
        "Move to", choices=enum_choices(EventPhase), validators=[DataRequired()]
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class InvitationForm(FlaskForm):
    note = StringField(
        "Who is this link for? (optional)",
        filters=[clean_filter],
        description="A note for you, such as the judge's name. The link works once.",
        validators=[Length(max=120)],
    )


class MemberActionForm(FlaskForm):
    member_id = HiddenField(validators=[DataRequired()])


def make_rubric_form(criteria, scale):
    """Build a form with name, question, weight, tie-break and descriptors per criterion."""

    class RubricForm(FlaskForm):
        pass

    rank_choices = [SelectChoice("", "Not used")] + [
        SelectChoice(str(n), f"{n}") for n in range(1, len(criteria) + 1)
    ]
    for c in criteria:
        setattr(
            RubricForm,
            f"c{c.id}_name",
            StringField(
                "Name",
                default=c.name,
                filters=[clean_filter],
                validators=[
                    DataRequired("Enter the criterion's name"),
                    Length(max=120),
                ],
            ),
        )
        setattr(
            RubricForm,
            f"c{c.id}_question",
            TextAreaField(
                "Question for judges",
                default=c.question,
                filters=[clean_filter],
                validators=[Length(max=500)],
            ),
        )
        setattr(
            RubricForm,
            f"c{c.id}_weight",
            IntegerField(
                "Weight (%)",
                default=c.weight,
                validators=[
                    InputRequired("Enter a weight"),
                    NumberRange(min=1, max=100, message="Weights are 1 to 100"),
                ],
            ),
        )
        setattr(
            RubricForm,
            f"c{c.id}_tie",
            SelectField(
                "Tie-break position",
                choices=rank_choices,
                default=str(c.tie_break_rank or ""),
                validators=[Optional()],
            ),
        )
        for level in c.levels:
            setattr(
                RubricForm,
                f"c{c.id}_level{level.score}",
                TextAreaField(
                    f"{level.score}: {level.label}",
                    default=level.descriptor,
                    filters=[clean_filter],
                    validators=[Length(max=1000)],
                ),
            )
    return RubricForm
