"""Accounts: registration, sign-in and out, profiles."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..paging import requested_page, require_page_exists
from ..threads import services as threads
from . import services
from .forms import LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """`?next=` only ever leads to a path on this site; anything else goes to the front page."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return url_for("threads.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("threads.index")
    return target


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("threads.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.username.data, form.email.data, form.password.data)
        except services.AccountError as error:
            for field, message in error.errors.items():
                form[field].errors.append(message)
        else:
            login_user(user)
            flash(f"Welcome, {user.username}. Your account is ready.", "success")
            return redirect(url_for("threads.index"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash("You are signed in.", "success")
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("That username or email and password do not match.")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("threads.index"))


@bp.get("/u/<username>")
def profile(username):
    user = services.find_by_username(username) or abort(404)
    posts = threads.user_posts(user, requested_page(), current_app.config["POSTS_PER_PAGE"])
    require_page_exists(posts)
    return render_template(
        "accounts/profile.html",
        user=user,
        threads=threads.user_threads(user),
        posts=posts,
    )
