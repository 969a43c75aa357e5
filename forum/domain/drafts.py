"""Forms that must not lose what was typed: one-time submission tokens, previews and
drafts kept on the server.

Every writing form has a key naming it ("reply:<thread id>", "discussion:<category
slug>", "article", "edit:<post id>"), read from the URL of the page or of the form's
action (`form_key`). A member's draft for that key fills the form when they come back
to it, is listed at /drafts, and goes when the form is posted. A draft is only ever
read for its own member: nothing here takes a user other than the one it acts for.

Draft text is what members write about their health: it is never logged.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request, session, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import text
from ..extensions import db
from ..models import Category, Draft, Post, Thread, User, utcnow
from ..permissions import can_view_post, can_view_thread

# The writing fields a draft keeps, with the longest text each may hold: the forms'
# own limits (a draft holds nothing the form could not send).
LIMITS = {"title": 150, "summary": 600, "body": 50_000, "tags": 300,
          "references": 60_000, "disclosure": 2000}
# What a draft too long for its field is told, per field (%(max)s is the limit).
TOO_LONG = {
    "title": _l("That is too long to keep as a draft: the title can be at most "
                "%(max)s characters."),
    "summary": _l("That is too long to keep as a draft: the summary can be at most "
                  "%(max)s characters."),
    "body": _l("That is too long to keep as a draft: the body can be at most "
               "%(max)s characters."),
    "tags": _l("That is too long to keep as a draft: the tags can be at most "
               "%(max)s characters."),
    "references": _l("That is too long to keep as a draft: the references can be at most "
                     "%(max)s characters."),
    "disclosure": _l("That is too long to keep as a draft: the disclosure can be at most "
                     "%(max)s characters."),
}
# A member's drafts are bounded too, so a script cannot fill the database.
MAX_DRAFTS = 100

KEY_RE = re.compile(r"(?:reply|edit):[1-9][0-9]{0,9}|discussion:[A-Za-z0-9_-]{1,60}|article")

# Text sent with the sign-in form from the kept-text page waits here (the draft's key
# is "pending:<token>:<form key>", the token in this browser's session) while the
# member gives their two-step code: it becomes their draft only once they are fully
# signed in, in this browser. A password alone never puts text in an account.
PENDING = "kept_text_pending"
PENDING_PREFIX = "pending:"
PENDING_MAX_AGE = timedelta(minutes=15)


# The pages that show or take a writing form, and the key each one's form has.
_KEYS = {
    "threads.thread": lambda args: f"reply:{args['thread_id']}",
    "posts.reply": lambda args: f"reply:{args['thread_id']}",
    "threads.new_discussion": lambda args: f"discussion:{args['slug']}",
    "threads.new_article": lambda args: "article",
    "posts.edit": lambda args: f"edit:{args['post_id']}",
}


class DraftError(ValueError):
    """A draft that cannot be kept; the message says why."""


# -- forms -------------------------------------------------------------------

def form_key() -> str | None:
    """The key of the writing form this request shows or sends (None for other pages)."""
    key_of = _KEYS.get(request.endpoint or "")
    return valid_key(key_of(request.view_args or {})) if key_of else None


def form_page(key: str) -> str:
    """Where the form with `key` is, for links back to it (and after signing in)."""
    kind, _sep, rest = key.partition(":")
    if kind == "reply":
        return url_for("threads.thread", thread_id=int(rest), _anchor="reply")
    if kind == "edit":
        return url_for("posts.edit", post_id=int(rest))
    if kind == "discussion":
        return url_for("threads.new_discussion", slug=rest)
    return url_for("threads.new_article")


def valid_key(key: str | None) -> str | None:
    return key if isinstance(key, str) and KEY_RE.fullmatch(key) else None


def prepare(form) -> None:
    """Ready a writing form for showing: its one-time submission token, its draft key,
    and, when the member comes back to it (a GET), their draft in its fields."""
    if "submission" in form and not form.submission.data:
        form.submission.data = secrets.token_urlsafe(24)
    form.draft_key = form_key()
    form.restored_draft = None
    if form.is_submitted() or form.draft_key is None or not current_user.is_authenticated:
        return
    draft = find(current_user, form.draft_key)
    if draft is None:
        return
    # A reply page opened to quote a post keeps the quote after the draft.
    quoted = form.body.data if form.draft_key.startswith("reply:") else ""
    for name in LIMITS:
        if name in form and (name == "body" or name in draft.fields):
            form[name].data = draft.body if name == "body" else draft.fields[name]
    if quoted and quoted.strip() not in form.body.data:
        form.body.data = f"{form.body.data.rstrip()}\n\n{quoted}"
    form.restored_draft = draft


def preview_of(form) -> Markup | None:
    """Rendered HTML of the body when the Preview button was pressed, else None."""
    if form.preview.data and form.body.data:
        return text.render(form.body.data)
    return None


def sent_before(form, what: str) -> None:
    """The form was sent once already with other text (AlreadySent): keep what is in
    it now, and offer to post that as something new, with a fresh token."""
    if what == "reply":
        told = _("This form was already sent once, and your first reply is posted. What "
                 "you have written now is kept below: press “Post as a new reply” to post "
                 "it as well.")
        button = _("Post as a new reply")
    elif what == "article":
        told = _("This form was already sent once, and your first article is posted. What "
                 "you have written now is kept below: press “Post as a new article” to "
                 "post it as well.")
        button = _("Post as a new article")
    else:
        told = _("This form was already sent once, and your first discussion is posted. "
                 "What you have written now is kept below: press “Post as a new "
                 "discussion” to post it as well.")
        button = _("Post as a new discussion")
    form.form_errors.append(told)
    form.submission.data = secrets.token_urlsafe(24)
    form.submit.label.text = button


# -- the drafts themselves -----------------------------------------------------

def fields_of(formdata) -> dict[str, str]:
    """The writing fields present in a sent form, as they would be stored."""
    return {name: text.normalise(formdata.get(name, "")) for name in LIMITS if name in formdata}


def find(user: User, key: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.user_id == user.id, Draft.key == key))


def of_member(user: User) -> list[Draft]:
    return db.session.scalars(
        select(Draft).where(Draft.user_id == user.id, ~Draft.key.startswith(PENDING_PREFIX))
        .order_by(Draft.updated_at.desc(), Draft.id.desc())
    ).all()


def save(user: User, key: str, formdata) -> Draft | None:
    """Keep the writing fields of `formdata` as `user`'s draft for `key` (and commit).

    None when there is nothing to keep. An empty form leaves an earlier draft as it
    was: a slip that clears the box must not take the draft with it (discarding is
    its own button). A form posted already removes its draft: a background save
    arriving after the post must not bring it back."""
    fields = fields_of(formdata)
    if not any(value.strip() for value in fields.values()):
        return None
    if _already_posted(user, key, fields, formdata.get("submission")):
        discard(user, key)
        return None
    for name, value in fields.items():
        if len(value) > LIMITS[name]:
            raise DraftError(str(TOO_LONG[name]) % {"max": format_number(LIMITS[name])})
    try:
        draft = _store(user, key, fields)
        db.session.commit()
    except IntegrityError:  # the same draft saved twice at once: the later one wins
        db.session.rollback()
        draft = _store(user, key, fields)
        db.session.commit()
    return draft


def _store(user: User, key: str, fields: dict[str, str]) -> Draft:
    draft = find(user, key)
    if draft is None:
        count = db.session.scalar(select(func.count(Draft.id)).where(Draft.user_id == user.id))
        if count >= MAX_DRAFTS:
            raise DraftError(_("You already have %(num)s drafts. Please post or discard "
                               "some of them first.", num=format_number(MAX_DRAFTS)))
        draft = Draft(user_id=user.id, key=key)
        db.session.add(draft)
    draft.body = fields.get("body", "")
    draft.fields = {name: value for name, value in fields.items() if name != "body"}
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def _already_posted(user: User, key: str, fields: dict[str, str], token: str | None) -> bool:
    if token:
        posted = db.session.scalar(select(Post.id).where(
            Post.author_id == user.id, Post.submission_token == token))
        if posted is not None:
            return True
    if key.startswith("edit:"):
        post = db.session.get(Post, int(key.partition(":")[2]))
        return post is not None and post.body_source == fields.get("body")
    return False


def discard(user: User, key: str) -> None:
    """Remove `user`'s draft for `key`, if any (and commit)."""
    db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.key == key))
    db.session.commit()


def forget_posted(user: User) -> None:
    """The form of this request was posted: its draft has served."""
    key = form_key()
    if key is not None:
        discard(user, key)


def keep(user: User, key: str, formdata) -> bool:
    """Keep a refused form's text as `user`'s draft where it can be (see forum.errors);
    False when it could not be kept, which the page then says."""
    try:
        return save(user, key, formdata) is not None
    except DraftError:
        db.session.rollback()
        return False


def _sent_key(formdata) -> str | None:
    return valid_key(formdata.get("draft_key")) if formdata.get("kept_text") == "1" else None


def hold_for_second_step(user: User, formdata) -> None:
    """The password was right and the two-step code comes next: hold the text sent
    with the sign-in form until then."""
    key = _sent_key(formdata)
    if key is None:
        return
    _forget_stale_pending(user)
    token = secrets.token_urlsafe(24)
    if keep(user, f"{PENDING_PREFIX}{token}:{key}", formdata):
        session[PENDING] = token


def keep_from_sign_in(user: User, formdata) -> None:
    """Called once a member is signed in: text they had written while signed out,
    sent along with the sign-in form from the kept-text page (or held during the
    two-step code), becomes their draft, so the form page they go back to shows it."""
    token = session.pop(PENDING, None)
    if isinstance(token, str):
        _claim(user, token)
    key = _sent_key(formdata)
    if key is not None:
        keep(user, key, formdata)


def _forget_stale_pending(user: User) -> None:
    db.session.execute(delete(Draft).where(
        Draft.user_id == user.id, Draft.key.startswith(PENDING_PREFIX),
        Draft.updated_at < utcnow() - PENDING_MAX_AGE))


def _claim(user: User, token: str) -> None:
    prefix = f"{PENDING_PREFIX}{token}:"
    held = db.session.scalar(select(Draft).where(
        Draft.user_id == user.id, Draft.key.startswith(prefix, autoescape=True),
        Draft.updated_at >= utcnow() - PENDING_MAX_AGE))
    _forget_stale_pending(user)
    if held is None:
        db.session.commit()
        return
    key = held.key[len(prefix):]
    db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.key == key))
    held.key, held.updated_at = key, utcnow()
    db.session.commit()


# -- the /drafts page -----------------------------------------------------------

@dataclass
class Listed:
    draft: Draft
    what: str
    url: str | None  # None when the form is no longer there for this member
    updated_at: datetime


def listing(user: User) -> list[Listed]:
    """The member's drafts, each with what it is for and a link back to its form. A
    thread they can no longer see is not named."""
    entries = []
    for draft in of_member(user):
        what, url = _describe(user, draft.key)
        entries.append(Listed(draft, what, url, draft.updated_at))
    return entries


def _describe(user: User, key: str) -> tuple[str, str | None]:
    kind, _sep, rest = key.partition(":")
    if kind == "article":
        return _("A new article"), form_page(key)
    if kind == "discussion":
        category = db.session.scalar(select(Category).where(Category.slug == rest))
        if category is None:
            return _("A new discussion (the category is gone)"), None
        return _("A new discussion in %(category)s", category=category.name), form_page(key)
    if kind == "reply":
        thread = db.session.get(Thread, int(rest))
        if thread is None or not can_view_thread(user, thread):
            return _("A reply to a thread that is no longer there"), None
        return _("A reply to “%(title)s”", title=thread.title), form_page(key)
    post = db.session.get(Post, int(rest))
    if (post is None or post.is_deleted or not can_view_thread(user, post.thread)
            or not can_view_post(user, post)):
        return _("An edit of a post that is no longer there"), None
    return _("An edit of a post in “%(title)s”", title=post.thread.title), form_page(key)
