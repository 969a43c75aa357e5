"""Limits on what one member can make the forum do (mail, reports, edits, previews,
rendering), the links markup may make, and bad input that used to answer 500."""

import io

import pytest

from forum.extensions import db
from tests.conftest import csrf_token
from tests.test_authorization import FORMS, ROWS, World
from tests.test_migrations import empty_postgres  # noqa: F401 (a fixture)

# -- bad input: fields sent as file parts, digits that are not ASCII -----------------


@pytest.fixture(scope="module")
def built_world(app):
    with app.app_context():
        return World(app)


@pytest.fixture
def world(built_world):
    built_world.reset()
    return built_world


def _as_file_parts(fields: dict) -> dict:
    return {name: (io.BytesIO(value.encode()), "part.txt") for name, value in fields.items()}


POST_ROWS = {row.path: row for row in ROWS if row.method == "POST"}


def test_form_fields_sent_as_file_parts_never_answer_500(world):
    """Every POST route, as a visitor, a member and a moderator: each field of the form
    arrives as a file part of a multipart body (the CSRF token as text, so the form is
    really read). The form says what is missing; it never fails."""
    failed = {}
    for row in POST_ROWS.values():
        path = world.fill(row.path)
        endpoint, _ = world.app.url_map.bind("localhost").match(path.split("?")[0], "POST")
        fields = {name: world.fill(value) for name, value in FORMS.get(endpoint, {}).items()}
        fields.setdefault("body", "text")
        for role in ("anonymous", "member", "moderator"):
            data = {"csrf_token": world.tokens[role], **_as_file_parts(fields)}
            response = world.browser(role).client.post(path, data=data,
                                                       content_type="multipart/form-data")
            if response.status_code >= 500:
                failed[f"{role} {path}"] = response.status_code
            if response.status_code in (301, 302, 303):
                world.reset()  # it may have done something; the next request starts afresh
    assert not failed, failed
    assert len(POST_ROWS) > 40


@pytest.mark.parametrize("path", ["/login", "/register", "/reset"])
def test_sign_in_register_and_reset_with_file_parts_show_the_form(client, member, path):
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page),
            **_as_file_parts({"username": "maria", "email": "maria@example.org",
                              "password": "x" * 12, "confirm": "x" * 12})}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "<form" in response.get_data(as_text=True)


def test_a_json_body_is_not_read_as_a_form(member_browser, member):
    from forum.models import Post
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category())
    token = csrf_token(member_browser.get(f"/t/{thread.id}").get_data(as_text=True))
    response = member_browser.client.post(f"/t/{thread.id}/reply", json={"body": 5},
                                          headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "Please write something" in response.get_data(as_text=True)
    assert db.session.query(Post).count() == 1


@pytest.mark.parametrize("key", ["post-²", "post-٣", "user-３", "post-1_0", "post-"])
def test_report_keys_with_other_digits_are_404(moderator_browser, key):
    response = moderator_browser.submit("/mod", {"action": "dismiss"},
                                        action=f"/mod/reports/{key}")
    assert response.status_code == 404


def test_ids_in_paths_are_ascii_digits(client, member):
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category())
    assert client.get(f"/t/{thread.id}").status_code == 200
    arabic = str(thread.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(f"/t/{arabic}").status_code == 404


# -- links: which schemes become links, and which posts wait because of them -----------

@pytest.mark.parametrize("source", [
    "data://text/html;base64,PHNjcmlwdD4=", "ssh://relay.example.org",
    "webcal://calendar.example.org/cal.ics", "ftp://files.example.org/x",
    "xmpp:someone@example.org", "ssh:root@host.example.org", "irc://irc.example.net/ms",
])
def test_bare_addresses_with_other_schemes_stay_text(member_browser, member, source):
    from forum.models import Post
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category())
    response = member_browser.submit(f"/t/{thread.id}", {"body": f"See {source} today"},
                                     action=f"/t/{thread.id}/reply")
    assert response.status_code == 302
    stored = db.session.query(Post).filter(Post.body_source.contains(source)).one()
    assert "<a" not in stored.body_html
    assert source in stored.body_html


@pytest.mark.parametrize("source, href", [
    ("visit example.org", "http://example.org"),
    ("read https://example.org/page", "https://example.org/page"),
    ("<mailto:nurse@example.org>", "mailto:nurse@example.org"),
])
def test_allowed_bare_addresses_are_still_links(source, href):
    from forum import text

    assert f'href="{href}"' in text.render(source)


@pytest.fixture
def newcomer(app, monkeypatch):
    """A member who joined a minute ago; first-post holding is off, so only the
    rule about links can hold their posts."""
    from forum.accounts.services import create_user

    monkeypatch.setitem(app.config, "HOLD_FIRST_POSTS", 0)
    return create_user("newbie", "newbie@example.org", "correct horse battery", "member",
                       established=False, confirmed=True)


def _signed_in_as(app, username):
    from tests.conftest import Browser

    browser = Browser(app.test_client())
    browser.login(username)
    return browser


@pytest.mark.parametrize("body, held", [
    ("No links here, just how my week went.", False),
    ("Please visit miraclecure.com for the cure.", True),
    ("A [good read][1] about it.\n\n[1]: http://miraclecure.example.com", True),
    ("A [good read][1] about it.\n\n[1]: miraclecure.example.com/buy", True),
    ("Plain <https://example.org> too.", True),
    ("Version 1.2 of the app is e.g. better.", False),
])
def test_links_from_a_new_account_are_held_however_they_are_written(app, member, newcomer,
                                                                    body, held):
    from forum.models import Post
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category())
    browser = _signed_in_as(app, "newbie")
    response = browser.submit(f"/t/{thread.id}", {"body": body},
                              action=f"/t/{thread.id}/reply", follow_redirects=True)
    post = db.session.query(Post).filter(Post.author_id == newcomer.id).one()
    assert (post.held_at is not None) is held
    assert ("waiting for a moderator" in response.get_data(as_text=True)) is held


@pytest.mark.parametrize("title, held", [
    ("Cheap cure at miraclecure.com", True),
    ("Cooling vests in the summer heat", False),
])
def test_a_link_in_a_new_accounts_title_holds_the_discussion(app, newcomer, title, held):
    from forum.models import Thread
    from tests.factories import make_category

    category = make_category()
    browser = _signed_in_as(app, "newbie")
    response = browser.submit(f"/c/{category.slug}/new",
                              {"title": title, "body": "Nothing linked in the body.",
                               "tags": ""})
    assert response.status_code == 302
    thread = db.session.query(Thread).one()
    assert (thread.hidden_at is not None) is held


def _stored_link_is_rerendered(database_url):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import update

    from forum import create_app
    from forum.models import Post
    from tests.factories import make_category, make_discussion, make_user

    migrated = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with migrated.app_context():
        upgrade()
        thread = make_discussion(make_user("early"), make_category(),
                                 body="Join us at ssh://chat.example.org tonight")
        # What the old renderer stored for that body.
        old_html = ('<p>Join us at <a href="ssh://chat.example.org" rel="nofollow ugc '
                    'noopener">ssh://chat.example.org</a> tonight</p>')
        db.session.execute(update(Post).where(Post.thread_id == thread.id)
                           .values(body_html=old_html))
        db.session.commit()
        downgrade(revision="4dd8146ac3dc")
        upgrade()
        stored = db.session.scalar(select_html(thread.id))
        db.session.remove()
        db.engine.dispose()
    assert stored == "<p>Join us at ssh://chat.example.org tonight</p>"


def select_html(thread_id):
    from sqlalchemy import select

    from forum.models import Post

    return select(Post.body_html).where(Post.thread_id == thread_id)


# SQLite cannot reflect expression indexes (as in test_migrations.py).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_rerenders_stored_links_sqlite(tmp_path):
    _stored_link_is_rerendered(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_the_migration_rerenders_stored_links_postgres(empty_postgres):  # noqa: F811
    _stored_link_is_rerendered(empty_postgres)
