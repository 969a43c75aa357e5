"""Accounts: joining, signing in and out (password, mailed link, two-step code),
confirming an address, resetting a password, profiles, and reporting a member."""

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import requestlog
from ..domain import accounts, drafts, listings, mail, reports, sessions, signin, two_factor
from ..extensions import csrf, db, limiter
from ..limits import per_member, per_recipient
from ..models import EmailChoice, User
from ..permissions import (
    can_manage_account,
    can_report_user,
    can_see_own_reports,
    must_set_up_two_factor,
    require,
)
from ..web import two_step
from ..web.fast_reading import limit_reading
from ..web.forms import EmptyForm, RevokeForm, apply_errors
from ..web.pages import closed_profile, mailed_link_page
from ..web.paging import requested_page, require_page_exists
from ..web.security import safe_next, safe_path
from ..web.writing import REASON_LABELS, FlagForm
from .forms import (
    LoginForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    SignInLinkForm,
    TwoFactorLoginForm,
)

bp = Blueprint("accounts", __name__)


def _limit(name):
    """A rate limit read from config (RATELIMIT_<NAME>), counted on POSTs only."""
    return limiter.limit(lambda: current_app.config[f"RATELIMIT_{name}"], methods=["POST"])


def _sign_in(user, remember=False):
    _forget_two_factor_steps()
    if current_user.is_authenticated:
        sessions.end_session(current_user)
    sessions.start_session(user, request.user_agent.string)
    login_user(user, remember=remember)
    drafts.keep_from_sign_in(user, request.form)  # text written while signed out


@bp.route("/register", methods=["GET", "POST"])
@_limit("REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("threads.index"))
    form = RegisterForm()
    next_path = safe_path(request.args.get("next"))
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.email.data, form.password.data,
                              next_path, language=str(get_locale()))
        except accounts.AccountError as error:
            apply_errors(form, error)
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
        attempt = signin.sign_in(form.username.data, form.password.data)
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
        form.password.errors = [_("That username or email and password do not match.")]
        requestlog.event("sign-in refused")
    return render_template("accounts/login.html", form=form, next_path=next_path)


def _signed_in_by(user, next_path, how, remember=False):
    """The password or a mailed link was right: sign in, or with two-step sign-in on,
    go on to the code (a link stands in for the password, never for the code)."""
    if user.has_two_factor:
        # The first step was right; the session remembers that for a few minutes only.
        session[two_step.PENDING] = {"user": user.id, "at": int(time.time()),
                                     "remember": bool(remember)}
        drafts.hold_for_second_step(user, request.form)  # text written while signed out
        return redirect(url_for(".login_code", next=next_path))
    _sign_in(user, remember=remember)
    requestlog.event("sign-in", user=user.id, by=how)
    flash(_("You are signed in."), "success")
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
        signin.send_sign_in_link(form.username.data, next_path)
    # The same answer whatever the name (or none).
    flash(_("If that account exists, we have emailed it a link that signs you in once. "
            "It works for fifteen minutes."), "info")
    return redirect(url_for(".login", next=next_path))


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_link(token):
    if not EmptyForm().validate_on_submit():
        return mailed_link_page(_("Sign in"), button=_("Sign in"))
    used = signin.use_sign_in_link(token)
    if used is None:
        flash(_("That sign-in link is used, expired or invalid. Please ask for a new one "
                "or sign in with your password."), "error")
        return redirect(url_for(".login"))
    return _signed_in_by(used.user, safe_path(used.next_path), "link")


def _forget_two_factor_steps():
    """A half-done sign-in never outlives the person at this browser (a half-done
    set-up lives on the session row, which signing in or out ends)."""
    session.pop(two_step.PENDING, None)
    session.pop(two_step.SETUP, None)
    session.pop(UNCONFIRMED, None)


def _pending_user():
    pending = session.get(two_step.PENDING)
    too_old = time.time() - pending.get("at", 0) > two_step.PENDING_MAX_AGE \
        if isinstance(pending, dict) else True
    if too_old:
        return None, False
    user = db.session.get(User, pending.get("user"))
    if user is None or user.deleted_at is not None or not user.has_two_factor:
        return None, False
    return user, pending.get("remember", False)


@bp.route("/login/code", methods=["GET", "POST"])
@_limit("LOGIN")
@two_step.code_limit
def login_code():
    """The second step of signing in, for accounts with two-step sign-in turned on."""
    user, remember = _pending_user()
    next_path = safe_path(request.args.get("next"))
    if user is None:
        if session.pop(two_step.PENDING, None) is not None:
            flash(_("Please sign in again: that took longer than five minutes."), "info")
        return redirect(url_for(".login", next=next_path))
    form = TwoFactorLoginForm()
    if form.validate_on_submit():
        method = two_factor.verify(user, form.code.data)
        if method is not None:
            session.pop(two_step.PENDING, None)
            _sign_in(user, remember=remember)
            requestlog.event("sign-in", user=user.id, second_step=method)
            if method == "recovery":
                _say_recovery_codes_left(user)
            flash(_("You are signed in."), "success")
            return redirect(safe_next(next_path))
        form.code.errors = [_("That code does not match. Type the newest code from your "
                              "app, or one of your recovery codes.")]
        requestlog.event("sign-in refused", user=user.id, second_step=True)
    return render_template("accounts/login_code.html", form=form, next_path=next_path)


def _say_recovery_codes_left(user):
    flash(ngettext("You used a recovery code; %(num)d is left. You can make new ones in "
                   "your settings.",
                   "You used a recovery code; %(num)d are left. You can make new ones in "
                   "your settings.",
                   two_factor.remaining_recovery_codes(user)), "info")


TWO_FACTOR_SETUP_ENDPOINTS = {
    "settings.two_factor_settings", "settings.two_factor_qr", "settings.enable_two_factor",
    "accounts.logout",
    "settings.toggle_energy_saver", "settings.reading_preferences", "static", "health.healthz",
}


@bp.before_app_request
def require_staff_two_factor():
    """Where the community requires it, staff set up two-step sign-in first."""
    if request.endpoint is None or request.endpoint in TWO_FACTOR_SETUP_ENDPOINTS:
        return None  # unknown paths get their 404
    if not must_set_up_two_factor(current_user, current_app.config["REQUIRE_STAFF_TWO_FACTOR"]):
        return None
    if request.method == "GET":
        flash(_("Moderators and admins need two-step sign-in. Please turn it on to continue."),
              "info")
    return redirect(url_for("settings.two_factor_settings"))


@bp.post("/logout")
def logout():
    _forget_two_factor_steps()
    if current_user.is_authenticated:
        sessions.end_session(current_user)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("threads.index"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    if not EmptyForm().validate_on_submit():
        return mailed_link_page(_("Confirm your email address"), button=_("Confirm"))
    used = accounts.confirm_email(token)
    if used is None:
        flash(_("That confirmation link is invalid or has expired. Sign in with your "
                "password to have a new one sent."), "error")
        return redirect(url_for("threads.index"))
    next_path = safe_path(used.next_path)
    if used.signs_in:
        flash(_("Thank you: your email address is confirmed."), "success")
        return _signed_in_by(used.user, next_path, "confirmation")
    if current_user.is_authenticated and current_user.id == used.user.id:
        return redirect(safe_next(next_path))
    flash(_("Your email address is already confirmed. Please sign in."), "info")
    return redirect(url_for(".login", next=next_path))


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
    accounts.resend_confirmation(user, safe_path(request.form.get("next")))
    flash(_("We have sent a new confirmation link to the account's email address."),
          "success")
    if not current_user.is_authenticated:
        return redirect(url_for(".login", next=safe_path(request.form.get("next"))))
    return redirect(safe_next(request.form.get("next")))


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        signin.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(_("If an account uses that address, we have sent it a link to choose a new "
                "password. The link works for one hour."), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    user = signin.user_for_reset(token)
    if user is None:
        flash(_("That reset link is invalid, used or expired. Please ask for a new one."),
              "error")
        return redirect(url_for(".reset_request"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            signin.reset_password(user, form.password.data)
        except accounts.AccountError as error:
            form.password.errors = list(error.errors.values())
        else:
            flash(_("Your password is changed and every other device is signed out. "
                    "Please sign in."), "success")
            return redirect(url_for(".login"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts without a CSRF token; the signature is the key
def unsubscribe(token):
    """From notification and digest mail: a GET only asks (mail scanners follow links)."""
    user = mail.unsubscribing(token)
    if user is None:
        abort(404, _("This unsubscribe link is not valid. Copy the whole link from the "
                     "email, or change your email choice in your notification settings."))
    if request.method == "POST":
        mail.unsubscribe(user)
        return redirect(url_for(".unsubscribe", token=token))
    return render_template("accounts/unsubscribe.html",
                           done=user.email_notifications == EmailChoice.NONE.value)


@bp.get("/u/<username>")
@limit_reading
def profile(username):
    user = accounts.find_by_username(username) or abort(404)
    closed = closed_profile(user)
    if closed is not None:
        return closed
    per_page = current_app.config["POSTS_PER_PAGE"]
    posts = listings.user_posts(user, requested_page(), per_page, current_user)
    started = listings.user_threads(user, requested_page("threads_page"), per_page,
                                    current_user)
    require_page_exists(posts)
    require_page_exists(started)
    return render_template(
        "accounts/profile.html", user=user, threads=started, posts=posts,
        revoke_form=RevokeForm(),
    )


@bp.route("/u/<username>/report", methods=["GET", "POST"])
@per_member("FLAG")
def report_user(username):

    user = accounts.find_by_username(username) or abort(404)
    require(can_report_user(current_user, user))
    form = FlagForm()
    if form.validate_on_submit():
        if reports.report_user(user, current_user, form.reason.data, form.note.data or ""):
            flash(_("Thank you. The moderators will look at it."), "success")
        else:
            flash(_("You have already reported this member; the moderators have it."), "info")
        return redirect(url_for(".profile", username=user.username))
    return render_template("accounts/report_user.html", form=form, user=user)


@bp.get("/reports")
def my_reports():

    require(can_see_own_reports(current_user))
    return render_template("accounts/reports.html", reports=reports.reports_by(current_user),
                           reason_labels=REASON_LABELS, outcome_of=_outcome)


# What a report's stored outcome (English, written when it was resolved) says, in the
# reader's language, by the resolution it records.
_LABELLED = ("A moderator labelled the post “", "”.")  # i18n: not shown (parsed)


def _outcome(flag) -> str:
    if flag.resolution == "dismiss":
        return _("A moderator looked at this and left it as it is.")
    if flag.resolution == "hide":
        return _("A moderator hid the post.")
    if flag.resolution == "lock":
        return _("A moderator locked the thread.")
    start, end = _LABELLED
    outcome = flag.outcome or ""
    if flag.resolution == "label" and outcome.startswith(start) and outcome.endswith(end):
        return _("A moderator labelled the post “%(label)s”.",
                 label=outcome[len(start):-len(end)])
    return outcome
