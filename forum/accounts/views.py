"""Accounts: registration, sign-in and out, confirmation, resets, profiles, settings."""

import time

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
from flask_login import current_user, login_user, logout_user

from .. import drafts, requestlog
from ..extensions import db, limiter
from ..limits import per_member, per_recipient
from ..models import ExpertVerification, User
from ..paging import requested_page, require_page_exists
from ..permissions import (
    can_decide_verification,
    can_edit_profile,
    can_manage_account,
    can_report_user,
    can_review_verifications,
    can_see_own_reports,
    must_set_up_two_factor,
    needs_two_factor,
    require,
)
from ..security import safe_next, safe_path
from ..threads import services as threads
from . import preferences, services, sessions, two_factor
from .forms import (
    DecisionForm,
    DeleteAccountForm,
    EmailChangeForm,
    EmptyForm,
    ExpertProfileForm,
    LoginForm,
    PasswordChangeForm,
    PreferencesForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    RevokeForm,
    SignInLinkForm,
    TwoFactorConfirmForm,
    TwoFactorEnableForm,
    TwoFactorLoginForm,
    VerificationRequestForm,
)

bp = Blueprint("accounts", __name__)


def _limit(name):
    """A rate limit read from config (RATELIMIT_<NAME>), counted on POSTs only."""
    return limiter.limit(lambda: current_app.config[f"RATELIMIT_{name}"], methods=["POST"])


def _apply_errors(form, error: services.AccountError) -> None:
    for field, message in error.errors.items():
        form[field].errors = [*form[field].errors, message]


def _sign_in(user, remember=False):
    _forget_two_factor_steps()
    if current_user.is_authenticated:
        sessions.end_session(current_user)
    sessions.start_session(user, request.user_agent.string)
    login_user(user, remember=remember)
    drafts.keep_from_sign_in(user, request.form)  # text written while signed out


# -- joining and signing in --------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@_limit("REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("threads.index"))
    form = RegisterForm()
    next_path = safe_path(request.args.get("next"))
    if form.validate_on_submit():
        try:
            services.register(form.username.data, form.email.data, form.password.data,
                              next_path)
        except services.AccountError as error:
            _apply_errors(form, error)
        else:
            # The same answer whether or not the address already has an account.
            return redirect(url_for(".register_sent"))
    return render_template("accounts/register.html", form=form, next_path=next_path)


@bp.get("/register/sent")
def register_sent():
    return render_template("accounts/register_sent.html")


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN")
def login():
    form = LoginForm()
    next_path = safe_path(request.args.get("next"))
    if form.validate_on_submit():
        attempt = services.sign_in(form.username.data, form.password.data)
        if attempt.refusal == "limited":
            page = render_template("accounts/login.html", form=form, next_path=next_path,
                                   limited=True)
            return page, 429, {"Retry-After": str(attempt.wait)}
        if attempt.refusal == "unconfirmed":
            session[UNCONFIRMED] = {"user": attempt.user.id, "at": int(time.time())}
            return render_template("accounts/login.html", form=form, next_path=next_path,
                                   unconfirmed=True)
        if attempt.user is not None:
            return _signed_in_by(attempt.user, next_path, "password", form.remember.data)
        form.password.errors = ["That username or email and password do not match."]
        requestlog.event("sign-in refused")
    return render_template("accounts/login.html", form=form, next_path=next_path)


def _signed_in_by(user, next_path, how, remember=False):
    """The password or a mailed link was right: sign in, or with two-step sign-in on,
    go on to the code (a link stands in for the password, never for the code)."""
    if user.has_two_factor:
        # The first step was right; the session remembers that for a few minutes only.
        session[PENDING] = {"user": user.id, "at": int(time.time()), "remember": bool(remember)}
        drafts.hold_for_second_step(user, request.form)  # text written while signed out
        return redirect(url_for(".login_code", next=next_path))
    _sign_in(user, remember=remember)
    requestlog.event("sign-in", user=user.id, by=how)
    flash("You are signed in.", "success")
    return redirect(safe_next(next_path))


UNCONFIRMED = "awaiting_confirmation"
UNCONFIRMED_MAX_AGE = 1800


@bp.post("/login/link")
@_limit("RESET")
def request_sign_in_link():
    """Past the sign-in limit the owner is never locked out: a link by mail signs in once."""
    form = SignInLinkForm()
    next_path = safe_path(request.args.get("next"))
    if form.validate_on_submit():
        services.send_sign_in_link(form.username.data, next_path)
    # The same answer whatever the name (or none).
    flash("If that account exists, we have emailed it a link that signs you in once. "
          "It works for fifteen minutes.", "info")
    return redirect(url_for(".login", next=next_path))


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_link(token):
    # Following the link shows a button; mail scanners that open links change nothing.
    form = EmptyForm()
    if form.validate_on_submit():
        used = services.use_sign_in_link(token)
        if used is None:
            flash("That sign-in link is used, expired or invalid. Please ask for a new one "
                  "or sign in with your password.", "error")
            return redirect(url_for(".login"))
        return _signed_in_by(used.user, safe_path(used.next_path), "link")
    return render_template("accounts/confirm.html", form=form, title="Sign in",
                           button="Sign in")


PENDING = "two_factor_pending"
PENDING_MAX_AGE = 300
# Where set-up secrets were kept before they moved to the session row; cookies issued
# then are cleared of it.
SETUP = "two_factor_setup"


def _forget_two_factor_steps():
    """A half-done sign-in never outlives the person at this browser (a half-done
    set-up lives on the session row, which signing in or out ends)."""
    session.pop(PENDING, None)
    session.pop(SETUP, None)
    session.pop(UNCONFIRMED, None)


def _pending_user():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None, False
    user = db.session.get(User, pending.get("user"))
    if user is None or user.deleted_at is not None or not user.has_two_factor:
        return None, False
    return user, pending.get("remember", False)


def _two_factor_key():
    """Code guesses are counted per account, wherever they come from: the account
    signing in, or the signed-in one turning it on or off."""
    pending = session.get(PENDING)
    if current_user.is_authenticated:
        return f"two-factor:{current_user.id}"
    return f"two-factor:{pending.get('user')}" if isinstance(pending, dict) else "two-factor:-"


# Every attempt counts, right ones too: only someone who has the password gets this
# far, and counting after the answer would let guesses sent at once slip through.
_code_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_TWO_FACTOR"],
                                   scope="two-factor", key_func=_two_factor_key,
                                   methods=["POST"])


@bp.route("/login/code", methods=["GET", "POST"])
@_limit("LOGIN")
@_code_limit
def login_code():
    """The second step of signing in, for accounts with two-step sign-in turned on."""
    user, remember = _pending_user()
    next_path = safe_path(request.args.get("next"))
    if user is None:
        if session.pop(PENDING, None) is not None:
            flash("Please sign in again: that took longer than five minutes.", "info")
        return redirect(url_for(".login", next=next_path))
    form = TwoFactorLoginForm()
    if form.validate_on_submit():
        method = two_factor.verify(user, form.code.data)
        if method is not None:
            session.pop(PENDING, None)
            _sign_in(user, remember=remember)
            requestlog.event("sign-in", user=user.id, second_step=method)
            if method == "recovery":
                flash(f"You used a recovery code; {two_factor.remaining_recovery_codes(user)} "
                      "are left. You can make new ones in your settings.", "info")
            flash("You are signed in.", "success")
            return redirect(safe_next(next_path))
        form.code.errors = ["That code does not match. Type the newest code from your app, "
                            "or one of your recovery codes."]
        requestlog.event("sign-in refused", user=user.id, second_step=True)
    return render_template("accounts/login_code.html", form=form, next_path=next_path)


@bp.before_app_request
def require_staff_two_factor():
    """Where the community requires it, staff set up two-step sign-in first."""
    if request.endpoint is None or request.endpoint in TWO_FACTOR_SETUP_ENDPOINTS:
        return None  # unknown paths get their 404
    if not must_set_up_two_factor(current_user, current_app.config["REQUIRE_STAFF_TWO_FACTOR"]):
        return None
    if request.method == "GET":
        flash("Moderators and admins need two-step sign-in. Please turn it on to continue.",
              "info")
    return redirect(url_for("accounts.two_factor_settings"))


@bp.post("/logout")
def logout():
    _forget_two_factor_steps()
    if current_user.is_authenticated:
        sessions.end_session(current_user)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("threads.index"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    # Following the link shows a button; mail scanners that open links change nothing.
    form = EmptyForm()
    if form.validate_on_submit():
        used = services.confirm_email(token)
        if used is None:
            flash("That confirmation link is invalid or has expired. Sign in with your "
                  "password to have a new one sent.", "error")
            return redirect(url_for("threads.index"))
        next_path = safe_path(used.next_path)
        if used.signs_in:
            flash("Thank you: your email address is confirmed.", "success")
            return _signed_in_by(used.user, next_path, "confirmation")
        if current_user.is_authenticated and current_user.id == used.user.id:
            return redirect(safe_next(next_path))
        flash("Your email address is already confirmed. Please sign in.", "info")
        return redirect(url_for(".login", next=next_path))
    return render_template("accounts/confirm.html", form=form, title="Confirm your email address")


def _awaiting_confirmation():
    """The account whose correct password was just refused for want of confirmation."""
    if current_user.is_authenticated:
        return current_user
    waiting = session.get(UNCONFIRMED)
    if not isinstance(waiting, dict) or time.time() - waiting.get("at", 0) > UNCONFIRMED_MAX_AGE:
        return None
    user = db.session.get(User, waiting.get("user"))
    return user if user is not None and user.deleted_at is None else None


@bp.post("/confirm/resend")
@per_recipient("RESEND")
def resend_confirmation():
    user = _awaiting_confirmation()
    if user is None:
        require(can_manage_account(current_user))
    services.resend_confirmation(user, safe_path(request.form.get("next")))
    flash("We have sent a new confirmation link to the account's email address.", "success")
    if not current_user.is_authenticated:
        return redirect(url_for(".login", next=safe_path(request.form.get("next"))))
    return redirect(safe_next(request.form.get("next")))


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash("If an account uses that address, we have sent it a link to choose a new "
              "password. The link works for one hour.", "info")
        return redirect(url_for(".login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    user = services.user_for_reset(token)
    if user is None:
        flash("That reset link is invalid, used or expired. Please ask for a new one.", "error")
        return redirect(url_for(".reset_request"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except services.AccountError as error:
            form.password.errors = list(error.errors.values())
        else:
            flash("Your password is changed and every other device is signed out. "
                  "Please sign in.", "success")
            return redirect(url_for(".login"))
    return render_template("accounts/reset.html", form=form)


# -- profiles ------------------------------------------------------------------

@bp.get("/u/<username>")
def profile(username):
    user = services.find_by_username(username) or abort(404)
    per_page = current_app.config["POSTS_PER_PAGE"]
    posts = threads.user_posts(user, requested_page(), per_page)
    started = threads.user_threads(user, requested_page("threads_page"), per_page)
    require_page_exists(posts)
    require_page_exists(started)
    return render_template(
        "accounts/profile.html", user=user, threads=started, posts=posts,
        revoke_form=RevokeForm(),
    )


# -- settings ------------------------------------------------------------------

def _settings(**forms):
    user = current_user
    profile_form = ExpertProfileForm if user.is_verified_expert else ProfileForm
    forms.setdefault("profile_form", profile_form(obj=user))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("preferences_form", PreferencesForm(formdata=None, obj=user))
    return render_template("accounts/settings.html", resend_form=EmptyForm(),
                           pending_verification=services.pending_verification(user), **forms)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    require(can_manage_account(current_user))
    if request.method == "POST":
        require(can_edit_profile(current_user))
    form_class = ExpertProfileForm if current_user.is_verified_expert else ProfileForm
    form = form_class(obj=current_user)
    if form.validate_on_submit():
        try:
            conflicts = form.conflicts.data if "conflicts" in form else None
            services.update_profile(current_user, form.display_name.data, form.bio.data,
                                    conflicts)
        except services.AccountError as error:
            _apply_errors(form, error)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for(".settings"))
    return _settings(profile_form=form)


@bp.post("/settings/email")
@_code_limit
def change_email():
    require(can_manage_account(current_user))
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.current_password.data,
                                          form.new_email.data, form.code.data)
        except services.AccountError as error:
            _apply_errors(form, error)
        else:
            flash(f"We have sent a link to {form.new_email.data}. Your address changes when "
                  "you follow it.", "success")
            return redirect(url_for(".settings"))
    return _settings(email_form=form)


@bp.route("/settings/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    form = EmptyForm()
    if form.validate_on_submit():
        if services.confirm_email_change(token) is None:
            flash("That link is invalid or has expired. Please ask again from your settings.",
                  "error")
        else:
            flash("Your email address is changed.", "success")
        return redirect(url_for("threads.index"))
    return render_template("accounts/confirm.html", form=form, title="Confirm your new address")


@bp.post("/settings/password")
def change_password():
    require(can_manage_account(current_user))
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except services.AccountError as error:
            _apply_errors(form, error)
        else:
            flash("Your password is changed. Every other device has been signed out.", "success")
            return redirect(url_for(".settings"))
    return _settings(password_form=form)


@bp.route("/settings/preferences", methods=["GET", "POST"])
def reading_preferences():
    """Reading preferences: kept on the account, or in a cookie for visitors."""
    form = PreferencesForm(obj=preferences.current())
    if form.validate_on_submit():
        response = redirect(safe_next(request.args.get("next")) if not current_user.is_authenticated
                            else url_for(".settings", _anchor="reading"))
        preferences.save(response, form.text_size.data, form.high_contrast.data,
                         form.energy_saver.data)
        flash("Your reading preferences are saved.", "success")
        return response
    return render_template("accounts/preferences.html", form=form)


# -- two-step sign-in --------------------------------------------------------

TWO_FACTOR_SETUP_ENDPOINTS = {
    "accounts.two_factor_settings", "accounts.two_factor_qr", "accounts.enable_two_factor",
    "accounts.logout",
    "accounts.toggle_energy_saver", "accounts.reading_preferences", "static", "health.healthz",
}


def _two_factor_page(**forms):
    user = current_user
    context = {"remaining": 0, "required": needs_two_factor(
        user, current_app.config["REQUIRE_STAFF_TWO_FACTOR"])}
    if user.has_two_factor:
        context["remaining"] = two_factor.remaining_recovery_codes(user)
        forms.setdefault("disable_form", TwoFactorConfirmForm(formdata=None))
        forms.setdefault("codes_form", TwoFactorConfirmForm(formdata=None))
    else:
        session.pop(SETUP, None)
        secret = two_factor.begin_setup(user)
        uri = two_factor.provisioning_uri(user, secret)
        context.update(secret=two_factor.grouped(secret), uri=uri)
        forms.setdefault("enable_form", TwoFactorEnableForm(formdata=None))
    return _unstored(render_template("accounts/two_factor.html", **context, **forms))


def _unstored(page):
    """Pages showing a secret or recovery codes stay out of the browser's cache."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _recovery_codes_page(codes):
    return _unstored(render_template("accounts/recovery_codes.html", codes=codes))


@bp.get("/settings/two-factor")
def two_factor_settings():
    require(can_manage_account(current_user))
    return _two_factor_page()


@bp.get("/settings/two-factor/qr.svg")
def two_factor_qr():
    """The set-up secret as a QR code; served from here so the page needs no data: URLs."""
    require(can_manage_account(current_user))
    secret = two_factor.setup_secret(current_user)
    if current_user.has_two_factor or not secret:
        abort(404)
    svg = two_factor.qr_svg(two_factor.provisioning_uri(current_user, secret))
    return current_app.response_class(svg, mimetype="image/svg+xml",
                                      headers={"Cache-Control": "no-store"})


@bp.post("/settings/two-factor/enable")
@_code_limit
def enable_two_factor():
    require(can_manage_account(current_user))
    form = TwoFactorEnableForm()
    secret = two_factor.setup_secret(current_user)
    if current_user.has_two_factor or not secret:
        return redirect(url_for(".two_factor_settings"))
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user, secret, form.code.data, form.password.data)
        except two_factor.TwoFactorError as error:
            _apply_errors(form, error)
        else:
            requestlog.event("two-factor on", user=current_user.id)
            return _recovery_codes_page(codes)
    return _two_factor_page(enable_form=form)


def _with_password_and_code(change, form_name, done):
    """Making new recovery codes and turning off both need the password and a code."""
    require(can_manage_account(current_user))
    if not current_user.has_two_factor:
        return redirect(url_for(".two_factor_settings"))
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            result = change(current_user, form.password.data, form.code.data)
        except two_factor.TwoFactorError as error:
            _apply_errors(form, error)
        else:
            return done(result)
    return _two_factor_page(**{form_name: form})


@bp.post("/settings/two-factor/recovery-codes")
@_code_limit
def new_recovery_codes():
    return _with_password_and_code(two_factor.regenerate_recovery_codes, "codes_form",
                                   _recovery_codes_page)


@bp.post("/settings/two-factor/disable")
@_code_limit
def disable_two_factor():
    def done(_):
        requestlog.event("two-factor off", user=current_user.id)
        flash("Two-step sign-in is off.", "success")
        return redirect(url_for(".two_factor_settings"))

    return _with_password_and_code(two_factor.disable, "disable_form", done)


@bp.post("/settings/energy-saver")
def toggle_energy_saver():
    """The one-button switch in every page's footer, for visitors and members alike."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    now = preferences.current()
    response = redirect(safe_next(request.form.get("next")))
    preferences.save(response, now.text_size, now.high_contrast, not now.energy_saver)
    flash("Energy-saver mode is " + ("off." if now.energy_saver else "on."), "success")
    return response


@bp.route("/settings/verification", methods=["GET", "POST"])
def request_verification():
    require(can_manage_account(current_user))
    pending = services.pending_verification(current_user)
    form = VerificationRequestForm(obj=services.verification_details(current_user))
    if form.validate_on_submit():
        fields = {name: form[name].data for name in form.data if name != "csrf_token"}
        services.request_verification(current_user, **fields)
        flash("Thank you. An admin will check your details and let you know by email.",
              "success")
        return redirect(url_for(".settings"))
    return render_template("accounts/verification.html", form=form, pending=pending)


@bp.get("/settings/export")
def export():
    require(can_manage_account(current_user))
    body = json.dumps(services.export_data(current_user), indent=2, ensure_ascii=False)
    filename = f"forum-{current_user.username}.json"
    return current_app.response_class(
        body, mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/settings/delete", methods=["GET", "POST"])
def delete_account():
    require(can_manage_account(current_user))
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data,
                                    delete_posts=form.posts.data == "delete")
        except services.AccountError as error:
            _apply_errors(form, error)
        else:
            logout_user()
            flash("Your account is deleted. Thank you for being part of the forum.", "info")
            return redirect(url_for("threads.index"))
    return render_template("accounts/delete.html", form=form)


# -- admins: expert verification -------------------------------------------

@bp.get("/admin/verifications")
def verification_queue():
    require(can_review_verifications(current_user))
    return render_template("accounts/verification_queue.html",
                           requests=services.verification_queue(), form=DecisionForm())


@bp.post("/admin/verifications/<id:request_id>")
def decide_verification(request_id):
    require(can_review_verifications(current_user))
    verification = db.session.get(ExpertVerification, request_id)
    if verification is None or verification.status != "pending":
        abort(404, "That request is not waiting for a decision.")
    require(can_decide_verification(current_user, verification))
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_template("accounts/verification_queue.html",
                               requests=services.verification_queue(), form=form,
                               failed_id=request_id), 400
    services.decide_verification(
        verification, current_user, form.decision.data == "approve", form.reason.data or "",
        form.checked_register.data, form.checked_number.data, form.checked_link.data,
    )
    flash(f"{verification.user.username}: {form.decision.data}d.", "success")
    return redirect(url_for(".verification_queue"))


@bp.post("/u/<username>/revoke-expert")
def revoke_expert(username):
    require(can_review_verifications(current_user))
    user = services.find_by_username(username) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Please give a reason for revoking the verification.", "error")
    elif services.revoke_verification(user, current_user, form.reason.data):
        flash(f"{user.username} is no longer shown as a verified expert.", "success")
    return redirect(url_for(".profile", username=user.username))


# -- reports by members ------------------------------------------------------

@bp.route("/u/<username>/report", methods=["GET", "POST"])
@per_member("FLAG")
def report_user(username):
    from ..moderation import services as moderation
    from ..moderation.forms import FlagForm

    user = services.find_by_username(username) or abort(404)
    require(can_report_user(current_user, user))
    form = FlagForm()
    if form.validate_on_submit():
        if moderation.report_user(user, current_user, form.reason.data, form.note.data or ""):
            flash("Thank you. The moderators will look at it.", "success")
        else:
            flash("You have already reported this member; the moderators have it.", "info")
        return redirect(url_for(".profile", username=user.username))
    return render_template("accounts/report_user.html", form=form, user=user)


@bp.get("/reports")
def my_reports():
    from ..moderation import services as moderation

    require(can_see_own_reports(current_user))
    return render_template("accounts/reports.html", reports=moderation.reports_by(current_user))
