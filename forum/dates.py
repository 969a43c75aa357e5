"""How times read on the page ("24 Nov 2026", "3 hours ago") and how they are written
for machines in `<time datetime>` ("2026-11-24T09:30:00Z")."""

from datetime import UTC, datetime


def machine_datetime(value: datetime) -> str:
    """The value of a `<time datetime>` attribute: UTC, to the second. HTML allows at
    most three fraction digits, where Python's isoformat() writes six; seconds are as
    precise as any page needs. A naive value is taken as UTC, as the database stores it."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def human_date(value: datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def human_datetime(value: datetime) -> str:
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def time_ago(value: datetime, now: datetime | None = None) -> str:
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                return human_date(value)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return human_date(value)
