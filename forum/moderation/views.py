"""Moderation. Every route here is guarded once, by `before_request`."""

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.services import find_by_username
from ..extensions import db
from ..models import Category, EvidenceLabel, User
from ..paging import requested_page, require_page_exists
from ..permissions import can_ban, can_moderate, can_suspend, require
from ..posts.services import get_post
from ..posts.views import post_url
from ..threads.services import categories, get_thread
from ..threads.views import thread_url
from . import services
from .forms import (
    HideForm,
    LockForm,
    MoveForm,
    ReasonForm,
    ResolveForm,
    SuspendForm,
    label_choices,
)

bp = Blueprint("moderation", __name__)


@bp.before_request
def require_moderator():
    require(can_moderate(current_user))


def _refused_form(form, back):
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(back)


def _thread(thread_id):
    return get_thread(thread_id) or abort(404)


def _post(post_id):
    return get_post(post_id) or abort(404)


# -- the queue and the log ---------------------------------------------------

@bp.get("/mod")
def queue():
    return render_template(
        "moderation/queue.html", groups=services.open_reports(), held=services.held_posts(),
        resolve_form=label_choices(ResolveForm(formdata=None), "Choose a label"),
        reject_form=HideForm(formdata=None),
    )


@bp.post("/mod/reports/<key>")
def resolve(key):
    kind, _, ident = key.partition("-")
    if not ident.isdigit() or int(ident) >= 2**31:
        abort(404)
    post = get_post(int(ident)) if kind == "post" else None
    subject = db.session.get(User, int(ident)) if kind == "user" else None
    if post is None and subject is None:
        abort(404)
    form = label_choices(ResolveForm())
    if not form.validate_on_submit():
        return _refused_form(form, url_for(".queue"))
    label = db.session.get(EvidenceLabel, form.label.data) if form.label.data else None
    if label is not None and label.archived_at is not None:
        label = None
    try:
        count = services.resolve_reports(current_user, post, subject, form.action.data,
                                         form.note.data or "", label)
    except services.ModerationError as error:
        flash(str(error), "error")
        return redirect(url_for(".queue"))
    flash(f"{count} report{'s' if count != 1 else ''} resolved.", "success")
    return redirect(url_for(".queue"))


@bp.post("/mod/held/<id:post_id>/approve")
def approve(post_id):
    if services.approve_post(_post(post_id), current_user):
        flash("Approved: the post is now visible to everyone.", "success")
    return redirect(url_for(".queue"))


@bp.post("/mod/held/<id:post_id>/reject")
def reject(post_id):
    form = HideForm()
    if not form.validate_on_submit():
        return _refused_form(form, url_for(".queue"))
    if services.reject_post(_post(post_id), current_user, form.reason.data):
        flash("Not approved: the author has been told why.", "success")
    return redirect(url_for(".queue"))


@bp.get("/mod/log")
def log():
    actor = find_by_username(request.args.get("moderator", "")) \
        if request.args.get("moderator") else None
    subject = find_by_username(request.args.get("user", "")) \
        if request.args.get("user") else None
    events = services.events(requested_page(), 50, actor=actor,
                             action=request.args.get("action", "").strip()[:40],
                             subject=subject)
    require_page_exists(events)
    return render_template("moderation/log.html", events=events, args=request.args)


# -- threads -------------------------------------------------------------------

@bp.post("/t/<id:thread_id>/lock")
def lock(thread_id):
    thread, form = _thread(thread_id), LockForm()
    if not form.validate_on_submit():
        return _refused_form(form, thread_url(thread))
    if services.lock_thread(thread, current_user, form.reason.data):
        flash("The thread is locked.", "success")
    return redirect(thread_url(thread))


@bp.post("/t/<id:thread_id>/unlock")
def unlock(thread_id):
    thread, form = _thread(thread_id), ReasonForm()
    if form.validate_on_submit() and services.unlock_thread(thread, current_user,
                                                            form.reason.data or ""):
        flash("The thread is unlocked.", "success")
    return redirect(thread_url(thread))


@bp.post("/t/<id:thread_id>/pin")
def pin(thread_id):
    thread = _thread(thread_id)
    if ReasonForm().validate_on_submit() and services.pin_thread(thread, current_user):
        flash("The thread is pinned to the top of its category.", "success")
    return redirect(thread_url(thread))


@bp.post("/t/<id:thread_id>/unpin")
def unpin(thread_id):
    thread = _thread(thread_id)
    if ReasonForm().validate_on_submit() and services.unpin_thread(thread, current_user):
        flash("The thread is no longer pinned.", "success")
    return redirect(thread_url(thread))


@bp.post("/t/<id:thread_id>/move")
def move(thread_id):
    thread, form = _thread(thread_id), MoveForm()
    form.category.choices = [(c.id, c.name) for c in categories()]
    if not form.validate_on_submit():
        return _refused_form(form, thread_url(thread))
    category = db.session.get(Category, form.category.data) or abort(404)
    if services.move_thread(thread, current_user, category, form.reason.data or ""):
        flash(f"Moved to {category.name}.", "success")
    return redirect(thread_url(thread))


# -- posts ---------------------------------------------------------------------

@bp.post("/p/<id:post_id>/hide")
def hide(post_id):
    post, form = _post(post_id), HideForm()
    if not form.validate_on_submit():
        return _refused_form(form, post_url(post))
    if services.hide_post(post, current_user, form.reason.data):
        flash("The post is hidden. Its author has been told why.", "success")
    return redirect(post_url(post))


@bp.post("/p/<id:post_id>/restore")
def restore(post_id):
    post, form = _post(post_id), ReasonForm()
    if form.validate_on_submit() and services.restore_post(post, current_user,
                                                           form.reason.data or ""):
        flash("The post is visible again.", "success")
    return redirect(post_url(post))


# -- members -------------------------------------------------------------------

def _member(username):
    return find_by_username(username) or abort(404)


@bp.post("/u/<username>/suspend")
def suspend(username):
    user, form = _member(username), SuspendForm()
    require(can_suspend(current_user, user))
    back = url_for("accounts.profile", username=user.username)
    if not form.validate_on_submit():
        return _refused_form(form, back)
    until = datetime.combine(form.until.data, time.max, tzinfo=UTC)
    if until <= datetime.now(UTC):
        flash("The end of a suspension must be in the future.", "error")
        return redirect(back)
    services.suspend(user, current_user, until, form.reason.data)
    flash(f"{user.username} is suspended until {form.until.data:%d %b %Y}.", "success")
    return redirect(back)


@bp.post("/u/<username>/reinstate")
def reinstate(username):
    user, form = _member(username), ReasonForm()
    require(can_suspend(current_user, user))
    if form.validate_on_submit() and services.lift_suspension(user, current_user,
                                                              form.reason.data or ""):
        flash(f"{user.username} can write again.", "success")
    return redirect(url_for("accounts.profile", username=user.username))


@bp.post("/u/<username>/ban")
def ban(username):
    user, form = _member(username), HideForm()
    require(can_ban(current_user, user))
    back = url_for("accounts.profile", username=user.username)
    if not form.validate_on_submit():
        return _refused_form(form, back)
    services.ban(user, current_user, form.reason.data)
    flash(f"{user.username} is banned from writing.", "success")
    return redirect(back)


def moderation_forms(thread):
    """The forms of the "Moderate" menu on a thread page."""
    move_form = MoveForm(formdata=None, category=thread.category_id)
    move_form.category.choices = [(c.id, c.name) for c in categories()]
    return {"lock_form": LockForm(formdata=None), "reason_form": ReasonForm(formdata=None),
            "move_form": move_form, "hide_form": HideForm(formdata=None)}

