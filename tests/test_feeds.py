"""Atom feeds of articles and of tags."""

from xml.etree import ElementTree

from sqlalchemy import event

from forum.extensions import db
from tests.factories import make_article, make_category, make_discussion

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ElementTree.fromstring(response.get_data())  # noqa: S314 - our own output


def test_article_feed_is_valid_atom_with_escaped_html(client, expert, member):
    category = make_category()
    make_article(expert, category, title="Diet & MS: <what> we know",
                 body="**Bold** claim <script>x</script>")
    make_discussion(member, category, title="Not an article at all")

    feed = parse(client.get("/feed.atom"))
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Diet & MS: <what> we know"]
    content = entries[0].findtext(f"{ATOM}content")
    assert "<strong>Bold</strong>" in content and "<script>" not in content
    assert entries[0].find(f"{ATOM}link").get("href").startswith("http://localhost/t/")
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == expert.username
    assert feed.findtext(f"{ATOM}updated")


def test_tag_feed_lists_threads_with_that_tag(client, member):
    category = make_category()
    make_discussion(member, category, title="Cooling tips for summer", tags=["heat"])
    make_discussion(member, category, title="Other things entirely", tags=["other"])
    feed = parse(client.get("/tag/heat/feed.atom"))
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Cooling tips for summer"]
    assert client.get("/tag/nothing-here/feed.atom").status_code == 404


def test_empty_feed_is_still_valid(client):
    feed = parse(client.get("/feed.atom"))
    assert feed.findall(f"{ATOM}entry") == [] and feed.findtext(f"{ATOM}updated")


def _statements(app, client, path):
    """How many SQL statements one request runs."""
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_feed_asks_the_database_the_same_number_of_times_for_2_or_12_articles(
        app, client, expert):
    category = make_category()
    for n in range(2):
        make_article(expert, category, title=f"Article number {n}", tags=[f"tag{n}", "ms"])
    few = _statements(app, client, "/feed.atom")
    for n in range(2, 12):
        make_article(expert, category, title=f"Article number {n}", tags=[f"tag{n}", "ms"])
    assert _statements(app, client, "/feed.atom") == few
