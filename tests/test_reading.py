"""The reading side: front page, categories, threads, articles, tags and profiles."""

import re

import pytest

from forum.domain.moderation import lock_thread, pin_thread
from tests.factories import make_article, make_category, make_discussion


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


def test_front_page_shows_articles_discussions_and_widgets(client, expert, member, category):
    research = make_category("research-news", "Research news")
    article = make_article(expert, research, tags=["researchspeak", "clinicspeak"])
    discussion = make_discussion(member, category, title="Heat and summer fatigue", replies=2)

    page = text_of(client.get("/"))

    assert article.title in page
    assert "What the research does and does not show." in page  # the summary
    assert 'href="/tag/researchspeak"' in page and 'href="/tag/clinicspeak"' in page
    assert "Verified expert" in page
    assert discussion.title in page
    assert "Recent posts" in page and "Recent comments" in page
    assert f'/t/{discussion.id}/{discussion.slug}#p' in page  # a recent comment links to its post
    assert "Reply number 2" in page


def test_empty_forum_front_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles yet." in text_of(response)


def test_category_lists_pinned_first_then_latest_activity(client, member, moderator, category):
    old = make_discussion(member, category, title="An older pinned welcome", minutes_ago=600)
    make_discussion(member, category, title="A quiet thread from before", minutes_ago=300)
    make_discussion(member, category, title="The newest conversation", minutes_ago=5)
    pin_thread(old, moderator)

    page = text_of(client.get(f"/c/{category.slug}"))

    titles = re.findall(r'<h2 class="thread-title">\s*<a [^>]*>([^<]+)</a>', page)
    assert titles == ["An older pinned welcome", "The newest conversation",
                      "A quiet thread from before"]
    assert "Pinned" in page


def test_category_paginates_and_refuses_pages_past_the_end(app, client, member, category):
    app.config["THREADS_PER_PAGE"] = 2
    try:
        for n in range(5):
            make_discussion(member, category, title=f"Discussion number {n}", minutes_ago=n + 1)
        first = text_of(client.get("/c/living-with-ms"))
        third = client.get("/c/living-with-ms?page=3")
        assert "Discussion number 0" in first and "Discussion number 4" not in first
        assert third.status_code == 200 and "Discussion number 4" in text_of(third)
        assert client.get("/c/living-with-ms?page=4").status_code == 404
        assert client.get("/c/living-with-ms?page=abc").status_code == 200
        assert client.get("/c/living-with-ms?page=-1").status_code == 200
    finally:
        app.config["THREADS_PER_PAGE"] = 25


def test_thread_page_shows_posts_in_order_with_anchors_and_pages(client, member, other_member,
                                                                  category):
    thread = make_discussion(member, category, replies=7, repliers=[other_member])
    url = f"/t/{thread.id}/{thread.slug}"

    first = text_of(client.get(url))
    second = text_of(client.get(url + "?page=2"))

    assert thread.title in first and "What helps you?" in first
    numbers = [int(n) for n in re.findall(r"Reply number (\d+)", first)]
    assert numbers == [1, 2, 3, 4]  # 5 per page in tests: the opening post and four replies
    assert re.findall(r"Reply number (\d+)", second) == ["5", "6", "7"]
    assert len(re.findall(r'id="p\d+"', first)) == 5
    assert 'aria-current="page"' in second
    assert client.get(url + "?page=3").status_code == 404


def test_thread_without_slug_and_with_a_wrong_slug(client, member, category):
    thread = make_discussion(member, category)
    assert client.get(f"/t/{thread.id}").status_code == 200
    moved = client.get(f"/t/{thread.id}/not-the-title?page=1")
    assert moved.status_code == 301
    assert moved.headers["Location"].startswith(f"/t/{thread.id}/{thread.slug}")


def test_article_shows_author_box_references_and_disclosure(client, app, category):
    from tests.factories import make_user

    author = make_user("prof_demo", role="expert", credentials="Consultant neurologist",
                       affiliation="A teaching hospital", bio="Runs an MS clinic.")
    article = make_article(author, category, disclosure="Speaker fees from two companies.")

    page = text_of(client.get(f"/t/{article.id}"))

    assert "About the author" in page
    assert "Consultant neurologist" in page and "A teaching hospital" in page
    assert "Speaker fees from two companies." in page
    assert 'href="https://doi.org/10.1089/jir.2015.0177"' in page
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/27145057/"' in page
    assert "<h3>Background</h3>" in page  # a body's "##" sits below the page's headings


def test_locked_thread_says_who_when_and_why(client, member, moderator, category):
    thread = make_discussion(member, category, title="Paid clinic offering a cure")
    lock_thread(thread, moderator, "Unproven treatment sold outside a trial.")

    page = text_of(client.get(f"/t/{thread.id}"))

    assert "This thread is locked" in page
    assert "Unproven treatment sold outside a trial." in page
    assert moderator.username in page
    assert "replies are closed" in page


def test_tag_page_lists_threads_with_that_tag(client, member, category):
    tagged = make_discussion(member, category, title="Vitamin D questions", tags=["vitamin-d"])
    make_discussion(member, category, title="Unrelated conversation here")

    page = text_of(client.get("/tag/vitamin-d"))

    assert tagged.title in page and "Unrelated conversation here" not in page
    assert client.get("/tag/VITAMIN-D").status_code == 200
    assert client.get("/tag/no-such-tag").status_code == 404


def test_profile_shows_expert_details_and_posts(client, category):
    from tests.factories import make_user

    nurse = make_user("nurse_kit", role="expert", credentials="MS specialist nurse",
                      conflicts="None.", bio="Twenty years in MS care.")
    make_discussion(nurse, category, title="Ask me about relapses")

    page = text_of(client.get("/u/nurse_kit"))

    assert "Verified expert" in page and "MS specialist nurse" in page
    assert "Twenty years in MS care." in page
    assert "Ask me about relapses" in page
    assert client.get("/u/NURSE_KIT").status_code == 200
    assert "@" + "nurse_kit" in page and "nurse_kit@example.org" not in page


@pytest.mark.parametrize("path", ["/c/nowhere", "/t/999999", "/t/999999/slug", "/u/nobody",
                                  "/tag/nothing", "/no/such/page"])
def test_missing_things_get_the_forums_own_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)
    assert "Traceback" not in text_of(response)


def test_user_text_is_escaped_everywhere_it_appears(client, member, category):
    thread = make_discussion(member, category, title="<script>alert(1)</script> title",
                             body="<img src=x onerror=alert(1)> *body*", tags=["ok"])

    for path in ("/", f"/t/{thread.id}", f"/c/{category.slug}", "/tag/ok", "/u/maria"):
        page = text_of(client.get(path))
        assert "<script>alert(1)" not in page, path
        assert "<img" not in page, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt; title" in text_of(client.get(f"/t/{thread.id}"))


def test_every_link_in_the_demo_community_leads_to_a_page(app, client):
    """Crawl the seeded forum from the front page: no link is broken, nothing errors."""
    from forum.demo import load_demo

    load_demo()
    seen, queue = set(), ["/"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        for link in re.findall(r'href="(/[^"#]*)', text_of(response)):
            link = link.replace("&amp;", "&")
            if not link.startswith(("/static/", "/login", "/register")):
                queue.append(link)
    assert any(p.startswith("/u/") for p in seen) and any(p.startswith("/tag/") for p in seen)
    assert any(p.startswith("/c/") for p in seen)
    assert len([p for p in seen if p.startswith("/t/")]) >= 8


def test_demo_article_and_locked_clinic_thread(client):
    from forum.demo import load_demo

    load_demo()
    front = text_of(client.get("/"))
    assert "#researchspeak" in front and "#clinicspeak" in front
    article = re.search(r'href="(/t/\d+/gut-[^"]+)"', front).group(1)
    page = text_of(client.get(article))
    assert "About the author" in page and "https://doi.org/10.1089/jir.2015.0177" in page
    assert page.count('class="post"') == 4  # the opening post and four comments per page here
    assert 'rel="next"' in page  # a dozen comments run over several pages

    clinic = text_of(client.get("/c/treatments-and-trials"))
    locked = re.search(r'href="(/t/\d+/overseas-[^"]+)"', clinic).group(1)
    assert "This thread is locked" in text_of(client.get(locked))


def _queries_for(client, path):
    from sqlalchemy import event

    from forum.extensions import db

    statements = []

    def count(*args):
        # Not BEGIN or PRAGMA: a pooled SQLite connection is set up (query_only) when it
        # is first used, which depends on the pool, not on the page (as the request
        # log counts, forum/requestlog.py).
        if not args[2].lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_thread_page_queries_do_not_grow_with_posts_or_pages(app, category, member, expert):
    from forum.domain.posts import add_reply
    from tests.conftest import Browser

    small = make_article(expert, category, title="An article with few comments")
    big = make_article(expert, category, title="An article with many comments")
    repliers = [member, expert, *(make_user_n(n) for n in range(6))]
    for n in range(3):
        add_reply(small, repliers[n], f"comment {n}")
    for n in range(23):
        add_reply(big, repliers[n % len(repliers)], f"comment {n}")
    browser = Browser(app.test_client())
    browser.login(member.username)

    counts = {
        path: len(_queries_for(browser.client, path))
        for path in (f"/t/{small.id}", f"/t/{big.id}", f"/t/{big.id}?page=3",
                     f"/t/{big.id}?page=5")
    }
    assert len(set(counts.values())) == 1, counts


def make_user_n(n):
    from tests.factories import make_user

    return make_user(f"reader{n}")


@pytest.mark.parametrize("path", [
    "/t/99999999999999999999", "/t/2147483648", "/p/99999999999999999999/edit",
    "/u/%00", "/tag/a%00", "/c/x%00", "/c/living-with-ms?page=99999999999999999999",
    "/search?q=x&page=99999999999999999999",
])
def test_absurd_ids_pages_and_nul_bytes_are_404_not_errors(client, category, path):
    assert client.get(path).status_code == 404


def test_a_wrong_slug_redirect_carries_only_known_parameters(client, member, category):
    thread = make_discussion(member, category)
    response = client.get(f"/t/{thread.id}/wrong?thread_id=99&_external=1&page=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/{thread.slug}?page=1"


def test_profile_paginates_threads_and_posts_separately(app, client, member, category):
    for n in range(7):
        make_discussion(member, category, title=f"Profile thread number {n}", minutes_ago=n + 1)
    first = text_of(client.get("/u/maria"))
    assert "Profile thread number 0" in first and "Profile thread number 6" not in first
    assert 'href="/u/maria?threads_page=2"' in first
    second = text_of(client.get("/u/maria?threads_page=2"))
    assert "Profile thread number 6" in second
    assert client.get("/u/maria?threads_page=9").status_code == 404
