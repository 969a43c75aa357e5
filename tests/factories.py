"""Object builders for tests. They go through the services, as the app does."""

import re
from datetime import timedelta

from sqlalchemy import select

from forum.domain.accounts import create_user
from forum.domain.posts import add_reply
from forum.domain.threads import Citation, publish_article, start_discussion
from forum.extensions import db
from forum.models import Category, OutboxMessage, utcnow

PASSWORD = "correct horse battery"


def make_user(username, role="member", **profile):
    return create_user(
        username, f"{username}@example.org", PASSWORD, role,
        established=True, confirmed=True, **profile,
    )


def mailed_link(recipient, index=-1):
    """The path of the first link in a message to `recipient` (the newest by default),
    read from the outbox as a person reads their mail."""
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)).all()
    assert messages, f"no mail to {recipient}"
    return re.search(r"https?://[^/\s]+(/\S+)", messages[index].body).group(1)


def make_category(slug="living-with-ms", name="Living with MS"):
    category = Category(slug=slug, name=name, description=f"About {name.lower()}.")
    db.session.add(category)
    db.session.commit()
    return category


def make_discussion(author, category, title="Tips for fatigue on bad days", body="What helps you?",
                    tags=(), replies=0, repliers=(), minutes_ago=60):
    start = utcnow() - timedelta(minutes=minutes_ago)
    thread = start_discussion(author, category, title, body, list(tags), at=start)
    for n in range(replies):
        replier = repliers[n % len(repliers)] if repliers else author
        add_reply(thread, replier, f"Reply number {n + 1}", at=start + timedelta(seconds=n + 1))
    return thread


def make_article(author, category, title="The gut microbiome and MS", **fields):
    return publish_article(
        author, category, title,
        summary=fields.get("summary", "What the research does and does not show."),
        body=fields.get("body", "## Background\n\nAssociation is not causation."),
        tags=fields.get("tags", ["researchspeak", "microbiome"]),
        references=fields.get("references", [
            Citation("Glenn JD, Mowry EM. J Interferon Cytokine Res. 2016.",
                     doi="10.1089/jir.2015.0177", pmid="27145057"),
        ]),
        disclosure=fields.get("disclosure", "No conflicts to declare."),
        at=utcnow() - timedelta(days=1),
    )
