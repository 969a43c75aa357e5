"""A member's settings, under /settings: profile, address, password, reading
preferences, two-step sign-in, expert verification, the data download, leaving.

One guard for the whole blueprint: a signed-in, active account. Reading
preferences (and the energy-saver switch) are for visitors too, kept in a
cookie; a mailed address-change link works before signing in."""


from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    json,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .. import i18n, requestlog
from ..domain import accounts, notifications, profiles, two_factor, verification, watching
from ..permissions import can_edit_profile, can_manage_account, needs_two_factor, require
from ..web import preferences, two_step
from ..web.forms import EmptyForm, apply_errors
from ..web.pages import mailed_link_page
from ..web.security import safe_next
from .forms import (
    DeleteAccountForm,
    EmailChangeForm,
    ExpertProfileForm,
    NotificationSettingsForm,
    PasswordChangeForm,
    PreferencesForm,
    ProfileForm,
    TwoFactorConfirmForm,
    TwoFactorEnableForm,
    VerificationRequestForm,
)

bp = Blueprint("settings", __name__, url_prefix="/settings")


OPEN_TO_VISITORS = {"settings.reading_preferences", "settings.toggle_energy_saver",
                    "settings.choose_language", "settings.confirm_email_change"}


@bp.before_request
def require_account():
    if request.endpoint not in OPEN_TO_VISITORS:
        require(can_manage_account(current_user))


def _settings(**forms):
    user = current_user
    profile_form = ExpertProfileForm if user.is_verified_expert else ProfileForm
    forms.setdefault("profile_form", profile_form(obj=user))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("preferences_form", PreferencesForm(formdata=None, obj=preferences.current()))
    return render_template("settings/settings.html", resend_form=EmptyForm(),
                           pending_verification=verification.pending_verification(user), **forms)


@bp.route("", methods=["GET", "POST"])
def index():
    if request.method == "POST":
        require(can_edit_profile(current_user))
    form_class = ExpertProfileForm if current_user.is_verified_expert else ProfileForm
    form = form_class(obj=current_user)
    if form.validate_on_submit():
        try:
            conflicts = form.conflicts.data if "conflicts" in form else None
            profiles.update_profile(current_user, form.display_name.data, form.bio.data,
                                    conflicts, form.profile_visibility.data)
        except accounts.AccountError as error:
            apply_errors(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for(".index"))
    return _settings(profile_form=form)


@bp.post("/email")
@two_step.code_limit
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            profiles.request_email_change(current_user, form.current_password.data,
                                          form.new_email.data, form.code.data)
        except accounts.AccountError as error:
            apply_errors(form, error)
        else:
            flash(_("We have sent a link to %(email)s. Your address changes when you follow it.",
                    email=form.new_email.data), "success")
            return redirect(url_for(".index"))
    return _settings(email_form=form)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    if not EmptyForm().validate_on_submit():
        return mailed_link_page(_("Confirm your new address"))
    if profiles.confirm_email_change(token) is None:
        flash(_("That link is invalid or has expired. Please ask again from your settings."),
              "error")
    else:
        flash(_("Your email address is changed."), "success")
    return redirect(url_for("threads.index"))


@bp.post("/password")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            profiles.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except accounts.AccountError as error:
            apply_errors(form, error)
        else:
            flash(_("Your password is changed. Every other device has been signed out."),
                  "success")
            return redirect(url_for(".index"))
    return _settings(password_form=form)


@bp.route("/preferences", methods=["GET", "POST"])
def reading_preferences():
    """Reading preferences: kept on the account, or in a cookie for visitors."""
    form = PreferencesForm(obj=preferences.current())
    if form.validate_on_submit():
        response = redirect(safe_next(request.args.get("next")) if not current_user.is_authenticated
                            else url_for(".index", _anchor="reading"))
        preferences.save(response, form.text_size.data, form.high_contrast.data,
                         form.energy_saver.data, form.language.data, form.timezone.data)
        with i18n.in_language(form.language.data):
            flash(_("Your reading preferences are saved."), "success")
        return response
    return render_template("settings/preferences.html", form=form)


def _two_factor_page(**forms):
    user = current_user
    context = {"remaining": 0, "required": needs_two_factor(
        user, current_app.config["REQUIRE_STAFF_TWO_FACTOR"])}
    if user.has_two_factor:
        context["remaining"] = two_factor.remaining_recovery_codes(user)
        forms.setdefault("disable_form", TwoFactorConfirmForm(formdata=None))
        forms.setdefault("codes_form", TwoFactorConfirmForm(formdata=None))
    else:
        session.pop(two_step.SETUP, None)
        secret = two_factor.begin_setup(user)
        uri = two_factor.provisioning_uri(user, secret)
        context.update(secret=two_factor.grouped(secret), uri=uri)
        forms.setdefault("enable_form", TwoFactorEnableForm(formdata=None))
    return _unstored(render_template("settings/two_factor.html", **context, **forms))


def _unstored(page):
    """Pages showing a secret or recovery codes stay out of the browser's cache."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _recovery_codes_page(codes):
    return _unstored(render_template("settings/recovery_codes.html", codes=codes))


@bp.get("/two-factor")
def two_factor_settings():
    return _two_factor_page()


@bp.get("/two-factor/qr.svg")
def two_factor_qr():
    """The set-up secret as a QR code; served from here so the page needs no data: URLs."""
    secret = two_factor.setup_secret(current_user)
    if current_user.has_two_factor or not secret:
        abort(404)
    svg = two_factor.qr_svg(two_factor.provisioning_uri(current_user, secret))
    return current_app.response_class(svg, mimetype="image/svg+xml",
                                      headers={"Cache-Control": "no-store"})


@bp.post("/two-factor/enable")
@two_step.code_limit
def enable_two_factor():
    form = TwoFactorEnableForm()
    secret = two_factor.setup_secret(current_user)
    if current_user.has_two_factor or not secret:
        return redirect(url_for(".two_factor_settings"))
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user, secret, form.code.data, form.password.data)
        except two_factor.TwoFactorError as error:
            apply_errors(form, error)
        else:
            requestlog.event("two-factor on", user=current_user.id)
            return _recovery_codes_page(codes)
    return _two_factor_page(enable_form=form)


def _with_password_and_code(change, form_name, done):
    """Making new recovery codes and turning off both need the password and a code."""
    if not current_user.has_two_factor:
        return redirect(url_for(".two_factor_settings"))
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            result = change(current_user, form.password.data, form.code.data)
        except two_factor.TwoFactorError as error:
            apply_errors(form, error)
        else:
            return done(result)
    return _two_factor_page(**{form_name: form})


@bp.post("/two-factor/recovery-codes")
@two_step.code_limit
def new_recovery_codes():
    return _with_password_and_code(two_factor.regenerate_recovery_codes, "codes_form",
                                   _recovery_codes_page)


@bp.post("/two-factor/disable")
@two_step.code_limit
def disable_two_factor():
    def done(_result):
        requestlog.event("two-factor off", user=current_user.id)
        flash(_("Two-step sign-in is off."), "success")
        return redirect(url_for(".two_factor_settings"))

    return _with_password_and_code(two_factor.disable, "disable_form", done)


@bp.post("/energy-saver")
def toggle_energy_saver():
    """The one-button switch in every page's footer, for visitors and members alike."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    now = preferences.current()
    response = redirect(safe_next(request.form.get("next")))
    preferences.save(response, now.text_size, now.high_contrast, not now.energy_saver)
    flash(_("Energy-saver mode is off.") if now.energy_saver else _("Energy-saver mode is on."),
          "success")
    return response


@bp.post("/language")
def choose_language():
    """The footer's language switch, for visitors (a cookie) and members (their account)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    language = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next")))
    if i18n.is_language(language):
        preferences.save_language(response, language)
    else:
        flash(_("Please choose one of the languages in the list."), "error")
    return response


@bp.route("/verification", methods=["GET", "POST"])
def request_verification():
    pending = verification.pending_verification(current_user)
    form = VerificationRequestForm(obj=verification.verification_details(current_user))
    if form.validate_on_submit():
        verification.request_verification(
            current_user, credentials=form.credentials.data, affiliation=form.affiliation.data,
            register_name=form.register_name.data, register_number=form.register_number.data,
            evidence_url=form.evidence_url.data,
        )
        flash(_("Thank you. An admin will check your details and let you know by email."),
              "success")
        return redirect(url_for(".index"))
    return render_template("settings/verification.html", form=form, pending=pending)


@bp.get("/export")
def export():
    body = json.dumps(profiles.export_data(current_user), indent=2, ensure_ascii=False)
    filename = f"forum-{current_user.username}.json"
    return current_app.response_class(
        body, mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            profiles.delete_account(current_user, form.password.data,
                                    delete_posts=form.posts.data == "delete")
        except accounts.AccountError as error:
            apply_errors(form, error)
        else:
            logout_user()
            flash(_("Your account is deleted. Thank you for being part of the forum."), "info")
            return redirect(url_for("threads.index"))
    return render_template("settings/delete.html", form=form)


@bp.route("/notifications", methods=["GET", "POST"])
def notifications_settings():
    """Email choice and quiet hours; what the member watches, tracks and muted."""
    user = current_user
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        def hour(value):
            return int(value) if value not in ("", None) else None
        watching.save_email_choice(user, form.email_notifications.data,
                                   hour(form.quiet_from.data), hour(form.quiet_until.data))
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for(".notifications_settings"))
    if not form.is_submitted():
        form.email_notifications.data = user.email_notifications
        form.quiet_from.data = "" if user.quiet_from is None else str(user.quiet_from)
        form.quiet_until.data = "" if user.quiet_until is None else str(user.quiet_until)
    return render_template(
        "settings/notifications.html", form=form, threads=watching.thread_watches(user),
        categories=watching.category_watches(user), tags=watching.tag_watches(user),
        members=watching.muted_members(user), ignored=watching.ignored_members(user),
        feed_url=url_for("notifications.feed", token=notifications.feed_token(user),
                         _external=True))
