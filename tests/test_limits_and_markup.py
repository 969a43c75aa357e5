"""Limits on what one member can make the forum do (mail, reports, edits, previews,
rendering), the links markup may make, and bad input that used to answer 500."""

import io
import re
from datetime import timedelta

import pytest

from forum.extensions import db
from tests.conftest import csrf_token
from tests.test_authorization import FORMS, ROWS, built_world, world  # noqa: F401 (fixtures)
from tests.test_migrations import empty_postgres  # noqa: F401 (a fixture)

# -- bad input: fields sent as file parts, digits that are not ASCII -----------------


def _as_file_parts(fields: dict) -> dict:
    return {name: (io.BytesIO(value.encode()), "part.txt") for name, value in fields.items()}


POST_ROWS = {row.path: row for row in ROWS if row.method == "POST"}


def test_form_fields_sent_as_file_parts_never_answer_500(world):  # noqa: F811
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
    # "Post as written": an address like someone@example.org meets the personal
    # information check first (tests/test_crisis_and_personal_info.py).
    response = member_browser.submit(f"/t/{thread.id}", {"body": f"See {source} today",
                                                         "confirmed": "y"},
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
    from forum.domain.accounts import create_user

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
    from sqlalchemy import select, update

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
        stored = db.session.scalar(select(Post.body_html).where(Post.thread_id == thread.id))
        db.session.remove()
        db.engine.dispose()
    assert stored == "<p>Join us at ssh://chat.example.org tonight</p>"


# SQLite cannot reflect expression indexes (as in test_migrations.py).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_rerenders_stored_links_sqlite(tmp_path):
    _stored_link_is_rerendered(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_the_migration_rerenders_stored_links_postgres(empty_postgres):  # noqa: F811
    _stored_link_is_rerendered(empty_postgres)


# -- rate limits: mail, reports, edits and previews ------------------------------------

@pytest.fixture
def limited(app):
    """An app of its own with limits on (Flask-Limiter's state is process-wide)."""
    from forum import create_app
    from forum.extensions import limiter
    from tests.conftest import RequestClient

    limited_app = create_app({
        "TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN": "100 per minute", "RATELIMIT_RESEND": "2 per hour",
        "RATELIMIT_FLAG": "2 per minute", "RATELIMIT_EDIT": "3 per minute",
        "RATELIMIT_POST": "2 per minute",
    })
    limited_app.test_client_class = RequestClient
    limiter.reset()
    yield limited_app
    limiter.reset()
    limiter.enabled = False


# What a browser sends with a form from one of the forum's own pages.
FROM_A_FORUM_PAGE = {"Sec-Fetch-Site": "same-origin"}


def _browser_for(app, username):
    from tests.conftest import Browser

    browser = Browser(app.test_client())
    browser.login(username)
    return browser


def test_confirmation_mail_cannot_be_resent_without_end(limited):
    from sqlalchemy import func, select

    from forum.domain.accounts import create_user
    from forum.models import OutboxMessage

    create_user("unsure", "unsure@example.org", "correct horse battery", "member",
                established=True, confirmed=False)
    from tests.conftest import Browser

    # Unconfirmed, the account cannot sign in; a right password offers to resend the link.
    browser = Browser(limited.test_client())
    shown = browser.submit("/login", {"username": "unsure", "password": "correct horse battery"})
    assert shown.status_code == 200 and "/confirm/resend" in shown.get_data(as_text=True)
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    statuses = [browser.submit("/login", {}, action="/confirm/resend").status_code
                for _ in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before + 2


def test_reporting_members_is_limited(limited, member):
    from sqlalchemy import func, select

    from forum.models import Flag
    from tests.factories import make_user

    for n in range(4):
        make_user(f"someone{n}")
    browser = _browser_for(limited, member.username)
    statuses = [browser.submit(f"/u/someone{n}/report", {"reason": "spam", "note": ""}
                               ).status_code for n in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert db.session.scalar(select(func.count(Flag.id))) == 2
    assert browser.get("/u/someone3/report").status_code == 200  # the form itself is not


def test_edits_are_limited_and_a_refused_edit_keeps_its_text(limited, member):
    from forum.models import Post
    from tests.factories import make_category, make_discussion

    make_discussion(member, make_category(), replies=1)
    reply = db.session.query(Post).filter(Post.is_opening.is_(False)).one()
    browser = _browser_for(limited, member.username)
    statuses = [browser.submit(f"/p/{reply.id}/edit", {"body": f"Version {n}"}).status_code
                for n in range(3)]
    assert statuses == [302, 302, 302]
    refused = browser.submit(f"/p/{reply.id}/edit", {"body": "My careful fourth version"},
                             headers=FROM_A_FORUM_PAGE)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "My careful fourth version" in page and "Please wait" in page
    assert f'action="/p/{reply.id}/edit"' in page
    assert "Retry-After" in refused.headers
    assert db.session.get(Post, reply.id).body_source == "Version 2"


def test_previews_share_the_edit_limit_and_leave_posting_alone(limited, member):
    from forum.models import Post
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category())
    browser = _browser_for(limited, member.username)
    reply = f"/t/{thread.id}/reply"
    previews = [browser.submit(f"/t/{thread.id}", {"body": f"Draft {n}", "preview": "Preview"},
                               action=reply).status_code for n in range(3)]
    assert previews == [200, 200, 200]
    refused = browser.submit(f"/t/{thread.id}", {"body": "Draft four", "preview": "Preview"},
                             action=reply, headers=FROM_A_FORUM_PAGE)
    assert refused.status_code == 429
    assert "Draft four" in refused.get_data(as_text=True)
    # The article and discussion previews draw on the same budget.
    category = db.session.query(Post).first().thread.category
    assert browser.submit(f"/c/{category.slug}/new",
                          {"title": "A title long enough", "body": "x", "tags": "",
                           "preview": "Preview"}).status_code == 429
    # Previewing used none of the posting limit.
    assert browser.submit(f"/t/{thread.id}", {"body": "Sent for real"},
                          action=reply).status_code == 302


# -- edit history: a burst of edits is one revision ------------------------------------

def test_edits_within_a_few_minutes_by_the_same_editor_are_one_revision(
        member_browser, moderator_browser, member):
    from sqlalchemy import update

    from forum.models import Post, PostRevision, utcnow
    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category(), body="The first text.")
    post = db.session.query(Post).filter(Post.thread_id == thread.id).one()
    edit = f"/p/{post.id}/edit"

    def saved():
        return [r.body_source for r in db.session.query(PostRevision)
                .order_by(PostRevision.id)]

    for n in range(4):
        fields = {"title": "Tips for fatigue on bad days", "body": f"Typo fix {n}", "tags": ""}
        assert member_browser.submit(edit, fields).status_code == 302
    assert saved() == ["The first text."]

    # Someone else's edit is always its own revision.
    fields = {"title": "Tips for fatigue on bad days", "body": "A moderator's change",
              "tags": ""}
    assert moderator_browser.submit(edit, fields).status_code == 302
    assert saved() == ["The first text.", "Typo fix 3"]

    # After the window, the same editor's next edit keeps what it replaces.
    fields["body"] = "The moderator again, later"
    db.session.execute(update(PostRevision).values(
        created_at=utcnow() - timedelta(minutes=6)))
    assert moderator_browser.submit(edit, fields).status_code == 302
    assert saved() == ["The first text.", "Typo fix 3", "A moderator's change"]
    history = member_browser.get(f"/p/{post.id}/history").get_data(as_text=True)
    assert "Typo fix 1" not in history and "The first text." in history


# -- what one body may cost to render ---------------------------------------------------

def test_a_table_too_large_to_render_is_shown_as_its_text(member_browser, member):
    from forum import text
    from tests.factories import make_category, make_discussion

    rows = text.MAX_TABLE_CELLS // 3 + 10
    huge = "| day | fatigue | sleep |\n|---|---|---|\n" + "| mon | 7 | 5 |\n" * rows
    assert "<table>" in text.render("| a | b |\n|---|---|\n| 1 | 2 |")
    thread = make_discussion(member, make_category())
    page = member_browser.submit(f"/t/{thread.id}", {"body": huge, "preview": "Preview"},
                                 action=f"/t/{thread.id}/reply").get_data(as_text=True)
    assert "<table>" not in page
    assert "| mon | 7 | 5 |" in page


@pytest.mark.parametrize("source", [
    "*_" * 12_000,  # emphasis markers: more tags than text
    "<" * 20_000,  # entities
    "[a]: /x\n" + "[a] " * 8_000,  # one reference used thousands of times
    "|" + "a|" * 1000 + "\n|" + "-|" * 1000 + "\n" + "x\n" * 5000,  # autocompleted cells
    "- x\n" * 7_000,  # few delimiters, many tags
    "a.io " * 8_000,  # no delimiters at all, thousands of links
])
def test_markdown_that_would_cost_too_much_is_shown_as_plain_text(source):
    from forum import text

    html = text.render(source)
    assert set(re.findall(r"</?([a-z0-9]+)", html)) <= {"p", "br"}
    assert html.count("<p>") <= source.count("\n\n") + 1


def test_plain_text_fallback_is_escaped_and_keeps_paragraphs():
    from forum import text

    source = "<script>alert(1)</script> & more\nnext line\n\n" + "*_" * 12_000
    html = text.render(source)
    assert html.startswith("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more<br>next line</p>")
    assert "<script" not in html


def test_text_past_the_longest_body_is_never_rendered_as_markdown():
    from forum import text

    html = text.render("**bold** " * (text.MAX_SOURCE // 9 + 1))
    assert "<strong>" not in html and html.startswith("<p>**bold**")
