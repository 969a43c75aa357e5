"""Addresses of threads and posts, for every blueprint that links or redirects to one."""

from flask import current_app, url_for
from flask_login import current_user

from ..domain import posts
from ..permissions import can_read_in_full


def thread_url(thread, **params):
    return url_for("threads.thread", thread_id=thread.id, slug=thread.slug, **params)


def post_url(post, page=None):
    """The address of `post` on its page of the thread (`page` when the caller knows it).
    A visitor is sent to a members-only thread's only page for them, its teaser: where
    the post sits would tell how long the conversation is."""
    if not can_read_in_full(current_user, post.thread):
        return thread_url(post.thread)
    page = page or posts.page_of(post, current_app.config["POSTS_PER_PAGE"])
    return url_for("threads.thread", thread_id=post.thread.id, slug=post.thread.slug,
                   page=page if page > 1 else None, _anchor=f"p{post.id}")
