"""Who may use which route: every route in the URL map, for every role, against an
explicit table of answers.

`ROWS` is the table. Each row is one request (a method and a path, with ids of things
in the world below) and the answer each role gets, in the order of `ROLES`:

    L     redirected to sign in (anonymous visitors)
    W     a POST that was accepted: redirected, and the database changed
    200, 301, 302, 400, 403, 404    that status; a POST answered this way changed nothing

Every request is checked against the whole database before and after, so a refused
POST (or any GET) that writes anything fails, and every answer is checked for the
words of hidden, held and deleted posts where that role may not read them.

The world: maria ("member") wrote the posts the table points at, so "member" is their
author and "other_member" (sam) is someone trying another member's ids. The hidden,
held and deleted posts are maria's too. rowan ("suspended") is a member suspended
by a moderator, with a post of his own from before.

`test_every_route_has_a_row` walks `app.url_map`: a new route fails until it has a row.
`test_every_post_refuses_a_missing_csrf_token` sends each POST route without its token,
as every role. `test_suspended_staff_still_read_but_no_longer_moderate` runs the staff
rows as a suspended moderator and a banned admin.

The world is built once through the services and each role signs in once through the
form; every test starts from a copy of that database, and whatever an accepted request
wrote is put back before the next role's turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text, update

from forum.domain import alerts, members, moderation, reports, two_factor, verification, visibility
from forum.domain.posts import add_reply, delete_post
from forum.extensions import db
from forum.models import AlertKind, EvidenceLabel, Post, User, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_category, make_discussion, make_user

ROLES = ("anonymous", "member", "other_member", "expert", "moderator", "admin", "suspended")
USERNAMES = {"member": "maria", "other_member": "sam", "expert": "dr_nair",
             "moderator": "mod_jo", "admin": "admin_lee", "suspended": "rowan"}
L, W = "login", "wrote"


def everyone(answer):
    return (answer,) * 7


def signed_in(answer):
    """Anyone signed in, suspended or not; visitors are sent to sign in."""
    return (L,) + (answer,) * 6


def moderators(answer):
    #       anonymous member other expert moderator admin suspended
    return (L, 403, 403, 403, answer, answer, 403)


def admins(answer):
    return (L, 403, 403, 403, 403, answer, 403)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: tuple

    def __str__(self):
        return f"{self.method} {self.path}"


# Placeholders in paths: {post} maria's reply in an open thread; {hidden} her reply a
# moderator hid; {held} her reply awaiting review; {deleted} her reply she deleted;
# {locked_post} her reply in a locked thread; {opening} the opening post of her open
# thread (which has replies); {sus_post} rowan's reply; {in_hidden_thread} sam's reply
# in a thread hidden from most; {missing} an id nothing has.
# Threads: {open}, {locked} (also pinned), {hidden_thread} (its opening post hidden),
# {deleted_thread}. {label}, {category}, {verification}: an evidence label, a category,
# sam's pending expert verification.
ROWS = [
    # -- reading: anyone ----------------------------------------------------------------
    Row("GET", "/", everyone(200)),
    Row("GET", "/healthz", everyone(200)),
    Row("GET", "/static/forum.css", everyone(200)),
    Row("GET", "/c/living-with-ms", everyone(200)),
    Row("GET", "/c/no-such-category", everyone(404)),
    Row("GET", "/search?q=secret", everyone(200)),
    Row("GET", "/feed.atom", everyone(200)),
    Row("GET", "/tag/fatigue", everyone(200)),
    Row("GET", "/tag/fatigue/feed.atom", everyone(200)),
    Row("GET", "/tag/no-such-tag", everyone(404)),
    Row("GET", "/u/maria", everyone(200)),
    Row("GET", "/u/nobody", everyone(404)),

    # -- threads: open, locked, hidden from most, deleted -------------------------------
    #                                   anonymous member other expert moderator admin suspended
    Row("GET", "/t/{open}", everyone(200)),
    Row("GET", "/t/{locked}", everyone(200)),
    Row("GET", "/t/{hidden_thread}", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{deleted_thread}", (404, 404, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{missing}", everyone(404)),
    # Quoting a post fills the reply box with its words: not for posts one may not read.
    Row("GET", "/t/{open}?quote={hidden}", everyone(200)),
    Row("GET", "/t/{open}?quote={held}", everyone(200)),
    Row("GET", "/t/{open}?quote={deleted}", everyone(200)),
    Row("GET", "/t/{open}/wrong-slug", everyone(301)),
    Row("GET", "/t/{hidden_thread}/wrong-slug", (404, 301, 404, 404, 301, 301, 404)),
    Row("GET", "/t/{deleted_thread}/wrong-slug", (404, 404, 404, 404, 301, 301, 404)),
    Row("GET", "/t/{open}/latest", everyone(302)),
    Row("GET", "/t/{hidden_thread}/latest", (404, 302, 404, 404, 302, 302, 404)),
    Row("GET", "/t/{deleted_thread}/latest", (404, 404, 404, 404, 302, 302, 404)),
    Row("GET", "/t/{open}/top", everyone(200)),
    Row("GET", "/t/{hidden_thread}/top", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{deleted_thread}/top", (404, 404, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{missing}/top", everyone(404)),
    Row("GET", "/t/{open}/search?q=secret", everyone(200)),
    Row("GET", "/t/{hidden_thread}/search?q=secret", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{deleted_thread}/search?q=secret", (404, 404, 404, 404, 200, 200, 404)),
    Row("GET", "/t/{missing}/search?q=secret", everyone(404)),

    Row("POST", "/t/{open}/reply", (L, W, W, W, W, W, 403)),
    Row("POST", "/t/{locked}/reply", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/t/{hidden_thread}/reply", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/t/{deleted_thread}/reply", everyone(404)),
    Row("POST", "/t/{missing}/reply", everyone(404)),

    Row("POST", "/t/{open}/label", (L, 403, 403, W, W, W, 403)),
    Row("POST", "/t/{locked}/label", (L, 403, 403, W, W, W, 403)),
    Row("POST", "/t/{hidden_thread}/label", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/t/{deleted_thread}/label", (404, 404, 404, 404, W, W, 404)),

    # -- starting threads ------------------------------------------------------------
    Row("GET", "/c/living-with-ms/new", (L, 200, 200, 200, 200, 200, 403)),
    Row("POST", "/c/living-with-ms/new", (L, W, W, W, W, W, 403)),
    Row("GET", "/c/archive/new", (L, 403, 403, 403, 200, 200, 403)),
    Row("POST", "/c/archive/new", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/c/no-such-category/new", everyone(404)),
    Row("POST", "/mark-read", signed_in(W)),
    Row("POST", "/c/living-with-ms/mark-read", signed_in(W)),
    Row("POST", "/c/no-such-category/mark-read", everyone(404)),
    Row("GET", "/articles/new", (L, 403, 403, 200, 200, 200, 403)),
    Row("POST", "/articles/new", (L, 403, 403, W, W, W, 403)),
    # Reviewing articles: experts, moderators, admins; only articles can be reviewed
    # (a discussion is not found), and a suspended expert would be refused as a writer.
    Row("GET", "/articles/review", (L, 403, 403, 200, 200, 200, 403)),
    Row("POST", "/t/{open}/reviewed", (L, 403, 403, 404, 404, 404, 403)),
    Row("POST", "/t/{missing}/reviewed", everyone(404)),
    Row("GET", "/guidelines", everyone(200)),

    # -- one post: maria's, hidden, held, deleted, and ids that do not exist ----------
    Row("GET", "/p/{post}", everyone(302)),
    Row("GET", "/p/{hidden}", (404, 302, 404, 404, 302, 302, 404)),
    Row("GET", "/p/{held}", (404, 302, 404, 404, 302, 302, 404)),
    Row("GET", "/p/{deleted}", (404, 404, 404, 404, 302, 302, 404)),
    Row("GET", "/p/{missing}", everyone(404)),
    # sam's reply in maria's thread, whose opening post a moderator hid: gone with it.
    Row("GET", "/p/{in_hidden_thread}", (404, 302, 404, 404, 302, 302, 404)),
    Row("POST", "/p/{in_hidden_thread}/edit", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/p/{in_hidden_thread}/flag", (404, W, 404, 404, W, W, 404)),

    Row("GET", "/p/{post}/edit", (L, 200, 403, 403, 200, 200, 403)),
    Row("GET", "/p/{hidden}/edit", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/p/{held}/edit", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/p/{deleted}/edit", everyone(404)),
    Row("GET", "/p/{locked_post}/edit", (L, 403, 403, 403, 200, 200, 403)),
    Row("GET", "/p/{sus_post}/edit", (L, 403, 403, 403, 200, 200, 403)),
    Row("GET", "/p/{missing}/edit", everyone(404)),
    Row("POST", "/p/{post}/edit", (L, W, 403, 403, W, W, 403)),
    Row("POST", "/p/{hidden}/edit", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/p/{held}/edit", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/p/{deleted}/edit", everyone(404)),
    Row("POST", "/p/{locked_post}/edit", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/p/{sus_post}/edit", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/p/{missing}/edit", everyone(404)),

    Row("GET", "/p/{post}/history", (L, 200, 403, 403, 200, 200, 403)),
    Row("GET", "/p/{hidden}/history", (404, 200, 404, 404, 200, 200, 404)),
    Row("GET", "/p/{held}/history", (404, 200, 404, 404, 200, 200, 404)),
    # A deleted post's words are gone for everyone, its earlier versions too.
    Row("GET", "/p/{deleted}/history", everyone(404)),
    Row("GET", "/p/{missing}/history", everyone(404)),

    Row("POST", "/p/{post}/delete", (L, W, 403, 403, W, W, 403)),
    Row("POST", "/p/{hidden}/delete", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/p/{held}/delete", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/p/{deleted}/delete", everyone(404)),
    Row("POST", "/p/{opening}/delete", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/p/{locked_post}/delete", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/p/{sus_post}/delete", (L, 403, 403, 403, W, W, 403)),
    Row("POST", "/p/{missing}/delete", everyone(404)),

    # Reporting is not writing: a suspended member may still report a post or a member.
    Row("GET", "/p/{post}/flag", (L, 403, 200, 200, 200, 200, 200)),
    Row("GET", "/p/{hidden}/flag", (404, 403, 404, 404, 200, 200, 404)),
    Row("GET", "/p/{held}/flag", (404, 403, 404, 404, 200, 200, 404)),
    Row("GET", "/p/{deleted}/flag", everyone(404)),
    Row("POST", "/p/{post}/flag", (L, 403, W, W, W, W, W)),
    Row("POST", "/p/{hidden}/flag", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/p/{held}/flag", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/p/{deleted}/flag", everyone(404)),
    Row("POST", "/p/{missing}/flag", everyone(404)),

    Row("POST", "/p/{post}/label", (L, 403, 403, W, W, W, 403)),
    Row("POST", "/p/{hidden}/label", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/p/{held}/label", (404, 403, 404, 404, W, W, 404)),
    Row("POST", "/p/{deleted}/label", (404, 404, 404, 404, W, W, 404)),
    Row("POST", "/p/{missing}/label", everyone(404)),

    # "This helped me": anyone signed in who may write, on a public post not their own.
    Row("POST", "/p/{post}/helpful", (L, 403, W, W, W, W, 403)),
    Row("POST", "/p/{hidden}/helpful", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{held}/helpful", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{deleted}/helpful", (404, 404, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{missing}/helpful", everyone(404)),
    # Nothing to take back yet: accepted, and nothing changes.
    Row("POST", "/p/{post}/helpful/undo", (L, 403, 302, 302, 302, 302, 403)),
    Row("POST", "/p/{hidden}/helpful/undo", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{missing}/helpful/undo", everyone(404)),

    # -- bookmarks: private to each member, suspended ones too; public posts only --------
    Row("GET", "/bookmarks", signed_in(200)),
    Row("GET", "/p/{post}/bookmark", signed_in(200)),
    Row("GET", "/p/{hidden}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("GET", "/p/{held}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("GET", "/p/{deleted}/bookmark", (404, 404, 404, 404, 403, 403, 404)),
    Row("GET", "/p/{in_hidden_thread}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("GET", "/p/{missing}/bookmark", everyone(404)),
    Row("POST", "/p/{post}/bookmark", signed_in(W)),
    Row("POST", "/p/{hidden}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{held}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{deleted}/bookmark", (404, 404, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{in_hidden_thread}/bookmark", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{missing}/bookmark", everyone(404)),
    # Nobody in the world has a bookmark: nothing to remove, whoever asks.
    Row("POST", "/p/{post}/bookmark/remove", signed_in(404)),
    Row("POST", "/p/{hidden}/bookmark/remove", signed_in(404)),
    # The answer: the discussion's starter (maria) or a moderator.
    Row("POST", "/p/{post}/answer", (L, W, 403, 403, W, W, 403)),
    Row("POST", "/p/{opening}/answer", (L, 403, 403, 403, 403, 403, 403)),
    Row("POST", "/p/{hidden}/answer", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{held}/answer", (404, 403, 404, 404, 403, 403, 404)),
    Row("POST", "/p/{missing}/answer", everyone(404)),
    Row("POST", "/t/{open}/answer/remove", (L, 302, 403, 403, 302, 302, 403)),
    Row("POST", "/t/{hidden_thread}/answer/remove", (404, 302, 404, 404, 302, 302, 404)),
    Row("POST", "/t/{missing}/answer/remove", everyone(404)),

    # -- moderation: guarded by the blueprint before the id is even looked up ----------
    Row("GET", "/mod", moderators(200)),
    Row("GET", "/mod/log", moderators(200)),
    Row("POST", "/mod/reports/post-{sus_post}", moderators(W)),
    Row("POST", "/mod/reports/post-{missing}", moderators(404)),
    Row("POST", "/mod/held/{held}/approve", moderators(W)),
    Row("POST", "/mod/held/{missing}/approve", moderators(404)),
    Row("POST", "/mod/held/{held}/reject", moderators(W)),
    Row("POST", "/p/{post}/hide", moderators(W)),
    Row("POST", "/p/{missing}/hide", moderators(404)),
    Row("POST", "/p/{hidden}/restore", moderators(W)),
    Row("POST", "/t/{open}/lock", moderators(W)),
    Row("POST", "/t/{missing}/lock", moderators(404)),
    Row("POST", "/t/{locked}/unlock", moderators(W)),
    Row("POST", "/t/{open}/pin", moderators(W)),
    Row("POST", "/t/{locked}/unpin", moderators(W)),
    Row("POST", "/t/{open}/move", moderators(W)),
    Row("POST", "/u/sam/suspend", moderators(W)),
    # Only admins suspend staff, and nobody suspends themselves.
    Row("POST", "/u/admin_lee/suspend", moderators(403)),
    Row("POST", "/u/nobody/suspend", moderators(404)),
    Row("POST", "/u/rowan/reinstate", moderators(W)),
    # A ban is an admin's to impose, so an admin's to lift.
    Row("POST", "/u/bea/reinstate", admins(W)),
    Row("POST", "/u/sam/ban", admins(W)),

    # -- admin pages ---------------------------------------------------------------------
    Row("GET", "/admin/categories", admins(200)),
    Row("POST", "/admin/categories", admins(W)),
    Row("POST", "/admin/categories/{category}", admins(W)),
    Row("POST", "/admin/categories/{category}/archive", admins(W)),
    Row("GET", "/admin/labels", admins(200)),
    Row("POST", "/admin/labels", admins(W)),
    Row("POST", "/admin/labels/{label}", admins(W)),
    Row("POST", "/admin/labels/{label}/archive", admins(W)),
    Row("GET", "/admin/settings", admins(200)),
    Row("POST", "/admin/settings", admins(W)),
    Row("GET", "/admin/guidelines", admins(200)),
    Row("POST", "/admin/guidelines", admins(W)),
    Row("GET", "/admin/safety", admins(200)),
    Row("POST", "/admin/safety", admins(W)),
    Row("GET", "/admin/users", admins(200)),
    Row("GET", "/admin/users/maria", admins(200)),
    Row("POST", "/admin/users/maria/role", admins(W)),
    Row("POST", "/admin/users/admin_lee/role", admins(403)),  # not their own role
    Row("POST", "/admin/users/tess/two-factor/reset", admins(W)),
    Row("POST", "/admin/users/admin_lee/two-factor/reset", admins(403)),  # nor their own
    Row("GET", "/admin/verifications", admins(200)),
    Row("POST", "/admin/verifications/{verification}", admins(W)),
    Row("POST", "/admin/verifications/{missing}", admins(404)),
    Row("POST", "/u/dr_nair/revoke-expert", admins(W)),

    # -- members reporting members --------------------------------------------------------
    Row("GET", "/u/sam/report", (L, 200, 403, 200, 200, 200, 200)),
    Row("POST", "/u/sam/report", (L, W, 403, W, W, W, W)),
    Row("POST", "/u/nobody/report", everyone(404)),
    Row("GET", "/reports", signed_in(200)),

    # -- accounts: joining, signing in and out, tokens -------------------------------
    Row("GET", "/register", (200,) + (302,) * 6),
    Row("POST", "/register", (W,) + (302,) * 6),
    Row("GET", "/register/sent", everyone(200)),
    Row("GET", "/login", everyone(200)),
    Row("POST", "/login", everyone(W)),  # signs in as maria, whoever sent it
    Row("GET", "/login/code", everyone(L)),  # no password step pending
    Row("POST", "/login/code", everyone(L)),
    Row("POST", "/login/link", everyone(W)),  # a sign-in link mailed to maria, whoever asks
    Row("GET", "/login/link/not-a-token", everyone(200)),
    Row("POST", "/login/link/not-a-token", everyone(L)),  # "ask again, or use the password"
    Row("POST", "/logout", (302,) + (W,) * 6),
    Row("GET", "/confirm/not-a-token", everyone(200)),
    Row("POST", "/confirm/not-a-token", everyone(302)),
    Row("POST", "/confirm/resend", signed_in(302)),  # everyone here is confirmed
    Row("GET", "/unsubscribe/not-a-token", everyone(404)),
    Row("POST", "/unsubscribe/not-a-token", everyone(404)),  # no CSRF token (RFC 8058)
    Row("GET", "/reset", everyone(200)),
    Row("POST", "/reset", everyone(W)),  # mail to maria's address, whoever asks
    Row("GET", "/reset/not-a-token", everyone(302)),
    Row("POST", "/reset/not-a-token", everyone(302)),
    Row("GET", "/dev/mail", everyone(200)),  # development only (the tests' FORUM_ENV)

    # -- accounts: one's own settings (suspended members keep the private ones) ------------
    Row("GET", "/settings", signed_in(200)),
    # The public profile is writing: suspended members leave it as it is.
    Row("POST", "/settings", (L, W, W, W, W, W, 403)),
    Row("POST", "/settings/email", signed_in(W)),
    Row("GET", "/settings/email/not-a-token", everyone(200)),
    Row("POST", "/settings/email/not-a-token", everyone(302)),
    Row("POST", "/settings/password", signed_in(W)),
    Row("GET", "/settings/preferences", everyone(200)),
    Row("POST", "/settings/preferences", (302,) + (W,) * 6),  # visitors: a cookie
    Row("POST", "/settings/energy-saver", (302,) + (W,) * 6),
    Row("POST", "/settings/language", (302,) + (W,) * 6),  # visitors: a cookie
    Row("GET", "/settings/verification", signed_in(200)),
    Row("POST", "/settings/verification", signed_in(W)),
    Row("GET", "/settings/export", signed_in(200)),
    Row("GET", "/settings/delete", signed_in(200)),
    Row("POST", "/settings/delete", signed_in(W)),
    Row("GET", "/settings/two-factor", signed_in(200)),
    # Without the set-up secret the settings page puts in the session: nothing to show.
    Row("GET", "/settings/two-factor/qr.svg", signed_in(404)),
    Row("POST", "/settings/two-factor/enable", signed_in(302)),
    Row("POST", "/settings/two-factor/recovery-codes", signed_in(302)),
    Row("POST", "/settings/two-factor/disable", signed_in(302)),
    # -- drafts: private to each member, suspended ones too --------------------------------
    Row("GET", "/drafts", signed_in(200)),
    Row("POST", "/drafts/save", signed_in(W)),
    Row("POST", "/drafts/discard", signed_in(302)),  # nobody has a draft to discard
    # -- notifications, watching, muting (issue #13): every account, suspended too --------
    Row("GET", "/notifications", signed_in(200)),
    Row("GET", "/notifications/{missing}", signed_in(404)),
    # maria has notices (her hidden post), rowan too (his suspension); the rest none.
    Row("POST", "/notifications/read-all", (L, W, 302, 302, 302, 302, W)),
    Row("GET", "/notifications/feed/not-a-token.atom", everyone(404)),
    Row("POST", "/t/{open}/watch", signed_in(W)),
    Row("POST", "/t/{hidden_thread}/watch", (404, W, 404, 404, W, W, 404)),
    Row("POST", "/t/{deleted_thread}/watch", (404, 404, 404, 404, W, W, 404)),
    Row("POST", "/t/{missing}/watch", everyone(404)),
    Row("POST", "/c/living-with-ms/watch", signed_in(W)),
    Row("POST", "/c/no-such-category/watch", everyone(404)),
    Row("POST", "/tag/fatigue/watch", signed_in(W)),
    Row("POST", "/tag/no-such-tag/watch", everyone(404)),
    Row("POST", "/u/sam/mute", (L, W, 403, W, W, W, W)),
    Row("POST", "/u/nobody/mute", (L,) + (404,) * 6),
    Row("GET", "/settings/notifications", signed_in(200)),
    Row("POST", "/settings/notifications", signed_in(W)),
    # -- health safety (issue #14): ignoring a member, never staff nor oneself -----------
    Row("POST", "/u/sam/ignore", (L, W, 403, W, W, W, W)),
    Row("POST", "/u/mod_jo/ignore", (L, 403, 403, 403, 403, 403, 403)),
    Row("POST", "/u/nobody/ignore", (L,) + (404,) * 6),
    Row("POST", "/u/sam/unignore", signed_in(302)),  # nobody ignores sam yet
    Row("POST", "/u/nobody/unignore", (L,) + (404,) * 6),
    # The safety queue: moderators only, guarded before the alert is looked up.
    Row("GET", "/mod/alerts/{alert}/note", moderators(200)),
    Row("GET", "/mod/alerts/{missing}/note", moderators(404)),
    Row("POST", "/mod/alerts/{alert}/note", moderators(W)),
    Row("POST", "/mod/alerts/{missing}/note", moderators(404)),
    Row("POST", "/mod/alerts/{alert}/escalate", moderators(W)),
    Row("POST", "/mod/alerts/{missing}/escalate", moderators(404)),
    Row("POST", "/mod/alerts/{alert}/resolve", moderators(W)),
    Row("POST", "/mod/alerts/{missing}/resolve", moderators(404)),
    Row("GET", "/mod/templates", moderators(200)),
    Row("POST", "/mod/templates", moderators(W)),
    Row("POST", "/t/{open}/members-only", moderators(W)),
    Row("POST", "/t/{missing}/members-only", moderators(404)),
]

# What each form sends: valid data, so an allowed request really does its work.
FORMS = {
    "posts.reply": {"body": "A reply written for the authorisation table."},
    "notifications.watch_thread": {"level": "muted"},
    "notifications.watch_category": {"level": "muted"},
    "notifications.watch_tag": {"level": "watching"},
    "notifications.mute": {"action": "mute"},
    "moderation.alert_note": {"body": "We are here if you need us."},
    "moderation.alert_escalate": {"reason": ""},
    "moderation.alert_resolve": {"note": ""},
    "moderation.note_templates": {"templates": "## Checking in\nHow are you doing?"},
    "moderation.members_only": {"members_only": "y", "reason": ""},
    "settings.notifications_settings": {"email_notifications": "weekly", "quiet_from": "22",
                                        "quiet_until": "6"},
    "posts.edit": {"body": "Text changed by whoever was allowed to."},
    "posts.flag": {"reason": "spam", "note": ""},
    "posts.save_draft": {"body": "Half a thought, for later.", "draft_key": "reply:{open}"},
    "posts.discard_draft": {"draft_key": "reply:{open}"},
    "posts.label": {"label": "{label}", "note": "See the trial."},
    "threads.label": {"label": "{label}", "note": "See the trial."},
    "threads.new_discussion": {"title": "Cooling vests in summer", "body": "Do they help?",
                               "tags": "heat"},
    "threads.new_article": {
        "title": "Vitamin D and relapses", "summary": "What the trials show.",
        "body": "Trials so far are small.", "tags": "vitamind",
        "references": "Smith J. Vitamin D in MS. doi:10.1000/xyz123",
        "disclosure": "None.",
    },
    "moderation.lock": {"reason": "Promotes a paid, unproven treatment."},
    "moderation.unlock": {"reason": ""},
    "moderation.pin": {"reason": ""},
    "moderation.unpin": {"reason": ""},
    "moderation.move": {"category": "{category}", "reason": ""},
    "moderation.hide": {"reason": "Personal information."},
    "moderation.restore": {"reason": ""},
    "moderation.reject": {"reason": "Advertising."},
    "moderation.resolve": {"action": "dismiss", "note": ""},
    "moderation.suspend": {"until": (date.today() + timedelta(days=30)).isoformat(),
                           "reason": "Cooling off."},
    "moderation.reinstate": {"reason": ""},
    "moderation.ban": {"reason": "Spam account."},
    "admin.category_list": {"slug": "new-category", "name": "New category", "position": "3"},
    "admin.category_edit": {"name": "Renamed category", "position": "1"},
    "admin.label_list": {"name": "Disputed", "tone": "caution", "position": "2"},
    "admin.label_edit": {"name": "Unproven (renamed)", "tone": "caution", "position": "1"},
    "admin.user_role": {"role": "moderator"},
    "admin.user_two_factor_reset": {"reason": "Lost her phone; we checked who she is."},
    "admin.community_settings": {"HOLD_FIRST_POSTS": "4"},
    "admin.guidelines": {"GUIDELINES": "# Be kind\n\nWritten for the authorisation table."},
    "admin.safety_lists": {"CRISIS_PHRASES": "written for the authorisation table",
                           "HELPLINES": "UK | Samaritans | 116 123 | samaritans.org | always",
                           "HELPLINE_REGION": "UK", "WATCHED_DOMAINS": ""},
    "admin.decide_verification": {"decision": "approve", "reason": "",
                                     "checked_register": "y"},
    "admin.revoke_expert": {"reason": "Registration lapsed."},
    "accounts.report_user": {"reason": "harassment", "note": ""},
    "accounts.register": {"username": "newcomer", "email": "newcomer@example.org",
                          "password": "a quiet evening by the river",
                          "confirm": "a quiet evening by the river", "agree": "y"},
    "accounts.login": {"username": "maria", "password": PASSWORD},
    "accounts.request_sign_in_link": {"username": "maria"},
    "accounts.login_code": {"code": "123456"},
    "accounts.reset_request": {"email": "maria@example.org"},
    "accounts.reset": {"password": "a quiet evening by the river",
                       "confirm": "a quiet evening by the river"},
    "settings.index": {"display_name": "A new name", "bio": ""},
    "settings.change_email": {"new_email": "elsewhere@example.org",
                              "current_password": PASSWORD},
    "settings.change_password": {"current_password": PASSWORD,
                                 "new_password": "a quiet evening by the river",
                                 "confirm": "a quiet evening by the river"},
    "settings.reading_preferences": {"text_size": "large"},
    "settings.choose_language": {"language": "es"},
    "settings.request_verification": {
        "credentials": "MS nurse", "affiliation": "Royal Infirmary", "register_name": "NMC",
        "register_number": "12A3456B", "evidence_url": "https://example.org/register/12A3456B",
    },
    "settings.delete_account": {"posts": "keep", "password": PASSWORD},
    "settings.enable_two_factor": {"code": "123456", "password": PASSWORD},
    "settings.new_recovery_codes": {"code": "123456", "password": PASSWORD},
    "settings.disable_two_factor": {"code": "123456", "password": PASSWORD},
}

# Words in maria's hidden, held and deleted posts and threads: only she and the
# moderators may ever be shown them, on any page.
SECRETS = ("SECRET-HIDDEN-REPLY", "SECRET-HELD-REPLY", "SECRET-DELETED-REPLY",
           "SECRET-HIDDEN-THREAD", "SECRET-DELETED-THREAD")
SECRET_READERS = {"member", "moderator", "admin"}
# A deleted post's words: nobody at all, its author and the moderators included.
UNREADABLE = ("SECRET-DELETED-REPLY",)


# -- the world ---------------------------------------------------------------------

def _opening(thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                Post.is_opening.is_(True)))


def _search_rows_query(conn):
    return text("SELECT rowid, title, body FROM search_posts ORDER BY rowid"
                if conn.dialect.name == "sqlite" else
                "SELECT post_id AS rowid, title, body FROM search_posts ORDER BY post_id")


# Opening a thread moves a signed-in member's place in it forward (forum.domain.reading):
# the one thing a page a member reads may write. A visitor's GET writes nothing at all.
# It also marks the notifications about what the page showed as read (issue #13).
READ_PLACES = {"thread_reads", "notifications"}

# The set-up key the two-step page shows is kept on the browser's own session row (not
# in its readable cookie), as a cookie session would keep it: not a change of state.
# When a member was last on the site (forum.domain.mail.note_seen: any signed-in page, at
# most once a minute, so immediate mail waits while they are here) is presence, not a
# change the request made.
SCRATCH = {("user_sessions", "two_factor_setup"), ("user_sessions", "two_factor_setup_at"),
           ("users", "last_seen_at")}


def _kept(table):
    return [column for column in table.columns if (table.name, column.name) not in SCRATCH]


def snapshot() -> dict[str, list]:
    """Every row of every table, and the search index: what a request may have changed."""
    db.session.commit()
    with db.engine.connect() as conn:
        rows = {table.name: conn.execute(select(*_kept(table))
                                         .order_by(*table.primary_key.columns)).all()
                for table in db.metadata.sorted_tables}
        rows["search_posts"] = conn.execute(_search_rows_query(conn)).all()
    return rows


def restore(rows: dict[str, list]) -> None:
    """Put every table back as `snapshot()` found it (ids included)."""
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_posts"))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), [dict(row._mapping) for row in rows[table.name]])
        key = "rowid" if conn.dialect.name == "sqlite" else "post_id"
        for row in rows["search_posts"]:
            conn.execute(text(f"INSERT INTO search_posts ({key}, title, body) "  # noqa: S608
                              "VALUES (:rowid, :title, :body)"), dict(row._mapping))


def _changed_tables(before, after) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


class World:
    """The people and posts the table talks about, built once through the services,
    with each role signed in once through the sign-in form. Tests start from
    `reset()`, and after any request that wrote, the database goes back as it was."""

    def __init__(self, app):
        self.app = app
        users = {role: make_user(name, role={"expert": "expert", "moderator": "moderator",
                                             "admin": "admin"}.get(role, "member"))
                 for role, name in USERNAMES.items()}
        maria, sam, mod = users["member"], users["other_member"], users["moderator"]
        tess = make_user("tess")  # has two-step sign-in on, for the admins' reset
        tess.totp_secret, tess.totp_enabled_at = two_factor.seal("JBSWY3DPEHPK3PXP"), utcnow()
        bea = make_user("bea")  # banned, for lifting a ban
        bea.banned_at = utcnow()
        living = make_category()
        research = make_category("research-news", "Research news")
        archive = make_category("archive", "Old threads")
        archive.archived_at = utcnow()
        label = EvidenceLabel(name="Unproven", tone="caution")
        db.session.add(label)
        db.session.commit()

        open_thread = make_discussion(maria, living, title="Tips for fatigue",
                                      tags=["fatigue"])
        post = add_reply(open_thread, maria, "Cooling towels help me.")
        sus_post = add_reply(open_thread, users["suspended"], "Buy my supplement.")
        hidden = add_reply(open_thread, maria, "SECRET-HIDDEN-REPLY: my neighbour's name")
        moderation.hide_post(hidden, mod, "Names someone.")
        held = add_reply(open_thread, maria, "SECRET-HELD-REPLY: waiting for review")
        visibility.hold(held)  # as add_reply does for a new member's first posts
        db.session.commit()
        deleted = add_reply(open_thread, maria, "SECRET-DELETED-REPLY: I regret this")
        delete_post(deleted, maria)

        locked = make_discussion(maria, living, title="A heated thread")
        locked_post = add_reply(locked, maria, "And another thing.")
        moderation.lock_thread(locked, mod, "Heated.")
        moderation.pin_thread(locked, mod)

        hidden_thread = make_discussion(maria, living, title="SECRET-HIDDEN-THREAD",
                                        body="SECRET-HIDDEN-THREAD body", tags=["fatigue"])
        in_hidden_thread = add_reply(hidden_thread, sam, "I agree.")
        moderation.hide_post(_opening(hidden_thread), mod, "Off topic.")
        deleted_thread = make_discussion(maria, living, title="SECRET-DELETED-THREAD",
                                         body="SECRET-DELETED-THREAD body", tags=["fatigue"])
        delete_post(_opening(deleted_thread), maria)

        reports.flag_post(sus_post, sam, "misinformation", "")
        alert = alerts.raise_alert(AlertKind.CRISIS, f"crisis:post:{post.id}", post=post,
                                   subject=maria, detail="no way out")
        request = verification.request_verification(
            sam, credentials="Neurologist", affiliation="City Hospital", register_name="GMC",
            register_number="7654321", evidence_url="https://example.org/gmc/7654321")
        members.suspend(users["suspended"], mod, utcnow() + timedelta(days=7),
                           "Advertising.")

        self.ids = {
            "post": post.id, "hidden": hidden.id, "held": held.id, "deleted": deleted.id,
            "locked_post": locked_post.id, "opening": _opening(open_thread).id,
            "sus_post": sus_post.id, "in_hidden_thread": in_hidden_thread.id,
            "missing": 999_999, "alert": alert.id,
            "open": open_thread.id, "locked": locked.id, "hidden_thread": hidden_thread.id,
            "deleted_thread": deleted_thread.id,
            "label": label.id, "category": research.id, "verification": request.id,
        }
        # Each role's session cookie and CSRF token; a browser is a new client with them.
        self.cookies, self.tokens = {}, {}
        for role in ROLES:
            browser = Browser(app.test_client())
            if role != "anonymous":
                browser.login(USERNAMES[role])
            self.tokens[role] = csrf_token(browser.get("/login").get_data(as_text=True))
            self.cookies[role] = browser.client.get_cookie("session").value
        self.pristine = self.state = snapshot()
        self.clients = {}

    def reset(self):
        restore(self.pristine)
        self.state, self.clients = self.pristine, {}

    def commit(self):
        """For a test that changes the world itself before its requests."""
        db.session.commit()
        self.state = snapshot()

    def browser(self, role) -> Browser:
        if role not in self.clients:
            client = self.app.test_client()
            client.set_cookie("session", self.cookies[role])
            self.clients[role] = Browser(client)
        return self.clients[role]

    def fill(self, template: str) -> str:
        return template.format(**self.ids)

    def send(self, role: str, row: Row, with_token=True):
        """Make the row's request as `role`: (response, the tables it changed). Whatever
        it changed is put back, so the next request finds the world as it was."""
        browser = self.browser(role)
        path = self.fill(row.path)
        data = {}
        if row.method == "POST":
            endpoint, _ = self.app.url_map.bind("localhost").match(urlsplit(path).path, "POST")
            data = {name: self.fill(value) for name, value in FORMS.get(endpoint, {}).items()}
            if with_token:
                data["csrf_token"] = self.tokens[role]
        response = browser.client.open(path, method=row.method, data=data)
        after = snapshot()
        changed = _changed_tables(self.state, after)
        if changed:
            restore(self.state)
            del self.clients[role]  # its cookie may be signed out, or someone else's
        if row.method == "GET" and role != "anonymous":
            changed = [name for name in changed if name not in READ_PLACES]
        return response, changed


def answer(row: Row, path: str, response, changed) -> object:
    """What the table calls this response."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    if status in (302, 303) and row.method == "POST" and changed:
        return W
    if status in (301, 302, 303) and location.path == "/login":
        next_page = parse_qs(location.query).get("next")
        if next_page not in (None, [path]):
            # A form's POST address cannot be opened after signing in: the page holding
            # the form is where the member goes back to.
            back = urlsplit(next_page[0])
            assert row.method == "POST" and not back.netloc and back.path.startswith("/"), (
                path, response.headers["Location"])
        status = L
    return f"{status}, but it changed {', '.join(changed)}" if changed else status


def leaks(world: World, role: str, response) -> list[str]:
    """The secret words, and redirects to the hidden and held posts, `role` was shown."""
    body = response.get_data(as_text=True)
    if role in SECRET_READERS:
        return [word for word in UNREADABLE if word in body]
    found = [word for word in SECRETS if word in body]
    location = response.headers.get("Location", "")
    if urlsplit(location).path != "/login":  # ?next= names the page asked for
        for name in ("hidden", "held"):
            if re.search(rf"#p{world.ids[name]}\b|/p/{world.ids[name]}\b", location):
                found.append(f"a redirect to the {name} post: {location}")
    return found


@pytest.fixture(scope="module")
def built_world(app):
    with app.app_context():
        return World(app)


@pytest.fixture
def world(built_world):
    built_world.reset()
    return built_world


# -- the tests ---------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS, ids=str)
def test_authorization_table(world, row):
    answers, leaked = {}, {}
    for role in ROLES:
        response, changed = world.send(role, row)
        answers[role] = answer(row, world.fill(row.path), response, changed)
        if found := leaks(world, role, response):
            leaked[role] = found
    expected = dict(zip(ROLES, row.expected, strict=True))
    wrong = [f"{role}: expected {expected[role]}, got {answers[role]}"
             for role in ROLES if answers[role] != expected[role]]
    assert not wrong, "\n".join([str(row), *wrong])
    assert not leaked, "\n".join([f"{row} showed", *(f"{r}: {w}" for r, w in leaked.items())])


class _AnyId(dict):
    def __missing__(self, key):
        return 1


def _rule_of(app, row):
    path = urlsplit(row.path.format_map(_AnyId())).path
    rule, _ = app.url_map.bind("localhost").match(path, row.method, return_rule=True)
    return rule.rule


def test_every_route_has_a_row(app):
    covered = {(row.method, _rule_of(app, row)) for row in ROWS}
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(routes - covered) == [], "routes without a row in ROWS"
    assert len({str(row) for row in ROWS}) == len(ROWS), "a row is listed twice"
    assert all(len(row.expected) == len(ROLES) for row in ROWS)


def test_every_post_refuses_a_missing_csrf_token(world):
    """For every POST route and every role: 400, and nothing changed."""
    first_rows = {}
    for row in ROWS:
        # The one-click unsubscribe is posted by mail clients without a token (RFC 8058):
        # its signed link is the authentication (tests/test_unsubscribe.py).
        if row.method == "POST" and not row.path.startswith("/unsubscribe/"):
            first_rows.setdefault(_rule_of(world.app, row), row)
    wrong = {}
    for row in first_rows.values():
        for role in ROLES:
            response, changed = world.send(role, row, with_token=False)
            got = answer(row, world.fill(row.path), response, changed)
            if got != 400:
                wrong[f"{role} {row}"] = got
    assert not wrong, "\n".join(f"{case}: {got}" for case, got in wrong.items())
    assert len(first_rows) > 40


STAFF_ONLY = {row for row in ROWS
              for answer_ in (200, W) if row.expected in (moderators(answer_), admins(answer_))}


def test_suspended_staff_still_read_but_no_longer_moderate(world):
    """An admin can suspend a moderator, or ban another admin: like any member, they
    then read (hidden posts included) but do nothing that changes the forum, and that
    includes the moderation queue and the admin pages."""
    db.session.execute(update(User).where(User.username == "mod_jo").values(
        suspended_until=utcnow() + timedelta(days=3), suspension_reason="Under review."))
    db.session.execute(update(User).where(User.username == "admin_lee").values(
        banned_at=utcnow(), suspension_reason="Account compromised."))
    world.commit()
    reading = [Row("GET", "/t/{hidden_thread}", ()), Row("GET", "/p/{hidden}/history", ())]
    wrong = {}
    for row in sorted(STAFF_ONLY, key=str) + reading:
        for role in ("moderator", "admin"):
            response, changed = world.send(role, row)
            got = answer(row, world.fill(row.path), response, changed)
            if got != (200 if row in reading else 403):
                wrong[f"{role} {row}"] = got
    assert not wrong, "\n".join(f"{case}: {got}" for case, got in wrong.items())
    assert len(STAFF_ONLY) > 30
