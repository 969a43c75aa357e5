"""A small demo community: categories, accounts, one expert article and some discussions.

Loaded by `flask --app forum seed demo`. The content lives in forum/data/demo.toml
(invented people, public passwords: never load it into a database that real people use);
this module turns it into rows through the same services the forum uses, in the file's
order. Times are relative to the moment of loading (threads oldest first), so the
"recent" panels on the front page look alive.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from .domain.accounts import create_user, find_by_username
from .domain.moderation import lock_thread, pin_thread
from .domain.posts import add_reply
from .domain.threads import Citation, publish_article, start_discussion
from .extensions import db
from .models import AccountRole, Category, MailKind, OutboxMessage, User, utcnow

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.toml"
DEMO = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))

# (username, role, password). Demo passwords, documented in the README: never reuse them.
DEMO_ACCOUNTS = [(account["username"], AccountRole(account["role"]), account["password"])
                 for account in DEMO["accounts"]]
DEMO_ADMIN = DEMO_ACCOUNTS[0][0]
MODERATOR = DEMO["moderator"]


def load_demo() -> bool:
    """Create the demo community; False, doing nothing, if it is already there."""
    if find_by_username(DEMO_ADMIN) is not None:
        return False
    now = utcnow()
    categories = _create_categories()
    users = _create_users(now)
    threads = sorted(DEMO["threads"], key=lambda spec: _ago(spec["ago"]), reverse=True)
    for spec in threads:
        _create_thread(spec, users, categories, now)
    _moderation_work(users)
    # The demo's conversations left notifications (the bell shows them), but they are
    # history, not news: no demo member is mailed about them once the forum runs.
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.kind == MailKind.NOTIFICATION.value))
    db.session.commit()
    return True


def _ago(when: dict) -> timedelta:
    """A time in the file, `{ days = .., hours = .. }` before loading."""
    return timedelta(**when)


def _email(username: str) -> str:
    return f"{username.replace('_', '.')}@example.org"


def _moderation_work(users: dict[str, User]) -> None:
    from .domain import labels, reports
    from .models import EvidenceLabel, Post, Thread

    def thread(title_start: str) -> Thread:
        return db.session.scalar(select(Thread).where(Thread.title.startswith(title_start)))

    def post(where: dict) -> Post:
        posts = select(Post).where(Post.thread_id == thread(where["thread"]).id)
        which = {"opening": posts.where(Post.is_opening.is_(True)),
                 "last": posts.order_by(Post.id.desc()).limit(1)}
        return db.session.scalar(which[where["post"]])

    work = DEMO["moderation"]
    for label in work["labels"]:
        found = db.session.scalar(select(EvidenceLabel).where(EvidenceLabel.name.startswith(
            label["label"])))
        if found is not None:  # the label list comes with the migrations
            labels.set_label(post(label), users[label["by"]], found, label["reason"])
    for flag in work["flags"]:
        reports.flag_post(post(flag), users[flag["by"]], flag["reason"], flag["note"])

    newcomer = work["newcomer"]
    user = create_user(newcomer["username"], _email(newcomer["username"]),
                       newcomer["password"], confirmed=True,
                       display_name=newcomer["display_name"])
    add_reply(thread(newcomer["thread"]), user, newcomer["reply"])


def _create_categories() -> dict[str, Category]:
    categories = {
        spec["slug"]: Category(**spec, position=position)
        for position, spec in enumerate(DEMO["categories"])
    }
    db.session.add_all(categories.values())
    db.session.commit()
    return categories


def _create_users(now: datetime) -> dict[str, User]:
    users = {}
    for account in DEMO["accounts"]:
        profile = dict(account)  # what is left after these is profile columns
        username, password = profile.pop("username"), profile.pop("password")
        role, joined = AccountRole(profile.pop("role")), now - _ago(profile.pop("joined"))
        user = create_user(
            username, _email(username), password, role,
            established=True, confirmed=True, **profile,
        )
        # Accounts look as if they joined before they posted, not at load time.
        user.created_at = user.confirmed_at = user.established_at = joined
        if user.verification is not None:
            user.verification.requested_at = user.verification.decided_at = joined
        users[username] = user
    db.session.commit()
    return users


def _create_thread(spec: dict, users: dict[str, User], categories: dict[str, Category],
                   now: datetime) -> None:
    author, category = users[spec["author"]], categories[spec["category"]]
    body, at = spec["body"].strip(), now - _ago(spec["ago"])
    if "summary" in spec:
        thread = publish_article(
            author, category, spec["title"], spec["summary"], body, spec["tags"],
            references=[Citation(**reference) for reference in spec["references"]],
            disclosure=spec["disclosure"], at=at,
        )
    else:
        thread = start_discussion(author, category, spec["title"], body, spec["tags"], at=at)
    if "pinned" in spec:
        pin_thread(thread, users[MODERATOR], at=now - _ago(spec["pinned"]))
    for reply in spec["replies"]:
        add_reply(thread, users[reply["author"]], reply["body"].strip(),
                  at=now - _ago(reply["ago"]))
    if "lock" in spec:
        lock = spec["lock"]
        lock_thread(thread, users[MODERATOR], lock["reason"], at=now - _ago(lock["ago"]))
