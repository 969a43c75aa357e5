"""Catching up on a long thread: its top posts (the opening post, the replies that
helped most people and every verified expert's reply, in thread order), each with its
place in the thread. Searching within one thread is forum.domain.search's, with a
thread given.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ExpertVerification, HelpfulMark, Post, Thread, User, VerificationStatus
from ..permissions import public_posts
from .visibility import page_of_position

TOP_POSTS = 20


@dataclass
class TopPost:
    post: Post
    helped: int      # how many members said it helped them
    expert: bool     # written by a verified expert
    page: int        # the page of the thread it is on, for the viewer


def top_posts(thread: Thread, viewer, per_page: int, limit: int = TOP_POSTS) -> list[TopPost]:
    """At most `limit` public posts of `thread`: the opening post, then experts' replies
    and the most helpful ones (those helped nobody are left out), shown in thread order.
    Two statements whatever the thread's length: the candidates with their counts and
    places, then the chosen posts with their authors."""
    helped = (select(func.count(HelpfulMark.id)).where(HelpfulMark.post_id == Post.id)
              .correlate(Post).scalar_subquery())
    expert = exists().where(ExpertVerification.user_id == Post.author_id,
                            ExpertVerification.status == VerificationStatus.APPROVED.value)
    # Only public posts are chosen, and a public post's position is its place.
    rows = db.session.execute(
        select(Post.id, Post.is_opening, helped.label("helped"), expert.label("expert"),
               Post.position.label("n"))
        .where(Post.thread_id == thread.id, public_posts(),
               or_(Post.is_opening, helped > 0, expert))
    ).all()
    opening = [row for row in rows if row.is_opening]
    replies = sorted((row for row in rows if not row.is_opening),
                     key=lambda row: (not row.expert, -row.helped, row.n))
    chosen = sorted([*opening, *replies][:limit], key=lambda row: row.n)
    if not chosen:
        return []
    posts = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_([row.id for row in chosen]))
        .options(joinedload(Post.author).joinedload(User.verification),
                 joinedload(Post.label)))}
    return [TopPost(posts[row.id], row.helped, bool(row.expert), page_of_position(row.n, per_page))
            for row in chosen]
