"""`/dev/mail`: the outbox as a page, for trying the forum on one's own machine.

Without a mail server nothing leaves the machine, so a person who joins locally
reads their confirmation link here. It does not exist in production or once
MAIL_SERVER is set: there the outbox holds real people's mail.
"""

import re

from flask import Blueprint, abort, current_app, render_template

from .domain import mail
from .web.paging import requested_page, require_page_exists

bp = Blueprint("devmail", __name__)
PER_PAGE = 20
_URL = re.compile(r"https?://[^\s<>\"']+")


@bp.before_request
def only_in_development():
    if current_app.config["FORUM_ENV"] == "production" or current_app.config.get("MAIL_SERVER"):
        abort(404)


@bp.get("/dev/mail")
def outbox():
    messages = mail.outbox_page(requested_page(), PER_PAGE)
    require_page_exists(messages)
    return render_template("dev/mail.html", messages=messages, pieces=_pieces)


def _pieces(body: str) -> list[tuple[str, str | None]]:
    """The body as (text, href) pieces, href set for each link. Links to this forum
    become paths, so they work whichever address the forum is served on."""
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    pieces, last = [], 0
    for match in _URL.finditer(body):
        url = match.group(0).rstrip(".,;:)")
        pieces.append((body[last:match.start()], None))
        href = url[len(public):] if url.startswith(public + "/") else url
        pieces.append((url, href))
        last = match.start() + len(url)
    pieces.append((body[last:], None))
    return pieces
