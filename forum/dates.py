"""How times read on the page: "24 Nov 2026", "3 hours ago"."""

from datetime import UTC, datetime


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
