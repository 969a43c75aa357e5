"""The admin area: categories, the evidence-label list, members and roles, community
settings, expert verification. Every route is guarded once, by `before_request`:
admins only (the verification routes too, whatever their address)."""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import community, text
from ..domain import accounts, categories, events, labels, members, safety, verification
from ..extensions import db
from ..models import Category, EvidenceLabel, ExpertVerification
from ..permissions import (
    can_administer,
    can_change_role,
    can_decide_verification,
    can_reset_two_factor,
    require,
)
from ..web.forms import EmptyForm, RevokeForm
from ..web.paging import requested_page, require_page_exists
from .forms import (
    CategoryForm,
    CommunitySettingsForm,
    DecisionForm,
    EvidenceLabelForm,
    GuidelinesForm,
    RoleForm,
    SafetyListsForm,
    TwoFactorResetForm,
)

bp = Blueprint("admin", __name__)


@bp.before_request
def require_admin():
    require(can_administer(current_user))


@bp.route("/admin/categories", methods=["GET", "POST"])
def category_list():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            categories.save_category(current_user, None, form.slug.data, form.name.data,
                                     form.description.data or "", form.position.data or 0)
        except events.ModerationError as error:
            form.slug.errors = [str(error)]
        else:
            flash(_("Category “%(name)s” created.", name=form.name.data), "success")
            return redirect(url_for(".category_list"))
    return render_template("admin/categories.html", categories=categories.categories(), form=form)


@bp.post("/admin/categories/<id:category_id>")
def category_edit(category_id):
    category = db.session.get(Category, category_id) or abort(404)
    form = CategoryForm(slug=category.slug)
    form.slug.data = category.slug  # the address of a category never changes
    if form.validate_on_submit():
        categories.save_category(current_user, category, category.slug, form.name.data,
                               form.description.data or "", form.position.data or 0)
        flash(_("Category “%(name)s” saved.", name=category.name), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".category_list"))


def _toggle_archived(item, archive, back_in_use):
    """Archive a category or a label, or bring it back: one button on its list page.
    `back_in_use` says it is back, given the name (a category opens, a label is used)."""
    if EmptyForm().validate_on_submit():
        archive(current_user, item, item.archived_at is None)
        flash(_("“%(name)s” is archived.", name=item.name) if item.archived_at
              else back_in_use(item.name), "success")


@bp.post("/admin/categories/<id:category_id>/archive")
def category_archive(category_id):
    category = db.session.get(Category, category_id) or abort(404)
    _toggle_archived(category, categories.archive_category,
                     lambda name: _("“%(name)s” is open again.", name=name))
    return redirect(url_for(".category_list"))


@bp.route("/admin/labels", methods=["GET", "POST"])
def label_list():
    form = EvidenceLabelForm()
    if form.validate_on_submit():
        try:
            labels.save_label(current_user, None, form.name.data, form.description.data or "",
                                form.tone.data, form.position.data or 0)
        except events.ModerationError as error:
            form.name.errors = [str(error)]
        else:
            flash(_("Label “%(name)s” added.", name=form.name.data), "success")
            return redirect(url_for(".label_list"))
    return render_template("admin/labels.html", labels=labels.all_labels(), form=form)


@bp.post("/admin/labels/<id:label_id>")
def label_edit(label_id):
    label = db.session.get(EvidenceLabel, label_id) or abort(404)
    form = EvidenceLabelForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for(".label_list"))
    try:
        labels.save_label(current_user, label, form.name.data, form.description.data or "",
                            form.tone.data, form.position.data or 0)
    except events.ModerationError as error:
        flash(str(error), "error")
    else:
        flash(_("Label “%(name)s” saved.", name=label.name), "success")
    return redirect(url_for(".label_list"))


def _flash_errors(form):
    """What was wrong with an edit sent from a list page, field by field."""
    for field in form:
        for message in field.errors:
            flash(_("%(field)s: %(message)s", field=field.label.text, message=message), "error")


@bp.post("/admin/labels/<id:label_id>/archive")
def label_archive(label_id):
    label = db.session.get(EvidenceLabel, label_id) or abort(404)
    _toggle_archived(label, labels.archive_label,
                     lambda name: _("“%(name)s” is in use again.", name=name))
    return redirect(url_for(".label_list"))


@bp.get("/admin/users")
def user_list():
    query_text = request.args.get("q", "").strip()[:100]
    users = members.directory(query_text, requested_page(), per_page=50)
    require_page_exists(users)
    return render_template("admin/users.html", users=users, q=query_text,
                           role_name=members.role_name)


@bp.get("/admin/users/<username>")
def user_detail(username):
    return _user_page(accounts.find_by_username(username) or abort(404))


def _user_page(user, reset_form=None):
    log = events.log_page(requested_page(), 50, subject=user)
    return render_template("admin/user.html", user=user, events=log,
                           role_name=members.role_name,
                           role_form=RoleForm(formdata=None, role=_role_choice(user)),
                           reset_form=reset_form or TwoFactorResetForm(formdata=None))


def _role_choice(user):
    return user.role  # member, moderator or admin: expert is a verification, not a role


@bp.post("/admin/users/<username>/role")
def user_role(username):
    user = accounts.find_by_username(username) or abort(404)
    require(can_change_role(current_user, user))
    form = RoleForm()
    if form.validate_on_submit() and members.set_role(user, current_user, form.role.data):
        flash(_("%(name)s is now %(role)s.", name=user.username, role=members.role_name(user)),
              "success")
    return redirect(url_for(".user_detail", username=user.username))


@bp.post("/admin/users/<username>/two-factor/reset")
def user_two_factor_reset(username):
    user = accounts.find_by_username(username) or abort(404)
    require(can_reset_two_factor(current_user, user))
    form = TwoFactorResetForm()
    if not form.validate_on_submit():
        return _user_page(user, reset_form=form)
    if members.reset_two_factor(user, current_user, form.reason.data):
        flash(_("Two-step sign-in is off for %(name)s and every browser of theirs is signed "
                "out; they can sign in with their password and set it up again.",
                name=user.username), "success")
    return redirect(url_for(".user_detail", username=user.username))


@bp.route("/admin/settings", methods=["GET", "POST"])
def community_settings():
    form = CommunitySettingsForm(data={s.key: community.get(s.key) for s in community.SETTINGS})
    if form.validate_on_submit():
        changed = community.save(current_user, {
            "HOLD_FIRST_POSTS": form.HOLD_FIRST_POSTS.data,
            "REQUIRE_CONFIRMED_EMAIL_TO_POST": form.REQUIRE_CONFIRMED_EMAIL_TO_POST.data})
        flash(_("Settings saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".community_settings"))
    return render_template("admin/settings.html", form=form)


SAFETY_LISTS = ("CRISIS_PHRASES", "HELPLINES", "HELPLINE_REGION", "WATCHED_DOMAINS")


@bp.route("/admin/safety", methods=["GET", "POST"])
def safety_lists():
    """Crisis phrases, helplines and their region, watched domains: saved together,
    each change logged (community.save), or refused with the text kept."""
    form = SafetyListsForm(data={key: community.get(key) for key in SAFETY_LISTS})
    form.HELPLINE_REGION.choices = safety.regions(safety.helplines()) or [
        form.HELPLINE_REGION.data]
    if form.validate_on_submit():
        changed = community.save(current_user, {key: form[key].data for key in SAFETY_LISTS})
        flash(_("The safety lists are saved.") if changed else _("Nothing changed."),
              "success")
        return redirect(url_for(".safety_lists"))
    return render_template("admin/safety.html", form=form)
@bp.route("/admin/guidelines", methods=["GET", "POST"])
def guidelines():
    """The community guidelines in a large textarea, with a preview; saved as a setting
    (logged by community.save)."""
    form = GuidelinesForm(data={"GUIDELINES": community.get("GUIDELINES")})
    if form.validate_on_submit() and not form.preview.data:
        changed = community.save(current_user, {"GUIDELINES": form.GUIDELINES.data})
        flash(_("The guidelines are saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".guidelines"))
    preview = text.render(form.GUIDELINES.data or "") if form.preview.data else None
    return render_template("admin/guidelines.html", form=form, preview=preview)


# -- expert verification ------------------------------------------------------------

@bp.get("/admin/verifications")
def verification_queue():
    return render_template("admin/verification_queue.html",
                           requests=verification.verification_queue(), form=DecisionForm())


@bp.post("/admin/verifications/<id:request_id>")
def decide_verification(request_id):
    pending = db.session.get(ExpertVerification, request_id)
    if pending is None or pending.status != "pending":
        abort(404, _("That request is not waiting for a decision."))
    require(can_decide_verification(current_user, pending))
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_template("admin/verification_queue.html",
                               requests=verification.verification_queue(), form=form,
                               failed_id=request_id), 400
    verification.decide_verification(
        pending, current_user, form.decision.data == "approve", form.reason.data or "",
        form.checked_register.data, form.checked_number.data, form.checked_link.data,
    )
    if form.decision.data == "approve":
        flash(_("%(name)s: approved.", name=pending.user.username), "success")
    else:
        flash(_("%(name)s: declined.", name=pending.user.username), "success")
    return redirect(url_for(".verification_queue"))


@bp.post("/u/<username>/revoke-expert")
def revoke_expert(username):
    user = accounts.find_by_username(username) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason for revoking the verification."), "error")
    elif verification.revoke_verification(user, current_user, form.reason.data):
        flash(_("%(name)s is no longer shown as a verified expert.", name=user.username),
              "success")
    return redirect(url_for("accounts.profile", username=user.username))
