"""Helpful and answered, through HTTP: "This helped me" on others' posts (once each,
taken back by pressing again), its count and, for the author, who; the answer a
discussion's starter or a moderator marks, and the lists filtered by it."""

import re

import pytest
from sqlalchemy import func, select

from forum.domain import labels
from forum.domain.moderation import hide_post, restore_post
from forum.extensions import db
from forum.models import EvidenceLabel, HelpfulMark, ModerationEvent, Post, Thread
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user
from tests.test_reading import _queries_for


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(member, other_member, category):
    """maria's question, with two replies by sam."""
    return make_discussion(member, category, title="Does cooling help with heat fatigue?",
                           replies=2, repliers=[other_member])


def replies_of(thread):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False))
                              .order_by(Post.id)).all()


def opening_of(thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                Post.is_opening.is_(True)))


def press(browser, thread, action):
    """Press a button on the thread page, with the page's CSRF token."""
    return browser.submit(f"/t/{thread.id}", {}, action=action)


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def marks(post):
    db.session.expire_all()
    return db.session.scalar(select(func.count(HelpfulMark.id))
                             .where(HelpfulMark.post_id == post.id))


# -- "This helped me" --------------------------------------------------------------

def test_helped_then_taken_back(member_browser, thread):
    reply = replies_of(thread)[0]
    page = text_of(member_browser.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/helpful"' in page and "This helped me" in page

    response = press(member_browser, thread, f"/p/{reply.id}/helpful")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#p{reply.id}")
    assert marks(reply) == 1
    page = text_of(member_browser.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/helpful/undo"' in page
    assert "Helped 1 person" in page

    press(member_browser, thread, f"/p/{reply.id}/helpful/undo")
    assert marks(reply) == 0
    page = text_of(member_browser.get(f"/t/{thread.id}"))
    assert "Helped 1 person" not in page and f'action="/p/{reply.id}/helpful"' in page


def test_a_double_submit_counts_once_and_never_errors(member_browser, thread):
    reply = replies_of(thread)[0]
    token = csrf_token(text_of(member_browser.get(f"/t/{thread.id}")))
    for _ in range(2):
        response = member_browser.client.post(f"/p/{reply.id}/helpful",
                                              data={"csrf_token": token})
        assert response.status_code == 302
    assert marks(reply) == 1
    for _ in range(2):
        assert member_browser.client.post(f"/p/{reply.id}/helpful/undo",
                                          data={"csrf_token": token}).status_code == 302
    assert marks(reply) == 0


def test_own_post_refused_and_no_button(app, other_member, thread):
    sam = signed_in(app, other_member)
    reply = replies_of(thread)[0]
    page = text_of(sam.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/helpful"' not in page
    assert press(sam, thread, f"/p/{reply.id}/helpful").status_code == 403
    assert marks(reply) == 0


def test_signed_out_sees_the_count_but_no_button_and_is_sent_to_sign_in(client, app, thread,
                                                                         member):
    reply = replies_of(thread)[0]
    press(signed_in(app, member), thread, f"/p/{reply.id}/helpful")
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "Helped 1 person" in page and "This helped me" not in page
    # No CSRF token to be had signed out: the POST is refused before anything is written.
    assert client.post(f"/p/{reply.id}/helpful").status_code in (400, 401, 302)
    assert marks(reply) == 1


def test_without_csrf_token_refused(member_browser, thread):
    reply = replies_of(thread)[0]
    assert member_browser.client.post(f"/p/{reply.id}/helpful").status_code == 400
    assert marks(reply) == 0


def test_counts_and_the_author_sees_who(app, member, other_member, thread):
    reply = replies_of(thread)[0]
    readers = [make_user(name) for name in ("ana_r", "ben_r", "cai_r")]
    for reader in readers:
        press(signed_in(app, reader), thread, f"/p/{reply.id}/helpful")

    as_sam = text_of(signed_in(app, other_member).get(f"/t/{thread.id}"))  # the author
    as_maria = text_of(signed_in(app, member).get(f"/t/{thread.id}"))

    assert "Helped 3 people" in as_sam and "Helped 3 people" in as_maria
    helped_by = re.search(r'<details class="helped">(.*?)</details>', as_sam, re.S).group(1)
    assert all(f"/u/{reader.username}" in helped_by for reader in readers)
    assert '<details class="helped">' not in as_maria
    assert "/u/ana_r" not in as_maria


def test_a_hidden_post_cannot_be_marked(app, member, moderator, thread):
    reply = replies_of(thread)[0]
    hide_post(reply, moderator, "Off topic.")
    assert press(signed_in(app, member), thread, f"/p/{reply.id}/helpful").status_code == 404
    assert press(signed_in(app, moderator), thread,
                 f"/p/{reply.id}/helpful").status_code == 403
    assert marks(reply) == 0


# -- the answer ----------------------------------------------------------------------

def test_the_starter_marks_the_answer_and_it_is_linked(app, client, member, other_member,
                                                       thread):
    first, second = replies_of(thread)
    maria = signed_in(app, member)
    page = text_of(maria.get(f"/t/{thread.id}"))
    assert f'action="/p/{first.id}/answer"' in page and "Mark as the answer" in page

    assert press(maria, thread, f"/p/{first.id}/answer").status_code == 302

    page = text_of(client.get(f"/t/{thread.id}"))
    assert re.search(rf'Answer: <a href="[^"]*#p{first.id}">sam’s reply</a>', page)
    assert "Marked as the answer" in page
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).answered_at is not None
    # The starter's own choice is not moderation: nothing in the log.
    assert db.session.scalar(select(func.count(ModerationEvent.id))) == 0

    press(maria, thread, f"/p/{second.id}/answer")  # another one replaces it
    db.session.expire_all()
    answered = db.session.scalars(select(Post.id).where(Post.answered_at.is_not(None))).all()
    assert answered == [second.id]
    assert f"#p{second.id}\">sam’s reply" in text_of(client.get(f"/t/{thread.id}"))

    assert press(maria, thread, f"/t/{thread.id}/answer/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).answered_at is None
    assert "Marked as the answer" not in text_of(client.get(f"/t/{thread.id}"))


def test_a_moderator_marks_the_answer_and_it_is_logged(moderator_browser, thread):
    reply = replies_of(thread)[0]
    assert press(moderator_browser, thread, f"/p/{reply.id}/answer").status_code == 302
    press(moderator_browser, thread, f"/t/{thread.id}/answer/remove")
    db.session.expire_all()
    actions = db.session.scalars(select(ModerationEvent.action)
                                 .order_by(ModerationEvent.id)).all()
    assert actions == ["answer: mark", "answer: unmark"]
    log = text_of(moderator_browser.get("/mod/log"))
    assert "answer: mark" in log


def test_others_may_not_mark_the_answer(app, other_member, expert, thread):
    reply = replies_of(thread)[1]
    for user in (other_member, expert):
        browser = signed_in(app, user)
        assert f'action="/p/{reply.id}/answer"' not in text_of(browser.get(f"/t/{thread.id}"))
        assert press(browser, thread, f"/p/{reply.id}/answer").status_code == 403
        assert press(browser, thread, f"/t/{thread.id}/answer/remove").status_code == 403
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).answered_at is None


def test_the_opening_post_cannot_be_the_answer(member_browser, thread):
    opening = opening_of(thread)
    response = press(member_browser, thread, f"/p/{opening.id}/answer")
    assert response.status_code == 403
    assert "opening post cannot be" in text_of(response)


def test_a_reply_with_a_caution_label_cannot_be_the_answer(app, member, moderator, thread):
    reply = replies_of(thread)[0]
    unproven = EvidenceLabel(name="Unproven", tone="caution", description="Not shown to work.")
    db.session.add(unproven)
    db.session.commit()
    labels.set_label(reply, moderator, unproven, "No trial evidence.")

    maria = signed_in(app, member)
    page = text_of(maria.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/answer"' not in page
    assert "labelled “Unproven”" in page  # the starter is told why, beside the reply
    response = press(maria, thread, f"/p/{reply.id}/answer")
    assert response.status_code == 403 and "unproven or misleading" in text_of(response)


def test_a_caution_label_on_the_answer_takes_it_back(app, member, moderator, thread):
    reply = replies_of(thread)[0]
    press(signed_in(app, member), thread, f"/p/{reply.id}/answer")
    misleading = EvidenceLabel(name="Misleading", tone="caution")
    db.session.add(misleading)
    db.session.commit()
    labels.set_label(db.session.get(Post, reply.id), moderator, misleading, "")
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).answered_at is None


def test_a_hidden_reply_cannot_be_the_answer_and_a_hidden_answer_stops_counting(
        app, client, member, moderator, thread, category):
    first, second = replies_of(thread)
    hide_post(first, moderator, "Off topic.")
    assert press(signed_in(app, member), thread, f"/p/{first.id}/answer").status_code == 404
    mod = signed_in(app, moderator)
    assert press(mod, thread, f"/p/{first.id}/answer").status_code == 403

    press(signed_in(app, member), thread, f"/p/{second.id}/answer")
    hide_post(db.session.get(Post, second.id), moderator, "Spam.")
    page = text_of(client.get(f"/t/{thread.id}"))
    assert "Answer:" not in page
    assert thread.title not in text_of(client.get(f"/c/{category.slug}?answered=yes"))

    restore_post(db.session.get(Post, second.id), moderator)  # restored: it counts again
    assert f'#p{second.id}">sam’s reply' in text_of(client.get(f"/t/{thread.id}"))
    assert thread.title in text_of(client.get(f"/c/{category.slug}?answered=yes"))


# -- lists ---------------------------------------------------------------------------

def test_category_filters_answered_and_unanswered(app, client, member, other_member,
                                                  category):
    answered = make_discussion(member, category, title="Answered: cooling vests",
                               replies=1, repliers=[other_member])
    make_discussion(member, category, title="Still open: night cramps", replies=1,
                    repliers=[other_member])
    press(signed_in(app, member), answered, f"/p/{replies_of(answered)[0].id}/answer")

    everything = text_of(client.get(f"/c/{category.slug}"))
    yes = text_of(client.get(f"/c/{category.slug}?answered=yes"))
    no = text_of(client.get(f"/c/{category.slug}?answered=no"))

    assert "cooling vests" in everything and "night cramps" in everything
    assert "cooling vests" in yes and "night cramps" not in yes
    assert "night cramps" in no and "cooling vests" not in no
    assert 'class="tag-flag flag-answered"' in everything
    assert '<option value="yes" selected>' in yes
    assert client.get(f"/c/{category.slug}?answered=maybe").status_code == 200


def test_the_filter_is_kept_by_the_page_links(app, client, member, category):
    app.config["THREADS_PER_PAGE"] = 2
    try:
        for n in range(3):
            make_discussion(member, category, title=f"Open question number {n}",
                            minutes_ago=n + 1)
        page = text_of(client.get(f"/c/{category.slug}?answered=no"))
        assert re.search(r'href="/c/living-with-ms\?[^"]*answered=no[^"]*page=2"', page) or \
            re.search(r'href="/c/living-with-ms\?[^"]*page=2[^"]*answered=no"', page)
    finally:
        app.config["THREADS_PER_PAGE"] = 25


# -- experts, Spanish, SQL -----------------------------------------------------------

def test_a_verified_experts_reply_is_marked(client, member, expert, category):
    thread = make_discussion(member, category, replies=1, repliers=[expert])
    page = text_of(client.get(f"/t/{thread.id}"))
    reply = re.search(r'<article class="post[^"]*" id="p\d+".*?</article>', page, re.S).group(0)
    assert "Verified expert" in reply


def test_spanish_wording(app, client, member, other_member, thread):
    reply = replies_of(thread)[0]
    for name in ("ana_r", "ben_r"):
        press(signed_in(app, make_user(name)), thread, f"/p/{reply.id}/helpful")
    press(signed_in(app, member), thread, f"/p/{reply.id}/answer")
    spanish = {"Accept-Language": "es"}

    page = text_of(client.get(f"/t/{thread.id}", headers=spanish))
    assert "Ha ayudado a 2 personas" in page
    assert "Respuesta aceptada:" in page and "Marcada como respuesta aceptada" in page
    category_page = text_of(client.get(f"/c/{thread.category.slug}", headers=spanish))
    assert "Con respuesta" in category_page

    press(signed_in(app, make_user("cai_r")), thread, f"/p/{reply.id}/helpful")
    page = text_of(client.get(f"/t/{thread.id}", headers=spanish))
    assert "Ha ayudado a 3 personas" in page
    browser = signed_in(app, make_user("dee_r"))
    page = text_of(browser.get(f"/t/{thread.id}", headers=spanish))
    assert "Me ha ayudado" in page


def test_thread_page_queries_do_not_grow_with_helpful_marks(app, member, other_member,
                                                            category):
    """Counts, "did I mark it" and the author's list of who: constant SQL on a page of 20."""
    from forum.domain import helpful
    from forum.domain.posts import add_reply

    app.config["POSTS_PER_PAGE"] = 20
    try:
        readers = [make_user(f"reader_{n}") for n in range(3)]
        small = make_discussion(other_member, category, title="A small helpful thread")
        big = make_discussion(other_member, category, title="A big helpful thread")
        for thread, count in ((small, 2), (big, 19)):
            for n in range(count):
                add_reply(thread, member if n % 2 else other_member, f"answer {n}")
            for post in db.session.scalars(select(Post).where(Post.thread_id == thread.id)):
                for reader in readers:
                    helpful.mark_helpful(post, reader)
                if post.author_id == other_member.id:
                    helpful.mark_helpful(post, member)
            helpful.mark_answer(replies_of(thread)[0], other_member)
        browser = signed_in(app, member)
        counts = {path: len(_queries_for(browser.client, path))
                  for path in (f"/t/{small.id}", f"/t/{big.id}")}
        assert len(set(counts.values())) == 1, counts
        assert "Helped 4 people" in text_of(browser.get(f"/t/{big.id}"))
    finally:
        app.config["POSTS_PER_PAGE"] = 5
