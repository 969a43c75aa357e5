"""Synthetic load data for benchmarks: `flask --app forum seed bulk --threads N --posts M`.

Everything goes through the services the app itself uses (accounts, threads,
posts), so counters, rendered HTML and the search index are what real use
would leave behind. The text is invented filler in the forum's vocabulary,
made from a fixed random seed so two loads of the same size hold the same words.

The accounts share one public password (BULK_PASSWORD): like the demo, bulk
data never belongs in a forum real people use (`FORUM_ENV=production` refuses it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from .domain.accounts import create_user, find_by_username
from .domain.posts import add_reply
from .domain.threads import Citation, publish_article, start_discussion
from .extensions import db
from .models import AccountRole, Category, Thread, User, utcnow

BULK_PASSWORD = "bulk-load-password"  # noqa: S105 (public, like the demo's: bench/README.md)
MEMBERS = 20
EXPERT = "bulk_expert"
# Every ARTICLE_EVERY-th thread is an expert's article, so the front page and the
# feed have articles to show; the others are discussions.
ARTICLE_EVERY = 10

# (slug, name); articles go to the first.
CATEGORIES = (
    ("bulk-research", "Bulk: research"),
    ("bulk-living", "Bulk: living with MS"),
    ("bulk-treatments", "Bulk: treatments"),
)
TAGS = ("fatigue", "heat", "sleep", "walking", "work", "diet", "mri", "relapse")
TOPICS = (
    "fatigue in the afternoon", "cooling vests in summer", "sleep and night cramps",
    "walking aids", "telling my employer", "eating well on tired days", "my first MRI",
    "a relapse or a bad week", "physio exercises", "brain fog at work",
)
WORDS = (
    "fatigue", "relapse", "neurologist", "nurse", "lesion", "myelin", "walking", "balance",
    "heat", "sleep", "bladder", "vision", "numbness", "tingling", "physio", "cooling",
    "clinic", "appointment", "treatment", "infusion", "injection", "steroids", "scan",
    "energy", "pacing", "rest", "family", "partner", "work", "garden", "tea", "morning",
    "evening", "stairs", "stick", "scooter", "diary", "symptom", "spasticity", "cramp",
)
PHRASES = (
    "What helped me was {a} and a lot of {b}.",
    "My {a} has been worse since the {b} last month.",
    "I asked my nurse about {a}; she suggested keeping a {b} diary.",
    "Does anyone else find that {a} makes the {b} harder?",
    "Thank you for sharing. The {a} part sounds very familiar, and so does the {b}.",
    "Small things add up: {a} before noon, {b} after lunch.",
)


@dataclass
class BulkResult:
    threads: int
    posts: int


def _sentence(rng: random.Random) -> str:
    return rng.choice(PHRASES).format(a=rng.choice(WORDS), b=rng.choice(WORDS))


def _body(rng: random.Random) -> str:
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
                  for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        paragraphs.append("\n".join(f"- **{rng.choice(WORDS)}**: {_sentence(rng)}"
                                    for _ in range(3)))
    return "\n\n".join(paragraphs)


def _account(username: str, role: str) -> User:
    existing = find_by_username(username)
    if existing is not None:
        return existing
    return create_user(username, f"{username}@example.org", BULK_PASSWORD, role,
                       established=True, confirmed=True)


def _category(slug: str, name: str, position: int) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(slug=slug, name=name, position=100 + position,
                            description="Synthetic threads for benchmarks.")
        db.session.add(category)
        db.session.commit()
    return category


def load(threads: int, posts: int, progress: Callable[[int], None] = lambda n: None,
         seed: int = 1) -> BulkResult:
    """Add `threads` threads of `posts` posts each (the opening post included).

    Reuses the bulk accounts and categories a previous load made, so loads add up:
    one call for many short threads, another for one long thread. `progress` is
    called with the number of posts written since its last call.
    """
    members = [_account(f"bulk_member_{n:02d}", AccountRole.MEMBER) for n in range(1, MEMBERS + 1)]
    expert = _account(EXPERT, AccountRole.EXPERT)
    categories = [_category(slug, name, n) for n, (slug, name) in enumerate(CATEGORIES)]
    done = db.session.scalar(select(func.count(Thread.id)).where(
        Thread.category_id.in_([c.id for c in categories])))
    rng = random.Random(seed + done)  # noqa: S311 (filler text, not secrets)
    # Oldest first, a minute between posts, ending now: the newest thread is the most active.
    at = utcnow() - timedelta(minutes=threads * posts)
    for n in range(done + 1, done + threads + 1):
        title = f"Bulk thread {n}: {rng.choice(TOPICS)}"
        tags = rng.sample(TAGS, rng.randint(1, 2))
        if n % ARTICLE_EVERY == 0:
            thread = publish_article(
                expert, categories[0], title, summary=_sentence(rng), body=_body(rng),
                tags=tags, disclosure="No conflicts to declare (synthetic article).",
                references=[Citation(f"Synthetic reference {n}. J Bench. 2024.",
                                     doi=f"10.5555/bench.{n}")],
                at=at,
            )
        else:
            category = categories[1 + n % (len(categories) - 1)]
            thread = start_discussion(rng.choice(members), category, title, _body(rng), tags,
                                      at=at)
        progress(1)
        for _ in range(posts - 1):
            at += timedelta(minutes=1)
            add_reply(thread, rng.choice(members), _body(rng), at=at)
            progress(1)
        at += timedelta(minutes=1)
    return BulkResult(threads=threads, posts=threads * posts)
