"""Pieces every package's forms share: text clean-up, word limits and enum choices."""

import re
import unicodedata
from datetime import UTC
from enum import Enum
from zoneinfo import ZoneInfo

from wtforms import RadioField, ValidationError
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

LONDON = ZoneInfo("Europe/London")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
# 10 digits grouped as NHS numbers are written (3-3-4), or run together.
NHS_NUMBER_RE = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


def clean_text(value: str | None) -> str:
    """Normalise user text: NFC, no control or bidi characters (newlines kept), trimmed.

    Pitch and problem fields are plain text (R-24); this is applied to every one of them.
    """
    if value is None:
        return ""
    value = (
        unicodedata.normalize("NFC", str(value))
        .replace("\r\n", "\n")
        .replace("\r", "\n")
    )
    value = value.replace("\t", " ")
    return _CONTROL.sub("", value).strip()


def clean_filter(value):
    """WTForms filter form of clean_text (leaves non-strings alone)."""
    return clean_text(value) if isinstance(value, str) else value


def word_count(text: str) -> int:
    """Count words as the NHS character-count component does: runs of non-space."""
    return len(text.split())


class MaxWords:
    """Validator: at most ``limit`` words."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field) -> None:
        if field.data and word_count(field.data) > self.limit:
            raise ValidationError(f"Must be {self.limit} words or fewer")


class NoNhsNumber:
    """Validator: refuse text that looks like it holds an NHS number (domain 10)."""

    def __call__(self, form, field) -> None:
        if field.data and NHS_NUMBER_RE.search(field.data):
            raise ValidationError(
                "Remove the 10-digit number: do not include NHS numbers or other "
                "personal information"
            )


def enum_choices(enum_cls: type[Enum], blank: str | None = None) -> list[SelectChoice]:
    """Build WTForms choices from an enum with a ``label`` property."""
    choices = [SelectChoice(m.value, m.label) for m in enum_cls]
    if blank is not None:
        choices.insert(0, SelectChoice("", blank))
    return choices


class LondonDateTimeField(DateTimeLocalField):
    """A date and time typed in UK local time, stored as an aware UTC datetime (R-06)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=LONDON).astimezone(UTC)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return self.data.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def field_limits(field) -> dict[str, int | None]:
    """Return the word and character limits of a field, for the character-count component."""
    maxwords = maxlength = None
    for validator in field.validators:
        if isinstance(validator, MaxWords):
            maxwords = validator.limit
        elif isinstance(validator, Length) and validator.max and validator.max > 0:
            maxlength = validator.max
    return {"maxwords": maxwords, "maxlength": maxlength}


class EnumRadioField(RadioField):
    """Radios whose stored value is an Enum: `obj=` gives the member, the radio its value."""

    def process_data(self, value):
        super().process_data(value.value if isinstance(value, Enum) else value)
