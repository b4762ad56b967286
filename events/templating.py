"""Template filters for times (shown in Europe/London), money and phase tags."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")

PHASE_TAG_COLOURS = {
    "draft": "grey",
    "open": "blue",
    "submissions_open": "green",
    "submissions_closed": "yellow",
    "judging": "orange",
    "moderation": "purple",
    "published": "aqua-green",
}


def london(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    """Format an aware UTC datetime in UK local time (GMT or BST)."""
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime(fmt)


def london_date(value: datetime | None) -> str:
    return london(value, "%-d %B %Y")


def london_time(value: datetime | None) -> str:
    return london(value, "%H:%M")


def pounds(value: int | None) -> str:
    """Format whole pounds as £1,234."""
    return "" if value is None else f"£{value:,}"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        london=london, london_date=london_date, london_time=london_time, pounds=pounds
    )
    app.jinja_env.globals["PHASE_TAG_COLOURS"] = PHASE_TAG_COLOURS
