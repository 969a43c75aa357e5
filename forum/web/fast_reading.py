"""Reading faster than a person could: thread pages and profiles count against
RATELIMIT_READ per signed-in member (not visitors, not staff). Past it the page is a
429, and moderators see a FAST_READING alert ("Accounts to look at"), raised once
while it is open: scraping a patient community is a known harm."""

from flask_login import current_user

from ..domain import alerts
from ..extensions import db
from ..limits import reading
from ..models import AlertKind
from ..permissions import is_moderator


def _not_counted() -> bool:
    return not current_user.is_authenticated or is_moderator(current_user)


def _alert(limit) -> None:
    # Committed here: the request itself is refused, and nothing else is written.
    alerts.raise_alert(AlertKind.FAST_READING, f"reading:user:{current_user.id}",
                       subject=current_user._get_current_object(),
                       detail=f"More than {limit.limit} thread or profile pages")
    db.session.commit()


limit_reading = reading(exempt_when=_not_counted, on_breach=_alert)
