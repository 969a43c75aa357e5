"""Writing threads: starting a discussion, publishing an article with its
references, and editing a thread with its opening post; the parsing of tags and
references they share. Each commits once (through forum.domain.posts)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import text
from ..extensions import db
from ..locking import insert_on_conflict
from ..models import Category, Post, Reference, Tag, Thread, ThreadKind, User, utcnow
from ..permissions import needs_review
from . import moderation, notifications, reviews, safety, visibility, watching
from .posts import edit_post, edited, new_post, revise, write_once

MAX_TAGS = 5
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "thread"


class WritingError(ValueError):
    """Input that cannot be stored; the message says what to fix."""


# An article says who might gain from it; "None" is an answer, an empty box is not.
NO_DISCLOSURE = _l("Please write a disclosure of any conflicts of interest "
                   "(write “None” if you have none).")


HASHTAG_RE = re.compile(r"(?<![\w&])#([A-Za-z][A-Za-z0-9-]{0,39})\b")


def parse_tags(raw: str, strict: bool = False) -> list[str]:
    """'#ResearchSpeak, diet' -> ['researchspeak', 'diet']; order kept, duplicates dropped.

    With `strict`, a malformed tag or more than MAX_TAGS raise WritingError;
    otherwise they are dropped.
    """
    names = []
    for word in re.split(r"[\s,]+", raw or ""):
        name = word.strip().lstrip("#").lower()
        if not name or name in names:
            continue
        if not TAG_RE.fullmatch(name):
            if strict:
                raise WritingError(_(
                    "“%(word)s” cannot be a tag: use letters, digits and '-', "
                    "up to 40 characters.", word=word[:40]
                ))
            continue
        names.append(name)
    if strict and len(names) > MAX_TAGS:
        raise WritingError(_("Please choose at most %(max)s tags.", max=format_number(MAX_TAGS)))
    return names[:MAX_TAGS]


def tags_for(title: str, raw_tags: str) -> list[str]:
    """The form's tags, then any #hashtags written in the title."""
    names = parse_tags(raw_tags)
    for hashtag in HASHTAG_RE.findall(title):
        if hashtag.lower() not in names:
            names.append(hashtag.lower())
    return names[:MAX_TAGS]


# ASCII digits only: "PMID: ١٢٣٤" is not a PubMed id, and the links must be real.
DOI_RE = re.compile(r"\b(10\.[0-9]{4,9}/[^\s\"<>]+)", re.IGNORECASE)
PMID_RE = re.compile(
    r"(?:\bPMID:?\s*|pubmed\.ncbi\.nlm\.nih\.gov/)([0-9]{1,8})\b", re.IGNORECASE
)
DOI_MAX = 200  # Reference.doi; a longer one would fail in the database, not in the form


def parse_references(raw: str) -> list[Citation]:
    """One reference per line: citation text with a DOI and/or a PMID."""
    references = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        line = text.normalise(line).strip()
        if not line:
            continue
        if len(line) > 1000:
            raise WritingError(_("Reference %(number)s is too long (at most %(max)s characters).",
                                 number=format_number(number), max=format_number(1000)))
        doi = DOI_RE.search(line)
        pmid = PMID_RE.search(line)
        if not doi and not pmid:
            raise WritingError(_(
                "Reference %(number)s has neither a DOI (10.…) nor a PMID: “%(line)s”.",
                number=format_number(number), line=line[:60],
            ))
        doi = doi.group(1).rstrip(".,;)]") if doi else None
        if doi and len(doi) > DOI_MAX:
            raise WritingError(_(
                "Reference %(number)s has a DOI longer than %(max)s characters: “%(doi)s…”.",
                number=format_number(number), max=format_number(DOI_MAX), doi=doi[:60],
            ))
        references.append(Citation(
            citation=line, doi=doi, pmid=pmid.group(1) if pmid else None,
        ))
    if len(references) > 50:
        raise WritingError(_("An article can cite at most %(max)s references.",
                               max=format_number(50)))
    return references


def references_as_text(thread: Thread) -> str:
    """The reference list as the form shows it: each citation with its DOI and PMID."""
    lines = []
    for reference in thread.references:
        line = reference.citation
        if reference.doi and reference.doi.lower() not in line.lower():
            line += f" doi:{reference.doi}"
        if reference.pmid and reference.pmid not in line:
            line += f" PMID: {reference.pmid}"
        lines.append(line)
    return "\n".join(lines)


@dataclass
class Citation:
    citation: str
    doi: str | None = None
    pmid: str | None = None


def _tags(names: list[str]) -> list[Tag]:
    """The Tag rows for `names`, creating the new ones. Two people may start threads
    with the same new tag at once: the insert skips a name another transaction has
    just added (waiting for it to commit, on Postgres) instead of failing the unique
    constraint, and the second read then finds that row."""
    names = names[:MAX_TAGS]
    existing = _tags_named(names)
    missing = [name for name in names if name not in existing]
    if missing:
        db.session.execute(insert_on_conflict(Tag).values([{"name": name} for name in missing])
                           .on_conflict_do_nothing(index_elements=[Tag.name]))
        existing = _tags_named(names)
    return [existing[name] for name in names]


def _tags_named(names: list[str]) -> dict[str, Tag]:
    return {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}


def _new_thread(
    kind: ThreadKind,
    author: User,
    category: Category,
    title: str,
    body: str,
    tags: list[str],
    at: datetime | None,
    submission: str | None = None,
    **fields,
) -> Post:
    at = at or utcnow()
    title = text.normalise(title).strip()
    thread = Thread(
        kind=kind,
        author=author,
        category=category,
        title=title,
        slug=slugify(title),
        created_at=at,
        last_activity_at=at,
        tags=_tags(tags),
        **fields,
    )
    db.session.add(thread)
    opening = new_post(thread, author, body, at, submission, is_opening=True)
    # Joined as str: `Markup + str` would escape the str, and hide its links.
    shown = "".join((opening.body_html, _rendered_fields(thread)))
    if safety.hold_if_watched(opening, shown):
        pass
    elif needs_review(author, shown,
                      lambda: moderation.approved_post_count(author, excluding=opening)):
        visibility.hold(opening)
    watching.auto_watch(author, thread)
    if opening.held_at is None:
        visibility.published(opening)
        notifications.post_published(opening)
    safety.written(opening, "", *_own_words(thread))
    return opening


def _own_words(thread: Thread) -> list[str]:
    return [thread.title, thread.summary or ""]


def _rendered_fields(thread: Thread) -> str:
    """The thread's own words as the renderer sees them, so a link in a title, a summary
    or a reference is caught like one in the body."""
    shown = [thread.title, thread.summary or "", *(ref.citation for ref in thread.references)]
    return text.render("\n\n".join(shown))


def start_discussion(
    author: User, category: Category, title: str, body: str, tags: list[str],
    at: datetime | None = None, submission: str | None = None, members_only: bool = False,
) -> Thread:
    """A new discussion; `members_only` keeps its words for signed-in members (#14)."""
    return write_once(submission, author, lambda token: _new_thread(
        ThreadKind.DISCUSSION, author, category, title, body, tags, at, token,
        members_only=bool(members_only),
    ), body, title).thread


def publish_article(
    author: User,
    category: Category,
    title: str,
    summary: str,
    body: str,
    tags: list[str],
    references: list[Citation],
    disclosure: str,
    at: datetime | None = None,
    submission: str | None = None,
) -> Thread:
    disclosure = text.normalise(disclosure).strip()
    if not disclosure:
        raise WritingError(NO_DISCLOSURE)

    def publish(token):
        opening = _new_thread(
            ThreadKind.ARTICLE, author, category, title, body, tags, at, token,
            summary=text.normalise(summary).strip(), disclosure=disclosure,
            references=[
                Reference(position=i, citation=ref.citation, doi=ref.doi, pmid=ref.pmid)
                for i, ref in enumerate(references)
            ],
        )
        reviews.first_review(opening.thread, author, opening.created_at)
        return opening

    return write_once(submission, author, publish, body, title).thread


def save_edit(post: Post, editor: User, body: str, title: str = "", tags: str = "",
              summary: str | None = None, disclosure: str | None = None,
              references: str = "") -> None:
    """An edit from the edit form: a reply's body, or an opening post with its thread."""
    if not post.is_opening:
        edit_post(post, editor, body)
        return
    edit_thread(post.thread, editor, title, tags_for(title, tags), body, summary, disclosure,
                parse_references(references) if post.thread.is_article else None)


def edit_thread(thread: Thread, editor: User, title: str, tags: list[str], body: str,
                summary: str | None = None, disclosure: str | None = None,
                references: list[Citation] | None = None) -> None:
    """The opening post's author (or a moderator) changes the thread and its first post."""
    opening = opening_post(thread)
    words_before = "\n".join((opening.body_source, *_own_words(thread)))
    html_before = "".join((opening.body_html, _rendered_fields(thread)))
    title = text.normalise(title).strip()
    thread.title, thread.slug, thread.tags = title, slugify(title), _tags(tags)
    if thread.is_article:
        disclosure = text.normalise(disclosure or "").strip()
        if not disclosure:
            raise WritingError(NO_DISCLOSURE)
        thread.summary = text.normalise(summary or "").strip()
        thread.disclosure = disclosure
        thread.references = [
            Reference(position=i, citation=ref.citation, doi=ref.doi, pmid=ref.pmid)
            for i, ref in enumerate(references or [])
        ]
    changed = revise(opening, editor, body)
    shown = "".join((opening.body_html, _rendered_fields(thread)))
    if changed or shown != html_before:
        edited(opening, words_before, html_before, shown, *_own_words(thread), notify=changed)
    visibility.words_changed(opening)
    db.session.commit()


def opening_post(thread: Thread) -> Post:
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(True))
    )
