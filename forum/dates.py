"""How times read on the page ("24 Nov 2026", "3 hours ago", "hace 3 horas") and how they
are written for machines in `<time datetime>` ("2026-11-24T09:30:00Z").

The words go through Babel in the page's language, and the day and hour are the reader's
time zone (forum/i18n.py chooses both); naive values are UTC, as the database stores them.
"""

import math
from datetime import UTC, datetime, timedelta

from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_timedelta,
    gettext,
    to_user_timezone,
)

# Day, short month, year: "24 Nov 2026" in English, "24 nov 2026" in Spanish.
DATE = "d MMM y"


def machine_datetime(value: datetime) -> str:
    """The value of a `<time datetime>` attribute: UTC, to the second. HTML allows at
    most three fraction digits, where Python's isoformat() writes six; seconds are as
    precise as any page needs. A naive value is taken as UTC, as the database stores it."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: int) -> str:
    """A count as the reader writes it: "1,234" in English, "1234" or "12.345" in Spanish."""
    return format_decimal(value)


def human_date(value: datetime) -> str:
    return format_date(value, DATE)


def human_datetime(value: datetime) -> str:
    """"24 Nov 2026, 09:30 UTC": the zone's abbreviation says which clock it is."""
    zone = to_user_timezone(value).strftime("%Z")
    return f"{format_datetime(value, DATE + ', HH:mm')} {zone}"


def time_ago(value: datetime, now: datetime | None = None) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return gettext("just now")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return human_date(value)
            # Whole units counted down, as before ("59 minutes ago", never rounded up to
            # "1 hour"); Babel only words it, in the reader's language and plural.
            return format_timedelta(timedelta(seconds=-count * size), granularity=unit,
                                    threshold=math.inf, add_direction=True)
    return human_date(value)
