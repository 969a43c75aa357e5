"""Posts: writing a reply once (a resent form never posts twice), edits with their
history, deleting, and finding a post's page. Whether a post is public, and the
counters that follow, belong to forum.domain.visibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import text
from ..extensions import db
from ..locking import lock_for_update
from ..models import Post, PostRevision, Thread, User, utcnow
from ..permissions import Refused, can_reply, needs_review, visible_posts
from . import moderation, notifications, safety, visibility, watching


def existing_submission(token: str | None, author: User) -> Post | None:
    """The post an earlier send of the same form made, if any."""
    if not token:
        return None
    return db.session.scalar(
        select(Post).where(Post.submission_token == token, Post.author_id == author.id)
    )


SUBMISSION_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class AlreadySent(Exception):
    """The form was sent before with other text (Back, rewrite, Send): the new text is
    not stored over or instead of the first post, and must not be dropped either."""

    def __init__(self, earlier: Post):
        super().__init__("this form was already sent once")
        self.earlier = earlier


def _same_text(earlier: Post, body: str, title: str | None) -> bool:
    if text.normalise(body) != earlier.body_source:
        return False
    return title is None or text.normalise(title).strip() == earlier.thread.title


def write_once(token: str | None, author: User, write: Callable[[str | None], Post],
               body: str, title: str | None = None) -> Post:
    """Run `write` (which adds a post carrying `token`) and commit, once per form.

    A resend of the same text finds the post the first send made. Two sends racing
    each other both try to insert; the unique constraint on the token lets one
    through, and the other rolls back and returns the winner's post, whichever
    worker it ran on. A resend with other text (`body`, and `title` for a thread)
    raises AlreadySent, so the form can offer to post it as something new.
    """
    if not token or not SUBMISSION_RE.fullmatch(token):
        token = None  # tokens are ours (forum.drafts); anything else is ignored
    earlier = existing_submission(token, author)
    if earlier is None:
        try:
            post = write(token)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            earlier = existing_submission(token, author)
            if earlier is None:
                raise
        else:
            return post
    if not _same_text(earlier, body, title):
        raise AlreadySent(earlier)
    return earlier


def new_post(thread: Thread, author: User, body: str, at: datetime, submission: str | None,
             is_opening: bool = False) -> Post:
    """A post added to the session and the search index (no commit)."""
    source = text.normalise(body)
    post = Post(
        thread=thread,
        author=author,
        is_opening=is_opening,
        body_source=source,
        body_html=text.render(source),
        created_at=at,
        submission_token=submission or None,
    )
    db.session.add(post)
    visibility.words_changed(post)
    return post


def add_reply(thread: Thread, author: User, body: str, at: datetime | None = None,
              submission: str | None = None) -> Post:
    """Store a reply; a resend of the same form returns the first send's reply."""

    def write(token: str | None) -> Post:
        # Decide on the thread as it is now, holding its lock: a reply racing a lock
        # either lands first or is refused, never after it.
        lock_for_update(thread)
        decision = can_reply(author, thread)
        if not decision:
            raise Refused(decision)
        written_at = at or utcnow()  # under the lock, so times order like the writes
        post = new_post(thread, author, body, written_at, token)
        watching.auto_watch(author, thread)
        if safety.hold_if_watched(post, post.body_html):
            pass
        elif needs_review(author, post.body_html,
                          lambda: moderation.approved_post_count(author, excluding=post)):
            visibility.hold(post)
        else:
            # Placed and recounted from the rows under the thread's lock, so
            # concurrent replies each see the others' and no count drifts.
            visibility.published(post)
            notifications.post_published(post)
        safety.written(post)
        return post

    return write_once(submission, author, write, body)


# Edits one editor makes within this long of their first one are one revision: fixing
# typos in five saves keeps the text from before the first, not five near-copies.
REVISION_WINDOW = timedelta(minutes=5)


def revise(post: Post, editor: User, body: str) -> bool:
    """Keep the current text as a revision and put `body` in its place (no commit).
    False when nothing changed. When `editor` also made the last edit, less than
    REVISION_WINDOW ago, the text it replaced is already kept and nothing is added."""
    source = text.normalise(body)
    if source == post.body_source:
        return False
    now = utcnow()
    last = db.session.scalar(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc()).limit(1)
    ) if post.edited_at is not None else None
    if last is None or last.editor_id != editor.id or last.created_at <= now - REVISION_WINDOW:
        db.session.add(PostRevision(
            post_id=post.id, body_source=post.body_source, editor=editor,
            written_at=post.edited_at or post.created_at, created_at=now,
        ))
    post.body_source = source
    post.body_html = text.render(source)
    post.edited_at = now
    return True


def edit_post(post: Post, editor: User, body: str) -> bool:
    words_before, html_before = post.body_source, post.body_html
    changed = revise(post, editor, body)
    visibility.words_changed(post)
    if changed:
        edited(post, words_before, html_before)
    db.session.commit()
    return changed


def edited(post: Post, words_before: str, html_before: str, html: str | None = None,
           *also: str, notify: bool = True) -> None:
    """After an edit changed what a post shows: held when it adds a link to a watched
    domain (`html`, everything it shows, rendered), else its readers are told (when
    `notify`: its body changed); crisis language it adds raises an alert either way."""
    if not safety.hold_if_watched(post, html or post.body_html, html_before) and notify:
        notifications.post_published(post, edited=True)
    safety.written(post, words_before, *also)


def delete_post(post: Post, by: User) -> None:
    """Soft delete (forum.domain.visibility.delete), committed."""
    visibility.delete(post, by)
    db.session.commit()


def latest_post(thread: Thread, viewer) -> Post:
    """The newest post `viewer` can see (the opening post when there is no other)."""
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None),
                           visible_posts(viewer))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(1)
    ) or db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                              Post.is_opening.is_(True)))


def revisions(post: Post) -> list[PostRevision]:
    return db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc())
    ).all()


def get_post(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def page_of(post: Post, per_page: int) -> int:
    """Which page of its thread a post is on, in one statement whatever the thread's
    length: a page is a range of public positions (forum.domain.listings.thread_posts),
    so a post that is not public is on the page of the last public post before it."""
    position = db.session.scalar(
        select(Post.position)
        .where(Post.thread_id == post.thread_id, Post.position.is_not(None),
               Post.created_at <= post.created_at,
               (Post.created_at < post.created_at) | (Post.id <= post.id))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(1)
    )
    return visibility.page_of_position(position, per_page)


def quote(post: Post) -> str:
    """Markdown that quotes `post` at the start of a reply."""
    name = (post.author.username if post.author and not post.author.deleted_at
            else _("a former member"))
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body_source.splitlines())
    return f"{quoted}\n>\n> — @{name}\n\n"
