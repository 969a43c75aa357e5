"""Threads: the front page, categories, threads and tags; starting discussions and articles."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import drafts, search
from ..limits import writing
from ..moderation import services as moderation
from ..paging import requested_page, require_page_exists
from ..permissions import (
    can_label,
    can_moderate,
    can_publish_article,
    can_start_discussion,
    can_view_post,
    can_view_thread,
    require,
)
from ..posts import services as posts
from ..posts.forms import ReplyForm
from . import services
from .forms import ArticleForm, DiscussionForm

bp = Blueprint("threads", __name__)


def thread_url(thread, **params):
    return url_for("threads.thread", thread_id=thread.id, slug=thread.slug, **params)


@bp.get("/")
def index():
    return render_template(
        "threads/index.html", front=services.front_page(), categories=services.categories(),
        article_category=services.article_category(),
    )


@bp.get("/c/<slug>")
def category(slug):
    category = services.category_by_slug(slug) or abort(404)
    label_id = request.args.get("label", type=int)
    label_id = label_id if label_id and 0 < label_id < 2**31 else None
    threads = services.category_threads(
        category, requested_page(), current_app.config["THREADS_PER_PAGE"], label_id
    )
    require_page_exists(threads)
    return render_template("threads/category.html", category=category, threads=threads,
                           labels=moderation.active_labels(), label_id=label_id)


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@writing
def new_discussion(slug):
    category = services.category_by_slug(slug) or abort(404)
    require(can_start_discussion(current_user, category))
    form = DiscussionForm()
    if form.validate_on_submit() and not form.preview.data:
        try:
            thread = services.start_discussion(
                current_user, category, form.title.data, form.body.data,
                services.tags_for(form.title.data, form.tags.data),
                submission=form.submission.data,
            )
        except posts.AlreadySent:
            drafts.sent_before(form, "discussion")
        else:
            drafts.forget_posted(current_user)
            flash("Your discussion is waiting for a moderator to approve it." if thread.hidden_at
                  else "Your discussion is posted.", "success")
            return redirect(thread_url(thread))
    drafts.prepare(form)
    return render_template("threads/new_discussion.html", form=form, category=category,
                           preview=drafts.preview_of(form))


@bp.route("/articles/new", methods=["GET", "POST"])
@writing
def new_article():
    category = services.article_category()
    require(can_publish_article(current_user, category))
    form = ArticleForm()
    if not form.is_submitted():
        form.disclosure.data = current_user.conflicts
    if form.validate_on_submit() and not form.preview.data:
        category = category or abort(404)
        try:
            thread = services.publish_article(
                current_user, category, form.title.data, form.summary.data, form.body.data,
                services.tags_for(form.title.data, form.tags.data),
                services.parse_references(form.references.data), form.disclosure.data or "",
                submission=form.submission.data,
            )
        except posts.AlreadySent:
            drafts.sent_before(form, "article")
        else:
            drafts.forget_posted(current_user)
            flash("Your article is published.", "success")
            return redirect(thread_url(thread))
    drafts.prepare(form)
    return render_template("threads/new_article.html", form=form,
                           preview=drafts.preview_of(form))


@bp.get("/t/<id:thread_id>")
@bp.get("/t/<id:thread_id>/<slug>")
def thread(thread_id, slug=None):
    thread = services.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    if slug is not None and slug != thread.slug:
        page, quote = request.args.get("page", type=int), request.args.get("quote", type=int)
        return redirect(thread_url(thread, page=page, quote=quote), 301)
    return render_thread(thread, ReplyForm(formdata=None))


def render_thread(thread, reply_form, preview=None, page=None):
    """The thread page; the posts blueprint uses it to show a refused reply with its errors."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    page_posts = services.thread_posts(thread, current_user, page or requested_page(), per_page)
    require_page_exists(page_posts)
    quoted = request.args.get("quote", type=int)
    if quoted and 0 < quoted < 2**31 and not reply_form.body.data:
        post = posts.get_post(quoted)
        if (post is not None and post.thread_id == thread.id and not post.is_deleted
                and can_view_post(current_user, post)):
            reply_form.body.data = posts.quote(post)
    drafts.prepare(reply_form)
    return render_template("threads/thread.html", thread=thread, posts=page_posts,
                           reply_form=reply_form, preview=preview,
                           labels=moderation.active_labels(),
                           categories=services.categories() if can_moderate(current_user)
                           else [])


@bp.get("/search")
def search_page():
    query = request.args.get("q", "")
    results = search.search(query, requested_page(), current_app.config["THREADS_PER_PAGE"])
    if results.page > results.pages:
        abort(404, "There is no such page.")
    return render_template("threads/search.html", results=results)


@bp.get("/feed.atom")
def feed():
    return _feed(services.feed_entries(), "Expert articles", url_for(".index", _external=True))


@bp.get("/tag/<name>/feed.atom")
def tag_feed(name):
    tag = services.find_tag(name) or abort(404)
    return _feed(services.feed_entries(tag), f"Threads tagged #{tag.name}",
                 url_for(".tag", name=tag.name, _external=True))


def _feed(entries, title, alternate):
    body = render_template("threads/feed.xml", entries=entries, title=title,
                           alternate=alternate, self_url=request.url)
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.get("/tag/<name>")
def tag(name):
    per_page = current_app.config["THREADS_PER_PAGE"]
    tag, threads = services.tag_threads(name, requested_page(), per_page)
    if tag is None:
        abort(404)
    require_page_exists(threads)
    return render_template("threads/tag.html", tag=tag, threads=threads)


@bp.post("/t/<id:thread_id>/label")
def label(thread_id):
    from ..posts.views import _set_label

    thread = services.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    require(can_label(current_user, thread))
    return _set_label(thread, thread_url(thread))
