"""/notifications, the bell's count, the private Atom feed, and watching and muting."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import accounts, categories, listings, notifications, watching
from ..models import WatchLevel
from ..permissions import can_ignore, can_mute_member, can_view_thread, can_watch, require
from ..web.forms import EmptyForm
from ..web.paging import requested_page, require_page_exists
from ..web.security import safe_next
from ..web.urls import thread_url
from .forms import THREAD_LEVEL_LABELS, MuteForm, ThreadWatchForm, TopicWatchForm

bp = Blueprint("notifications", __name__)


def unread_notifications() -> int:
    """The bell's number for this page: one query, asked at most once per request."""
    if not can_watch(current_user):
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = notifications.unread_count(current_user)
    return g.unread_notifications


def ignored_authors() -> frozenset[int]:
    """The members whose posts fold away for this reader: one query per page."""
    if "ignored_authors" not in g:
        g.ignored_authors = watching.ignored_ids(current_user)
    return g.ignored_authors


def _ignoring(user) -> bool:
    return user is not None and user.id in ignored_authors()


@bp.app_context_processor
def _bell():
    return {"unread_notifications": unread_notifications, "ignored_authors": ignored_authors,
            "ignoring": _ignoring,
            "thread_watch_form": _thread_watch_form, "watch_level_of": _levels,
            "thread_level_labels": THREAD_LEVEL_LABELS}


def _thread_watch_form(thread):
    form = ThreadWatchForm(formdata=None)
    form.level.data = watching.thread_level(current_user, thread).value
    return form


def _levels(kind, target):
    if not can_watch(current_user):
        return None
    if kind == "category":
        return watching.category_level(current_user, target)
    if kind == "tag":
        return watching.tag_level(current_user, target)
    return watching.has_muted(current_user, target)


@bp.get("/notifications")
def index():
    require(can_watch(current_user))
    items = notifications.page(current_user, requested_page(),
                               current_app.config["THREADS_PER_PAGE"])
    require_page_exists(items)
    return render_template("notifications/index.html", items=items, form=EmptyForm())


@bp.get("/notifications/<id:notification_id>")
def open_one(notification_id):
    """Follow a notification: it is read, and the post it is about opens."""
    require(can_watch(current_user))
    item = notifications.get_own(current_user, notification_id) or abort(404)
    notifications.mark_read(item)
    if item.action == "escalate":  # a safety alert for the admins: it is in the queue
        return redirect(url_for("moderation.queue"))
    if item.post_id:
        return redirect(url_for("posts.permalink", post_id=item.post_id))
    if item.thread_id:
        return redirect(url_for("threads.thread", thread_id=item.thread_id))
    return redirect(url_for(".index"))


@bp.post("/notifications/read-all")
def read_all():
    require(can_watch(current_user))
    if not EmptyForm().validate_on_submit():
        abort(400)
    notifications.mark_all_read(current_user)
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for(".index"))


@bp.get("/notifications/feed/<token>.atom")
def feed(token):
    owner = notifications.feed_owner(token) or abort(404)
    body = render_template("notifications/feed.xml", items=notifications.latest(owner),
                           owner=owner, self_url=request.url)
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.post("/t/<id:thread_id>/watch")
def watch_thread(thread_id):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    require(can_watch(current_user))
    form = ThreadWatchForm()
    if not form.validate_on_submit():
        flash(_("Please choose one of the levels."), "error")
    else:
        watching.set_thread_level(current_user, thread, WatchLevel(form.level.data))
        flash(_("Saved: %(level)s", level=_level_words(form.level.data)), "success")
    return redirect(safe_next(form.next.data) if form.next.data else thread_url(thread))


def _level_words(level):
    return str(THREAD_LEVEL_LABELS[WatchLevel(level)])


def _topic_level(form):
    if not form.validate_on_submit() or form.level.data not in ("watching", "muted", "none"):
        return False
    return None if form.level.data == "none" else WatchLevel(form.level.data)


_TOPIC_SAVED = {
    "watching": lambda name: _("You are watching %(name)s: you will hear of every new "
                               "thread.", name=name),
    "muted": lambda name: _("%(name)s is muted: its threads will not notify you.", name=name),
    "none": lambda name: _("You no longer watch or mute %(name)s.", name=name),
}


@bp.post("/c/<slug>/watch")
def watch_category(slug):
    category = categories.category_by_slug(slug) or abort(404)
    return _save_topic_level(watching.set_category_level, category, category.name,
                             url_for("threads.category", slug=category.slug))


@bp.post("/tag/<name>/watch")
def watch_tag(name):
    tag = listings.find_tag(name) or abort(404)
    return _save_topic_level(watching.set_tag_level, tag, f"#{tag.name}",
                             url_for("threads.tag", name=tag.name))


def _save_topic_level(set_level, topic, name: str, page: str):
    """A category's or tag's watch buttons: the level saved with `set_level`, then back to
    the page the button was on (or the topic's own `page`)."""
    require(can_watch(current_user))
    form = TopicWatchForm()
    level = _topic_level(form)
    if level is False:
        flash(_("Please choose one of the levels."), "error")
    else:
        set_level(current_user, topic, level)
        flash(_TOPIC_SAVED[form.level.data](name), "success")
    return redirect(safe_next(form.next.data) if form.next.data else page)


@bp.post("/u/<username>/mute")
def mute(username):
    require(can_watch(current_user))
    other = accounts.find_by_username(username) or abort(404)
    require(can_mute_member(current_user, other))
    form = MuteForm()
    if not form.validate_on_submit() or form.action.data not in ("mute", "unmute"):
        abort(400)
    if form.action.data == "mute":
        watching.mute_member(current_user, other)
        flash(_("%(name)s is muted: nothing they do will notify you.", name=other.name),
              "success")
    else:
        watching.unmute_member(current_user, other)
        flash(_("%(name)s is no longer muted.", name=other.name), "success")
    return redirect(safe_next(form.next.data) if form.next.data
                    else url_for("accounts.profile", username=other.username))


def _member_action(username, rule, act, done):
    """The ignore buttons: the rule, the one change, then back where the button was."""
    require(can_watch(current_user))
    other = accounts.find_by_username(username) or abort(404)
    require(rule(current_user, other))
    form = MuteForm()
    if not form.validate_on_submit():
        abort(400)
    act(current_user, other)
    flash(done(other.name), "success")
    return redirect(safe_next(form.next.data) if form.next.data
                    else url_for("accounts.profile", username=other.username))


@bp.post("/u/<username>/ignore")
def ignore(username):
    return _member_action(username, can_ignore, watching.ignore_member, lambda name: _(
        "You now ignore %(name)s: their posts are folded away, and they notify you of "
        "nothing.", name=name))


@bp.post("/u/<username>/unignore")
def unignore(username):
    return _member_action(username, lambda user, other: can_watch(user),
                          watching.unignore_member,
                          lambda name: _("You no longer ignore %(name)s.", name=name))
