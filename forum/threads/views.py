"""Threads: the front page, categories, threads and tags; starting discussions and articles;
keeping articles reviewed."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from .. import community, text
from ..dates import human_date
from ..domain import (
    catch_up,
    categories,
    drafts,
    labels,
    listings,
    reading,
    reviews,
    search,
    threads,
)
from ..limits import writing
from ..permissions import (
    can_label,
    can_mark_read,
    can_publish_article,
    can_read_in_full,
    can_review_articles,
    can_start_discussion,
    can_view_thread,
    require,
)
from ..web.fast_reading import limit_reading
from ..web.pages import apply_label, render_members_only, render_thread
from ..web.paging import requested_page, require_page_exists
from ..web.sending import send_once
from ..web.urls import thread_url
from ..web.writing import ArticleForm, DiscussionForm, ReplyForm, ready_to_send, waiting
from .forms import MarkReviewedForm

bp = Blueprint("threads", __name__)


@bp.get("/")
def index():
    front = listings.front_page(current_user)
    return render_template(
        "threads/index.html", front=front, categories=categories.categories(),
        article_category=categories.article_category(),
        unread=reading.unread(current_user, [*front.articles, *front.discussions]),
    )


@bp.post("/mark-read")
def mark_all_read():
    require(can_mark_read(current_user))
    reading.mark_all_read(current_user)
    flash(_("Everything is marked as read."), "success")
    return redirect(url_for(".index"))


@bp.get("/c/<slug>")
def category(slug):
    category = categories.category_by_slug(slug) or abort(404)
    label_id = request.args.get("label", type=int)
    label_id = label_id if label_id and 0 < label_id < 2**31 else None
    answered = request.args.get("answered")
    answered = answered if answered in ("yes", "no") else None
    threads = listings.category_threads(
        category, requested_page(), current_app.config["THREADS_PER_PAGE"], label_id,
        None if answered is None else answered == "yes",
    )
    require_page_exists(threads)
    return render_template("threads/category.html", category=category, threads=threads,
                           labels=labels.active_labels(), label_id=label_id, answered=answered,
                           unread=reading.unread(current_user, threads.items))


@bp.post("/c/<slug>/mark-read")
def mark_category_read(slug):
    category = categories.category_by_slug(slug) or abort(404)
    require(can_mark_read(current_user))
    reading.mark_all_read(current_user, category)
    flash(_("Every thread in %(category)s is marked as read.", category=category.name),
          "success")
    return redirect(url_for(".category", slug=category.slug))


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@writing
def new_discussion(slug):
    category = categories.category_by_slug(slug) or abort(404)
    require(can_start_discussion(current_user, category))
    form = DiscussionForm()
    if ready_to_send(form):
        thread = send_once(form, "discussion", lambda: threads.start_discussion(
            current_user, category, form.title.data, form.body.data,
            threads.tags_for(form.title.data, form.tags.data),
            submission=form.submission.data, members_only=form.members_only.data,
        ), lambda thread: waiting(_("Your discussion is waiting for a moderator to approve "
                                    "it."), threads.opening_post(thread))
            if thread.hidden_at else _("Your discussion is posted."))
        if thread is not None:
            return redirect(thread_url(thread))
    drafts.prepare(form)
    return render_template("threads/new_discussion.html", form=form, category=category,
                           preview=drafts.preview_of(form))


@bp.route("/articles/new", methods=["GET", "POST"])
@writing
def new_article():
    category = categories.article_category()
    require(can_publish_article(current_user, category))
    form = ArticleForm()
    if not form.is_submitted():
        form.disclosure.data = current_user.conflicts
    if ready_to_send(form):
        category = category or abort(404)
        thread = send_once(form, "article", lambda: threads.publish_article(
            current_user, category, form.title.data, form.summary.data, form.body.data,
            threads.tags_for(form.title.data, form.tags.data),
            threads.parse_references(form.references.data), form.disclosure.data or "",
            submission=form.submission.data,
        ), lambda thread: waiting(_("Your article is waiting for a moderator to approve it."),
                                  threads.opening_post(thread))
            if thread.hidden_at else _("Your article is published."))
        if thread is not None:
            return redirect(thread_url(thread))
    drafts.prepare(form)
    return render_template("threads/new_article.html", form=form,
                           preview=drafts.preview_of(form))


@bp.get("/guidelines")
def guidelines():
    return render_template("threads/guidelines.html",
                           guidelines=text.render(community.get("GUIDELINES")))


@bp.get("/t/<id:thread_id>")
@bp.get("/t/<id:thread_id>/<slug>")
@limit_reading
def thread(thread_id, slug=None):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    if slug is not None and slug != thread.slug:
        page, quote = request.args.get("page", type=int), request.args.get("quote", type=int)
        return redirect(thread_url(thread, page=page, quote=quote), 301)
    if not can_read_in_full(current_user, thread):
        return render_members_only(thread)
    return render_thread(thread, ReplyForm(formdata=None), mark_read=True)


@bp.get("/t/<id:thread_id>/top")
def top_posts(thread_id):
    """A long thread's top posts: the opening post, the most helpful replies and every
    verified expert's reply, in order, each linked to its place."""
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    if not can_read_in_full(current_user, thread):
        return render_members_only(thread)
    top = catch_up.top_posts(thread, current_user, current_app.config["POSTS_PER_PAGE"])
    return render_template("threads/top.html", thread=thread, top=top)


@bp.get("/t/<id:thread_id>/search")
def thread_search(thread_id):
    """Search within one thread: its public posts that match, best first."""
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    if not can_read_in_full(current_user, thread):
        return render_members_only(thread)
    results = search.search(request.args.get("q", ""), requested_page(),
                            current_app.config["THREADS_PER_PAGE"], thread_id=thread.id,
                            viewer=current_user)
    require_page_exists(results)
    return render_template("threads/thread_search.html", thread=thread, results=results)


@bp.get("/search")
def search_page():
    query = request.args.get("q", "")
    results = search.search(query, requested_page(), current_app.config["THREADS_PER_PAGE"],
                            viewer=current_user)
    if results.page > results.pages:
        abort(404, _("There is no such page."))
    return render_template("threads/search.html", results=results)


@bp.get("/feed.atom")
def feed():
    return _feed(listings.feed_entries(), _("Expert articles"), url_for(".index", _external=True))


@bp.get("/tag/<name>/feed.atom")
def tag_feed(name):
    tag = listings.find_tag(name) or abort(404)
    return _feed(listings.feed_entries(tag), _("Threads tagged #%(tag)s", tag=tag.name),
                 url_for(".tag", name=tag.name, _external=True))


def _feed(entries, title, alternate):
    body = render_template("threads/feed.xml", entries=entries, title=title,
                           alternate=alternate, self_url=request.url)
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.get("/tag/<name>")
def tag(name):
    per_page = current_app.config["THREADS_PER_PAGE"]
    tag, threads = listings.tag_threads(name, requested_page(), per_page)
    if tag is None:
        abort(404)
    require_page_exists(threads)
    return render_template("threads/tag.html", tag=tag, threads=threads,
                           unread=reading.unread(current_user, threads.items))


@bp.post("/t/<id:thread_id>/label")
def label(thread_id):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    require(can_label(current_user, thread))
    return apply_label(thread, thread_url(thread))


@bp.get("/articles/review")
def review_list():
    """Articles past their review date, then those due soon, for the experts who keep
    them up to date."""
    require(can_review_articles(current_user))
    return _review_page(MarkReviewedForm(formdata=None))


def _review_page(form, failed_id=None):
    config = current_app.config
    return render_template(
        "threads/review.html", due=reviews.due_articles(), form=form, failed_id=failed_id,
        review_interval=format_timedelta(timedelta(days=config["REVIEW_INTERVAL_DAYS"]),
                                         threshold=1.1),
        soon_days=config["REVIEW_SOON_DAYS"])


@bp.post("/t/<id:thread_id>/reviewed")
def mark_reviewed(thread_id):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_review_articles(current_user, thread))
    form = MarkReviewedForm()
    if not form.validate_on_submit():
        return _review_page(form, thread.id), 400
    review = reviews.mark_reviewed(thread, current_user, form.note.data or "")
    flash(_("“%(title)s” is marked reviewed; the next review is due %(date)s.",
            title=thread.title, date=human_date(review.due_at)), "success")
    return redirect(url_for(".review_list"))
