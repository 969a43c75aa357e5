"""Moderation. Every route here is guarded once, by `before_request`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import community
from ..dates import human_date
from ..domain import (
    accounts,
    categories,
    events,
    labels,
    listings,
    members,
    moderation,
    posts,
    reports,
    safety_queue,
)
from ..domain.alerts import open_alerts
from ..extensions import db
from ..models import AlertKind, Category
from ..permissions import can_ban, can_lift, can_moderate, can_suspend, require
from ..web.log_words import action_choices
from ..web.paging import requested_page, require_page_exists
from ..web.security import safe_next
from ..web.urls import post_url, thread_url
from ..web.writing import label_choices
from .forms import (
    AlertResolveForm,
    HideForm,
    LockForm,
    MembersOnlyForm,
    MoveForm,
    NoteForm,
    ReasonForm,
    RejectForm,
    ResolveForm,
    SuspendForm,
    TemplatesForm,
)

bp = Blueprint("moderation", __name__)

# How the queue names a report's reason (the stored FlagReason value is the key).
FLAG_REASONS = {
    "spam": _l("spam"),
    "harassment": _l("harassment"),
    "misinformation": _l("misinformation"),
    "personal-info": _l("personal-info"),
    "at-risk": _l("at-risk"),
    "other": _l("other"),
}

@bp.before_request
def require_moderator():
    require(can_moderate(current_user))


def _act(form, back, action, done):
    """The shape of every one-button moderation form: validate, act, say so, go back.
    An action returns False when there was nothing to do (a thread already locked)."""
    if not form.validate_on_submit():
        return _refused_form(form, back if isinstance(back, str) else back())
    if action(form) is not False:
        flash(str(done), "success")
    # A callable `back` is asked after the action: a post's page can change with it.
    return redirect(back if isinstance(back, str) else back())


def _refused_form(form, back):
    """The form again, with what was wrong and what the moderator wrote, ready to send
    again: a long reason is not lost to a redirect."""
    return render_template("moderation/resend.html", form=form, back=back,
                           action=request.path)


def _thread(thread_id):
    return listings.get_thread(thread_id) or abort(404)


def _post(post_id):
    return posts.get_post(post_id) or abort(404)


# -- the queue and the log ---------------------------------------------------

@bp.get("/mod")
def queue():
    alerts = open_alerts()
    return render_template(
        "moderation/queue.html", groups=reports.open_reports(), held=moderation.held_posts(),
        at_risk=[a for a in alerts if a.kind == AlertKind.CRISIS.value],
        accounts=[a for a in alerts if a.kind != AlertKind.CRISIS.value],
        reason_labels=FLAG_REASONS,
        resolve_form=label_choices(ResolveForm(formdata=None), _("Choose a label")),
        reject_form=RejectForm(formdata=None),
    )


@bp.post("/mod/reports/<key>")
def resolve(key):
    kind, _sep, ident = key.partition("-")
    # ASCII digits only: "²" passes isdigit() but int() refuses it, and "٣" is no id
    # of ours either (isascii also keeps int() away from "1_000").
    if not (ident.isascii() and ident.isdigit()) or int(ident) >= 2**31:
        abort(404)
    post = posts.get_post(int(ident)) if kind == "post" else None
    subject = accounts.get_user(int(ident)) if kind == "user" else None
    if post is None and subject is None:
        abort(404)
    form = label_choices(ResolveForm())
    if not form.validate_on_submit():
        return _refused_form(form, url_for(".queue"))
    label = labels.in_use(form.label.data)
    try:
        count = reports.resolve_reports(current_user, post, subject, form.action.data,
                                         form.note.data or "", label,
                                         labels.parse_citation(form.citation.data or ""))
    except events.ModerationError as error:
        flash(str(error), "error")
        return redirect(url_for(".queue"))
    flash(ngettext("%(num)d report resolved.", "%(num)d reports resolved.", count), "success")
    return redirect(url_for(".queue"))


@bp.post("/mod/held/<id:post_id>/approve")
def approve(post_id):
    if moderation.approve_post(_post(post_id), current_user):
        flash(_("Approved: the post is now visible to everyone."), "success")
    return redirect(url_for(".queue"))


@bp.post("/mod/held/<id:post_id>/reject")
def reject(post_id):
    post = _post(post_id)
    return _act(RejectForm(), url_for(".queue"),
                lambda form: moderation.reject_post(post, current_user, form.reason.data),
                _("Not approved: the author has been told why."))


# -- safety alerts: a private note, escalating, resolving; the note templates ----------

def _alert(alert_id):
    return safety_queue.get_alert(alert_id) or abort(404)


def _alert_done(action, done):
    """Run an alert action; a resolved alert says so instead."""
    try:
        if action() is not False:
            flash(str(done), "success")
    except events.ModerationError as error:
        flash(str(error), "error")
    return redirect(url_for(".queue"))


@bp.route("/mod/alerts/<id:alert_id>/note", methods=["GET", "POST"])
def alert_note(alert_id):
    """A private note to the member: pick a template (a GET form, no script needed), its
    text fills the note, which the moderator edits and sends."""
    alert = _alert(alert_id)
    if alert.subject is None or alert.resolved_at is not None:
        abort(404)
    templates = safety_queue.note_templates()
    form = NoteForm()
    form.template.choices = [(t.name, t.name) for t in templates]
    if request.method == "GET":
        chosen = request.args.get("template", "")
        form.template.data = chosen
        form.body.data = next((t.body for t in templates if t.name == chosen), "")
    elif form.validate_on_submit():
        return _alert_done(lambda: safety_queue.send_note(alert, current_user, form.body.data),
                           _("Your note was sent to %(name)s.", name=alert.subject.name))
    return render_template("moderation/note.html", alert=alert, form=form)


@bp.post("/mod/alerts/<id:alert_id>/escalate")
def alert_escalate(alert_id):
    alert, form = _alert(alert_id), ReasonForm()
    if not form.validate_on_submit():
        return _refused_form(form, url_for(".queue"))
    return _alert_done(lambda: safety_queue.escalate(alert, current_user, form.reason.data or ""),
                       _("Escalated: every admin has been told."))


@bp.post("/mod/alerts/<id:alert_id>/resolve")
def alert_resolve(alert_id):
    alert, form = _alert(alert_id), AlertResolveForm()
    if not form.validate_on_submit():
        return _refused_form(form, url_for(".queue"))
    return _alert_done(lambda: safety_queue.resolve(alert, current_user, form.note.data or ""),
                       _("Resolved: the alert has left the queue."))


@bp.route("/mod/templates", methods=["GET", "POST"])
def note_templates():
    form = TemplatesForm()
    if request.method == "GET":
        form.templates.data = community.get("NOTE_TEMPLATES")
    elif form.validate_on_submit():
        try:
            saved = safety_queue.save_templates(current_user, form.templates.data)
        except safety_queue.TemplatesError as error:
            form.templates.errors = [*form.templates.errors, str(error)]
        else:
            flash(_("The note templates are saved.") if saved else _("Nothing had changed."),
                  "success")
            return redirect(url_for(".note_templates"))
    return render_template("moderation/templates.html", form=form,
                           templates=safety_queue.note_templates())


@bp.get("/mod/log")
def log():
    actor = accounts.find_by_username(request.args.get("moderator", "")) \
        if request.args.get("moderator") else None
    subject = accounts.find_by_username(request.args.get("user", "")) \
        if request.args.get("user") else None
    log = events.log_page(requested_page(), 50, actor=actor,
                             action=request.args.get("action", "").strip()[:40],
                             subject=subject)
    require_page_exists(log)
    return render_template("moderation/log.html", events=log, args=request.args,
                           action_choices=action_choices(request.args.get("action", "")))


# -- threads and posts: lock, unlock, pin, unpin, hide, restore, move --------------

def _action(rule: str, endpoint: str, load, form_class, act, done) -> None:
    """Register a one-step action on a thread or a post: POST `rule`, its form (a
    reason), `act(target, form)`, then back to the target with `done`."""
    def view(**ids):
        target = load(*ids.values())
        def back():
            return thread_url(target) if load is _thread else post_url(target)
        return _act(form_class(), back, lambda form: act(target, form), done)

    bp.add_url_rule(rule, endpoint, view, methods=["POST"])


_action("/t/<id:thread_id>/lock", "lock", _thread, LockForm,
        lambda thread, form: moderation.lock_thread(thread, current_user, form.reason.data),
        _l("The thread is locked."))
_action("/t/<id:thread_id>/unlock", "unlock", _thread, ReasonForm,
        lambda thread, form: moderation.unlock_thread(thread, current_user,
                                                      form.reason.data or ""),
        _l("The thread is unlocked."))
_action("/t/<id:thread_id>/pin", "pin", _thread, ReasonForm,
        lambda thread, form: moderation.pin_thread(thread, current_user),
        _l("The thread is pinned to the top of its category."))
_action("/t/<id:thread_id>/unpin", "unpin", _thread, ReasonForm,
        lambda thread, form: moderation.unpin_thread(thread, current_user),
        _l("The thread is no longer pinned."))
_action("/p/<id:post_id>/hide", "hide", _post, HideForm,
        lambda post, form: moderation.hide_post(post, current_user, form.reason.data),
        _l("The post is hidden. Its author has been told why."))
_action("/p/<id:post_id>/restore", "restore", _post, ReasonForm,
        lambda post, form: moderation.restore_post(post, current_user, form.reason.data or ""),
        _l("The post is visible again."))


@bp.post("/t/<id:thread_id>/members-only")
def members_only(thread_id):
    thread, form = _thread(thread_id), MembersOnlyForm()
    back = safe_next(form.next.data) if form.next.data else thread_url(thread)
    on = bool(form.members_only.data)
    done = (_("The thread is now for signed-in members only.") if on
            else _("The thread is visible to everyone again."))
    return _act(form, back, lambda form: moderation.set_members_only(
        thread, current_user, on, form.reason.data or ""), done)


@bp.post("/t/<id:thread_id>/move")
def move(thread_id):
    thread, form = _thread(thread_id), MoveForm()
    form.category.choices = [(c.id, c.name) for c in categories.categories()]
    if not form.validate_on_submit():
        return _refused_form(form, thread_url(thread))
    category = db.session.get(Category, form.category.data) or abort(404)
    if moderation.move_thread(thread, current_user, category, form.reason.data or ""):
        flash(_("Moved to %(category)s.", category=category.name), "success")
    return redirect(thread_url(thread))


# -- members -------------------------------------------------------------------

def _member(username):
    return accounts.find_by_username(username) or abort(404)


def _profile(user):
    return url_for("accounts.profile", username=user.username)


@bp.post("/u/<username>/suspend")
def suspend(username):
    user, form = _member(username), SuspendForm()
    require(can_suspend(current_user, user))
    if not form.validate_on_submit():
        return _refused_form(form, _profile(user))
    members.suspend(user, current_user, form.ends_at, form.reason.data)
    flash(_("%(name)s is suspended until %(date)s.", name=user.username,
            date=human_date(form.until.data)), "success")
    return redirect(_profile(user))


@bp.post("/u/<username>/reinstate")
def reinstate(username):
    user = _member(username)
    require(can_lift(current_user, user))
    return _act(ReasonForm(), _profile(user),
                lambda form: members.lift_suspension(user, current_user, form.reason.data or ""),
                _("%(name)s can write again.", name=user.username))


@bp.post("/u/<username>/ban")
def ban(username):
    user = _member(username)
    require(can_ban(current_user, user))
    return _act(HideForm(), _profile(user),
                lambda form: members.ban(user, current_user, form.reason.data),
                _("%(name)s is banned from writing.", name=user.username))
