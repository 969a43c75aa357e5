"""Reading: the front page, categories, threads and tags."""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..paging import requested_page, require_page_exists
from ..permissions import can_view_thread, require
from . import services

bp = Blueprint("threads", __name__)


@bp.get("/")
def index():
    return render_template(
        "threads/index.html", front=services.front_page(), categories=services.categories()
    )


@bp.get("/c/<slug>")
def category(slug):
    category = services.category_by_slug(slug) or abort(404)
    threads = services.category_threads(
        category, requested_page(), current_app.config["THREADS_PER_PAGE"]
    )
    require_page_exists(threads)
    return render_template("threads/category.html", category=category, threads=threads)


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
def thread(thread_id, slug=None):
    thread = services.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    if slug is not None and slug != thread.slug:
        return redirect(
            url_for(".thread", thread_id=thread.id, slug=thread.slug, **request.args), 301
        )
    posts = services.thread_posts(thread, requested_page(), current_app.config["POSTS_PER_PAGE"])
    require_page_exists(posts)
    return render_template("threads/thread.html", thread=thread, posts=posts)


@bp.get("/tag/<name>")
def tag(name):
    per_page = current_app.config["THREADS_PER_PAGE"]
    tag, threads = services.tag_threads(name, requested_page(), per_page)
    if tag is None:
        abort(404)
    require_page_exists(threads)
    return render_template("threads/tag.html", tag=tag, threads=threads)
