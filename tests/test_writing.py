"""Writing through the forms: discussions, articles, replies, quotes, edits, deletion."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum.domain.moderation import lock_thread
from forum.domain.threads import WritingError, parse_references
from forum.extensions import db
from forum.models import Post, PostRevision, Thread, utcnow
from tests.conftest import Browser
from tests.factories import make_category, make_discussion


@pytest.fixture
def category(app):
    return make_category()


def count(model):
    return db.session.scalar(select(func.count(model.id)))


def body_of(response):
    return response.get_data(as_text=True)


def thread_id(response):
    return int(re.search(r"/t/(\d+)", response.headers["Location"]).group(1))


def test_start_a_discussion(member_browser, category):
    response = member_browser.submit("/c/living-with-ms/new", {
        "title": "Cold hands in the #Winter", "body": "Does anyone else get **numb** fingers?",
        "tags": "circulation, Symptoms"})
    assert response.status_code == 302
    page = body_of(member_browser.get(response.headers["Location"]))
    assert "Cold hands in the #Winter" in page and "<strong>numb</strong>" in page
    for tag in ("circulation", "symptoms", "winter"):
        assert f'href="/tag/{tag}"' in page
    assert "Cold hands" in body_of(member_browser.get("/"))  # active discussions
    assert "Cold hands" in body_of(member_browser.get("/tag/winter"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "Hi"}, "5 to 150 characters"),
        ({"title": "x" * 151}, "5 to 150 characters"),
        ({"body": ""}, "Please write something"),
        ({"body": "x" * 50_001}, "1 to 50,000 characters"),
        ({"tags": "one two three four five six"}, "at most 5 tags"),
        ({"tags": "<script>"}, "cannot be a tag"),
    ],
)
def test_a_refused_discussion_keeps_the_text_and_says_what_to_fix(member_browser, category,
                                                                 fields, message):
    data = {"title": "A perfectly fine title", "body": "My carefully written words & more",
            "tags": "", **fields}
    response = member_browser.submit("/c/living-with-ms/new", data)
    page = body_of(response)
    assert response.status_code == 200
    assert message in page
    if fields.get("body", "x") and len(data["body"]) < 1000:
        assert "My carefully written words &amp; more" in page
    assert count(Thread) == 0


def test_the_same_form_sent_twice_makes_one_thread(member_browser, category):
    page = body_of(member_browser.get("/c/living-with-ms/new"))
    token = re.search(r'name="submission" type="hidden" value="([^"]+)"', page).group(1)
    data = {"title": "Sent twice by a shaky hand", "body": "Hello", "submission": token}
    first = member_browser.submit("/c/living-with-ms/new", data)
    second = member_browser.submit("/c/living-with-ms/new", data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Thread) == 1 and count(Post) == 1


def test_preview_shows_the_rendered_body_and_saves_nothing(member_browser, category):
    response = member_browser.submit("/c/living-with-ms/new", {
        "title": "Previewing my first post", "body": "Some _emphasis_ here", "preview": "Preview"})
    page = body_of(response)
    assert response.status_code == 200
    assert "<em>emphasis</em>" in page and "Some _emphasis_ here" in page
    assert count(Thread) == 0


def test_anonymous_writers_are_sent_to_sign_in(client, category):
    response = client.get("/c/living-with-ms/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/c/living-with-ms/new")


def test_an_article_with_references_and_a_prefilled_disclosure(app, category):
    from tests.factories import make_user

    make_category("research-news", "Research news")
    make_user("prof_x", role="expert", conflicts="Advisory fees from two companies.")
    expert = Browser(app.test_client())
    expert.login("prof_x")
    form = body_of(expert.get("/articles/new"))
    assert "Advisory fees from two companies." in form

    response = expert.submit("/articles/new", {
        "title": "Vitamin D and relapses: what we know",
        "summary": "A short tour of the trials so far.",
        "body": "# Background\n\nTrials disagree.",
        "tags": "researchspeak",
        "references": "Smith J et al. Some trial. Neurology 2020. doi:10.1212/WNL.0000000000001\n"
                      "Jones K. Another study. PMID: 12345678",
        "disclosure": "Advisory fees from two companies; none related to vitamin D."})
    assert response.status_code == 302
    page = body_of(expert.get(response.headers["Location"]))
    assert 'href="https://doi.org/10.1212/WNL.0000000000001"' in page
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/"' in page
    assert "none related to vitamin D" in page and "About the author" in page
    assert "/c/research-news" in page


def test_a_reference_without_doi_or_pmid_is_refused_with_its_line(app, category):
    from tests.factories import make_user

    make_user("prof_x", role="expert")
    expert = Browser(app.test_client())
    expert.login("prof_x")
    response = expert.submit("/articles/new", {
        "title": "A title for the article", "summary": "A summary that is long enough.",
        "body": "Body", "references": "Good one doi:10.1000/xyz\nJust some words"})
    assert "Reference 2 has neither a DOI" in body_of(response)
    assert "Just some words" in body_of(response)
    assert count(Thread) == 0


def test_members_cannot_publish_articles(member_browser):
    assert member_browser.get("/articles/new").status_code == 403
    assert member_browser.submit("/", {"title": "Sneaky article", "summary": "x" * 20,
                                       "body": "b"}, action="/articles/new").status_code == 403


def test_reply_quote_and_the_newest_post_link(member_browser, member, other_member, category):
    thread = make_discussion(other_member, category, title="Heat and fatigue", body="It's hot.")
    url = f"/t/{thread.id}/{thread.slug}"
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))

    quoted = body_of(member_browser.get(f"{url}?quote={opening.id}"))
    assert "&gt; It&#39;s hot." in quoted and "@sam" in quoted

    response = member_browser.submit(url, {"body": "> It's hot.\n\nSame here!"},
                                     action=f"/t/{thread.id}/reply")
    assert response.status_code == 302 and "#p" in response.headers["Location"]
    page = body_of(member_browser.get(response.headers["Location"]))
    assert "<blockquote>" in page and "Same here!" in page
    db.session.refresh(thread)
    assert thread.reply_count == 1


def test_an_empty_reply_comes_back_with_a_message(member_browser, other_member, category):
    thread = make_discussion(other_member, category)
    response = member_browser.submit(f"/t/{thread.id}", {"body": "   "},
                                     action=f"/t/{thread.id}/reply")
    assert response.status_code == 200
    assert "Please write something before sending." in body_of(response)
    assert count(Post) == 1


def test_a_locked_thread_refuses_replies_but_not_moderators(member_browser, moderator_browser,
                                                            member, moderator, category):
    thread = make_discussion(member, category)
    lock_thread(thread, moderator, "Cooling off")
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    assert f'action="/t/{thread.id}/reply"' not in page and "replies are closed" in page
    refused = member_browser.submit("/", {"body": "Let me in"}, action=f"/t/{thread.id}/reply")
    assert refused.status_code == 403 and "This thread is locked." in body_of(refused)
    note = moderator_browser.submit(f"/t/{thread.id}", {"body": "Closing note from the mods."},
                                    action=f"/t/{thread.id}/reply")
    assert note.status_code == 302
    assert count(Post) == 2


def test_editing_keeps_history_for_the_author_and_moderators(app, member_browser, member,
                                                             other_member, moderator, category):
    thread = make_discussion(member, category, replies=1, repliers=[member])
    reply = db.session.scalar(select(Post).where(Post.is_opening.is_(False)))
    for text in ("First correction", "Second correction"):
        assert member_browser.submit(f"/p/{reply.id}/edit", {"body": text}).status_code == 302
        # Edits within a few minutes are one revision (test_limits_and_markup.py); these
        # two are an hour apart.
        db.session.execute(update(PostRevision).values(created_at=utcnow() - timedelta(hours=1)))

    page = body_of(member_browser.get(f"/t/{thread.id}"))
    assert "Second correction" in page and "edited" in page
    history = body_of(member_browser.get(f"/p/{reply.id}/history"))
    assert history.index("Second correction") < history.index("First correction")
    assert "Reply number 1" in history
    assert count(PostRevision) == 2

    stranger = Browser(app.test_client())
    stranger.login(other_member.username)
    assert stranger.get(f"/p/{reply.id}/history").status_code == 403
    assert stranger.get(f"/p/{reply.id}/edit").status_code == 403
    mod = Browser(app.test_client())
    mod.login(moderator.username)
    assert mod.get(f"/p/{reply.id}/history").status_code == 200


def test_authors_edit_their_threads_title_and_tags(member_browser, member, category):
    thread = make_discussion(member, category, title="Old title here", tags=["old"])
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    response = member_browser.submit(f"/p/{opening.id}/edit", {
        "title": "A better title", "tags": "new, fresh", "body": "Rewritten opening"})
    assert response.status_code == 302
    page = body_of(member_browser.get(f"/t/{thread.id}", follow_redirects=True))
    assert "A better title" in page and 'href="/tag/fresh"' in page
    assert 'href="/tag/old"' not in page and "Rewritten opening" in page


def test_delete_is_soft_and_keeps_counts_and_activity_right(member_browser, member,
                                                            other_member, moderator, category):
    thread = make_discussion(other_member, category, replies=2, repliers=[member, other_member])
    mine = db.session.scalar(select(Post).where(Post.author_id == member.id))
    before = thread.last_activity_at

    assert member_browser.submit(f"/t/{thread.id}", {},
                                 action=f"/p/{mine.id}/delete").status_code == 302
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    assert "Deleted by the author." in page and "Reply number 1" not in page
    db.session.refresh(thread)
    assert thread.reply_count == 1 and thread.last_activity_at == before

    latest = db.session.scalar(select(Post).where(Post.body_source == "Reply number 2"))
    from forum.domain.posts import delete_post

    delete_post(latest, moderator)
    db.session.refresh(thread)
    assert thread.reply_count == 0 and thread.last_activity_at < before
    assert "Removed by a moderator." in body_of(member_browser.get(f"/t/{thread.id}"))
    assert "Reply number 2" not in body_of(member_browser.get("/"))  # recent comments


def test_others_cannot_delete_or_edit(member_browser, other_member, category):
    thread = make_discussion(other_member, category)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert member_browser.submit("/", {}, action=f"/p/{opening.id}/delete").status_code == 403
    assert member_browser.submit("/", {"body": "mine now"},
                                 action=f"/p/{opening.id}/edit").status_code == 403
    assert member_browser.get("/p/999999/edit").status_code == 404


def test_deleting_the_only_post_removes_the_thread(member_browser, member, category):
    thread = make_discussion(member, category, title="Posted by mistake")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    response = member_browser.submit("/", {}, action=f"/p/{opening.id}/delete")
    assert response.headers["Location"] == "/c/living-with-ms"
    assert member_browser.get(f"/t/{thread.id}").status_code == 404
    assert "Posted by mistake" not in body_of(member_browser.get("/c/living-with-ms"))


def test_hostile_bodies_are_inert_from_form_to_page(member_browser, category):
    from tests.test_text import HOSTILE, assert_safe

    for n, source in enumerate(HOSTILE):
        response = member_browser.submit("/c/living-with-ms/new", {
            "title": f"Hostile input number {n}", "body": source})
        assert response.status_code == 302, source
        page = body_of(member_browser.get(response.headers["Location"]))
        body = page.split('class="prose">', 1)[1].split("</div>", 1)[0]
        assert_safe(body)
        assert "<script" not in page.split("</footer>")[0].split("<main")[1]


def test_newest_post_link_lands_on_the_last_page(app, client, member, category):
    thread = make_discussion(member, category, replies=12)
    response = client.get(f"/t/{thread.id}/latest")
    newest = db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"?page=3#p{newest.id}")
    assert f'id="p{newest.id}"' in body_of(client.get(response.headers["Location"]))


def test_an_expired_form_gives_the_text_back_to_send_again(member_browser, category):
    data = {"title": "Written over a long afternoon", "body": "Line one\n\nLine <two> & three",
            "submission": "tok-123", "csrf_token": "expired-or-forged"}
    same_site = {"Sec-Fetch-Site": "same-origin"}
    refused = member_browser.client.post("/c/living-with-ms/new", data=data, headers=same_site)
    page = body_of(refused)
    assert refused.status_code == 400
    assert "your text is safe" in page
    assert "Line one\n\nLine &lt;two&gt; &amp; three" in page
    assert 'value="Written over a long afternoon"' in page and 'value="tok-123"' in page
    assert count(Thread) == 0

    # Sent from another site, the same post is only refused: a ready-to-send form with a
    # fresh token would turn a forged request into one click.
    forged = member_browser.client.post("/c/living-with-ms/new", data=data,
                                        headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 400 and "Send again" not in body_of(forged)
    no_headers = member_browser.client.post("/c/living-with-ms/new", data=data)
    assert no_headers.status_code == 400 and "Send again" not in body_of(no_headers)

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resent = member_browser.client.post("/c/living-with-ms/new",
                                        data={**data, "csrf_token": token})
    assert resent.status_code == 302 and count(Thread) == 1


def test_the_same_form_sent_twice_at_once_still_makes_one_reply(app, member, other_member,
                                                                category):
    """Two sends racing each other (two workers): the unique token decides."""
    from concurrent.futures import ThreadPoolExecutor

    thread = make_discussion(other_member, category)
    browsers = [Browser(app.test_client()) for _ in range(4)]
    for browser in browsers:
        browser.login(member.username)
    pages = [body_of(b.get(f"/t/{thread.id}")) for b in browsers]
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', p) or
              re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', p) for p in pages]
    data = {"body": "Sent by a double tap", "submission": "same-token-for-all"}
    url = f"/t/{thread.id}/reply"  # read here: the test's own session stays on this thread

    def send(n):
        with app.app_context():
            return browsers[n].client.post(url,
                                           data={**data, "csrf_token": tokens[n].group(1)})

    with ThreadPoolExecutor(4) as pool:
        statuses = [r.status_code for r in pool.map(send, range(4))]
    assert statuses == [302] * 4
    db.session.commit()  # end this test's own read snapshot, taken before the sends
    assert db.session.scalar(select(func.count(Post.id)).where(
        Post.body_source == "Sent by a double tap")) == 1
    db.session.refresh(thread)
    assert thread.reply_count == 1


def test_the_edit_form_shows_the_threads_tags_and_references_as_text(app, category):
    from tests.factories import make_article, make_user

    author = make_user("prof_x", role="expert")
    article = make_article(author, category, tags=["diet", "researchspeak"])
    opening = db.session.scalar(select(Post).where(Post.thread_id == article.id))
    browser = Browser(app.test_client())
    browser.login("prof_x")
    form = body_of(browser.get(f"/p/{opening.id}/edit"))
    assert 'value="diet researchspeak"' in form and "Tag" not in form.split("<main")[1][:0]
    assert "doi:" in form or "10.1089/jir.2015.0177" in form
    missing = browser.submit(f"/p/{opening.id}/edit", {"title": "Still a fine title",
                                                       "body": "New body", "summary": "x" * 20})
    assert missing.status_code == 302  # fields left out of the post do not break the edit


def test_references_take_only_ascii_digits_as_ids():
    assert parse_references("Smith J. Brain. 2020. PMID: 12345")[0].pmid == "12345"
    with pytest.raises(WritingError):
        parse_references("Smith J. Brain. 2020. PMID: ١٢٣٤٥")
    with pytest.raises(WritingError):
        parse_references("Smith J. doi:10.١٢٣٤/abc")
