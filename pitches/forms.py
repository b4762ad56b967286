"""Forms for problem statements, teams, members and pitches (domain 5.2 and 5.3)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from formkit import EnumRadioField, MaxWords, NoNhsNumber, clean_filter, enum_choices
from pitches.models import Background, PitchType, Setting

PRIVACY_HINT = (
    "Do not include personal information like names, dates of birth or NHS numbers."
)


def _text(label, *, required=None, max_chars=None, words=None, hint=None):
    validators = [DataRequired(required)] if required else [Optional()]
    if max_chars:
        validators.append(
            Length(max=max_chars, message=f"Must be {max_chars} characters or fewer")
        )
    if words:
        validators.append(MaxWords(words))
    validators.append(NoNhsNumber())
    field = TextAreaField if words else StringField
    return field(label, description=hint, filters=[clean_filter], validators=validators)


class ProblemForm(FlaskForm):
    title = _text("Title", required="Enter a title", max_chars=80)
    one_sentence = _text(
        "In one sentence, what goes wrong and for whom?",
        required="Say in one sentence what goes wrong and for whom",
        max_chars=200,
    )
    who_affected = _text(
        "Who experiences it?",
        required="Say who experiences the problem",
        max_chars=300,
        hint="For example residents, carers, night staff, GPs.",
    )
    setting = SelectField(
        "Setting",
        choices=enum_choices(Setting, "Choose a setting"),
        validators=[DataRequired("Choose a setting")],
    )
    story = _text(
        "What happens now?",
        required="Describe what happens now",
        words=250,
        hint=PRIVACY_HINT,
    )
    scale = _text(
        "How big is it? (optional)",
        words=150,
        hint="Local numbers, incidents, complaints or time lost.",
    )
    tried = _text("What has been tried, or what already exists? (optional)", words=150)
    better = _text(
        'What would "better" look like?',
        required='Describe what "better" would look like',
        words=100,
    )
    owner_name = _text("Your name", required="Enter your name", max_chars=120)
    owner_role = _text(
        "Your role",
        required="Enter your role",
        max_chars=120,
        hint="For example Registered Nurse, son of a resident.",
    )
    owner_contact = StringField(
        "Contact email",
        filters=[clean_filter],
        validators=[
            DataRequired("Enter a contact email address"),
            Email(
                "Enter an email address in the correct format",
                check_deliverability=False,
            ),
            Length(max=254),
        ],
    )
    willing_to_pitch = RadioField(
        "Are you willing to pitch this problem at the event?",
        choices=[
            SelectChoice("live", "Yes, live (about 2 minutes, no slides)"),
            SelectChoice("recording", "Yes, with a short video or audio clip"),
            SelectChoice("no", "No, the organisers can present it"),
        ],
        validators=[DataRequired("Say whether you are willing to pitch")],
    )
    publish_consent = BooleanField(
        "I give permission to publish this problem statement and my name",
        validators=[DataRequired("You must give permission to publish")],
    )


class MemberForm(FlaskForm):
    name = _text("Full name", required="Enter the member's name", max_chars=120)
    background = RadioField(
        "Background",
        choices=enum_choices(Background),
        validators=[DataRequired("Choose a background")],
    )
    role_title = _text(
        "Role (optional)",
        max_chars=120,
        hint="For example Dietitian, software developer, carer.",
    )
    organisation = _text("Organisation (optional)", max_chars=120)


class TeamForm(MemberForm):
    """A new team and its lead, the person creating it."""

    team_name = _text("Team name", required="Enter a team name", max_chars=80)
    problem_id = SelectField(
        "Problem statement",
        coerce=str,
        validators=[DataRequired("Choose a problem statement")],
    )
    name = _text("Your full name", required="Enter your name", max_chars=120)
    background = RadioField(
        "Your background",
        choices=enum_choices(Background),
        validators=[DataRequired("Choose your background")],
    )


class PitchForm(FlaskForm):
    # A: the project
    title = _text("Project title", max_chars=80)
    summary = _text(
        "One-sentence summary", words=30, hint="Plain English, 30 words or fewer."
    )
    pitch_type = EnumRadioField(
        "Type of project", choices=enum_choices(PitchType), validators=[Optional()]
    )
    # B: the problem
    problem_text = _text(
        "The problem and who experiences it", words=250, hint=PRIVACY_HINT
    )
    evidence = _text(
        "Evidence it matters here", words=200, hint="Local data, feedback or incidents."
    )
    existing = _text(
        "What exists already and why it is not enough; could an existing budget fund "
        "this?",
        words=150,
    )
    # C: the solution
    plan = _text("What you will do", words=300)
    beneficiaries_count = IntegerField(
        "How many people will benefit?",
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000_000, message="Enter a whole number"),
        ],
    )
    beneficiaries_unit = _text(
        "Who they are", max_chars=120, hint="For example residents across 3 homes."
    )
    difference = _text("What will be different for them", words=150)
    funding_requested = IntegerField(
        "Funding requested (£)",
        validators=[
            Optional(),
            NumberRange(
                min=0, max=10_000_000, message="Enter a whole number of pounds"
            ),
        ],
    )
