"""Evidence labels ("Unproven", "Promising", …): the list admins keep, and putting
one on a thread or a post with who and why. Each change is in the moderation log."""

from __future__ import annotations

import re

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import text
from ..extensions import db
from ..models import EvidenceLabel, Post, Thread, User, utcnow
from . import events, helpful
from .events import ModerationError
from .threads import DOI_MAX, DOI_RE, PMID_RE, Citation, WritingError


def active_labels() -> list[EvidenceLabel]:
    return db.session.scalars(
        select(EvidenceLabel).where(EvidenceLabel.archived_at.is_(None))
        .order_by(EvidenceLabel.position, EvidenceLabel.name)
    ).all()


def in_use(label_id: int) -> EvidenceLabel | None:
    """The label with this id if it can be put on something now (not archived)."""
    label = db.session.get(EvidenceLabel, label_id) if label_id else None
    return label if label is not None and label.archived_at is None else None


def all_labels() -> list[EvidenceLabel]:
    """The whole list as admins keep it, archived labels included."""
    return db.session.scalars(select(EvidenceLabel).order_by(EvidenceLabel.position)).all()


BARE_PMID_RE = re.compile(r"[0-9]{1,8}")


def parse_citation(raw: str) -> Citation | None:
    """A label's optional citation: a DOI (10.…, or a doi.org address) or a PMID
    ("PMID: 123", a PubMed address, or the bare number), checked like an article's
    references. None when empty; WritingError when it is neither."""
    line = text.normalise(raw or "").strip()
    if not line:
        return None
    doi, pmid = DOI_RE.search(line), PMID_RE.search(line) or BARE_PMID_RE.fullmatch(line)
    if not doi and not pmid:
        raise WritingError(_("The citation needs a DOI (10.…) or a PubMed id (PMID: …)."))
    doi = doi.group(1).rstrip(".,;)]") if doi else None
    if doi and len(doi) > DOI_MAX:
        raise WritingError(_("That DOI is longer than %(max)s characters.",
                             max=format_number(DOI_MAX)))
    if pmid:
        pmid = pmid.group(1) if pmid.re.groups else pmid.group(0)
    return Citation(citation=line, doi=doi, pmid=pmid or None)


def set_label(target: Thread | Post, user: User, label: EvidenceLabel | None, note: str,
              commit: bool = True, citation: Citation | None = None) -> None:
    """Put `label` (or none) on a thread or a post, with who and why, and the study it
    rests on (a DOI and/or PMID) if one is given."""
    target.label = label
    target.label_doi = citation.doi if label and citation else None
    target.label_pmid = citation.pmid if label and citation else None
    target.label_note = note.strip() if label else ""
    target.labelled_by_id = user.id if label else None
    target.labelled_at = utcnow() if label else None
    thread = target if isinstance(target, Thread) else target.thread
    post = target if isinstance(target, Post) else None
    if post is not None and label is not None and label.tone == "caution":
        helpful.not_the_answer(post)
    action = f"label: {label.name}" if label else "unlabel"
    events.record(user, action, reason=note, thread=thread, post=post,
                  subject=target.author)
    if label is not None and target.author_id != user.id:
        link = f"/p/{post.id}" if post else f"/t/{thread.id}"
        message = (_l("A moderator labelled your post “%(label)s”.", label=label.name) if post
                   else _l("A moderator labelled your thread “%(label)s”.", label=label.name))
        events.tell(target.author, message, note, link)
    if commit:
        events.commit()


def save_label(admin: User, label: EvidenceLabel | None, name: str, description: str,
               tone: str, position: int) -> EvidenceLabel:
    created = label is None
    name = name.strip()
    taken = db.session.scalar(select(EvidenceLabel.id).where(
        EvidenceLabel.name == name, EvidenceLabel.id != (None if created else label.id)))
    if taken:
        raise ModerationError(_("That label already exists."))
    if created:
        label = EvidenceLabel()
        db.session.add(label)
    label.name, label.description = name, description.strip()
    label.tone, label.position = tone, position
    events.record(admin, "label list: add" if created else "label list: edit", reason=label.name)
    events.commit()
    return label


def archive_label(admin: User, label: EvidenceLabel, archived: bool) -> None:
    events.archive(admin, label, archived, "label list", label.name)
