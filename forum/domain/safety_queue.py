"""The moderators' answers to safety alerts (domain/alerts.py raises them): a private
note to the member from an editable template, escalating to the admins, resolving.
Each is logged (forum.domain.events) and commits once. The note templates' format is
owned here: `parse_templates` reads it for the note page and validates it for
/mod/templates."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import community
from ..extensions import db
from ..models import Role, SafetyAlert, User, utcnow
from . import events, mail, notifications

MAX_TEMPLATES_TEXT = 20_000
MAX_NOTE = 3000
MAX_NAME = 80


@dataclass(frozen=True)
class NoteTemplate:
    name: str
    body: str


class TemplatesError(ValueError):
    """The note templates' text cannot be used; the message says why."""


def parse_templates(source: str) -> list[NoteTemplate]:
    """Templates from their text: each starts with a line "## Name", the lines after it
    (up to the next "## ") are the note. Blank lines before the first are allowed;
    anything else there, a name used twice, an empty note or no template at all is a
    TemplatesError."""
    templates: list[NoteTemplate] = []
    name, lines = None, []

    def close():
        body = "\n".join(lines).strip()
        if not body:
            raise TemplatesError(_l("The template “%(name)s” has no text under its name.",
                                    name=name))
        if len(body) > MAX_NOTE:
            raise TemplatesError(_l("The template “%(name)s” is longer than %(max)d "
                                    "characters.", name=name, max=MAX_NOTE))
        templates.append(NoteTemplate(name, body))

    for line in source.replace("\r\n", "\n").split("\n"):
        if line.startswith("## "):
            if name is not None:
                close()
            name, lines = line[3:].strip(), []
            if not name:
                raise TemplatesError(_l("Each “## ” line needs a name after it."))
            if len(name) > MAX_NAME:
                raise TemplatesError(_l("A template's name can be at most %(max)d "
                                        "characters.", max=MAX_NAME))
            if name.casefold() in {t.name.casefold() for t in templates}:
                raise TemplatesError(_l("Two templates are called “%(name)s”: each needs "
                                        "its own name.", name=name))
        elif name is None:
            if line.strip():
                raise TemplatesError(_l("Start with a line “## Name” for the first "
                                        "template."))
        else:
            lines.append(line)
    if name is not None:
        close()
    if not templates:
        raise TemplatesError(_l("Please keep at least one template: a line “## Name”, "
                                "then its text."))
    return templates


def note_templates() -> list[NoteTemplate]:
    """The templates moderators start a note from (NOTE_TEMPLATES); none if the stored
    text is unusable (it is validated when saved)."""
    try:
        return parse_templates(community.get("NOTE_TEMPLATES"))
    except TemplatesError:
        return []


def save_templates(moderator: User, source: str) -> bool:
    """Validate (TemplatesError) and store the templates; True if they changed."""
    parse_templates(source)
    return bool(community.save(moderator, {"NOTE_TEMPLATES": source}))


def get_alert(alert_id: int) -> SafetyAlert | None:
    return db.session.get(SafetyAlert, alert_id)


def _open(alert: SafetyAlert) -> None:
    if alert.resolved_at is not None:
        raise events.ModerationError(_l("This alert was already resolved."))


def send_note(alert: SafetyAlert, moderator: User, note: str) -> None:
    """A private note to the member the alert is about: a notification (MODERATION,
    action "note") and a mail in their language. The note is the moderator's own text;
    nothing of the post is added to it."""
    _open(alert)
    member, note = alert.subject, note.strip()
    event = events.record(moderator, "note", reason=note, thread=alert.thread,
                          post=alert.post, subject=member)
    db.session.flush()
    if member is not None and member.deleted_at is None:
        if member.email:
            mail.queue(member, "note", note=note)
        notifications.moderated(member, event.id, moderator, "note", note, None, None)
    events.commit()


def escalate(alert: SafetyAlert, moderator: User, reason: str = "") -> bool:
    """Ask the admins to look: every admin is notified and mailed. The alert stays in
    the queue, marked escalated. False if it already was."""
    _open(alert)
    if alert.escalated_at is not None:
        return False
    alert.escalated_at, alert.escalated_by = utcnow(), moderator
    event = events.record(moderator, "escalate", reason=reason, thread=alert.thread,
                          post=alert.post, subject=alert.subject)
    db.session.flush()
    admins = db.session.scalars(select(User).where(
        User.role == Role.ADMIN.value, User.deleted_at.is_(None))).all()
    for admin in admins:
        if admin.id == moderator.id:
            continue
        notifications.moderated(admin, event.id, moderator, "escalate", reason.strip(),
                                None, None)
        if admin.email:
            mail.queue(admin, "escalated", reason=reason.strip(), kind=alert.kind)
    events.commit()
    return True


def resolve(alert: SafetyAlert, moderator: User, note: str = "") -> None:
    """The alert leaves the queue, with who resolved it and their note."""
    _open(alert)
    alert.resolved_at, alert.resolved_by, alert.resolution = utcnow(), moderator, note.strip()
    events.record(moderator, "resolve alert", reason=note, thread=alert.thread,
                  post=alert.post, subject=alert.subject)
    events.commit()
