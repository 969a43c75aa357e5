"""Who may lift a ban, what an expert's badge vouches for, names that cannot pose as
someone else, and archived categories that stay as they were (issue 11, items 7, 8,
21 and 22). Everything goes through HTTP, on the real database."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from forum import create_app
from forum.domain import members, verification
from forum.extensions import db
from forum.models import ExpertVerification, Post, User, VerificationStatus, utcnow
from tests.conftest import Browser
from tests.factories import make_article, make_category, make_discussion, make_user
from tests.test_migrations import empty_postgres  # noqa: F401 (a fixture)


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def _page(response) -> str:
    return response.get_data(as_text=True)


# -- 7: lifting a ban takes the power to impose it -------------------------------------

@pytest.fixture
def banned(app, admin):
    user = make_user("banned_bo")
    members.ban(user, admin, "Selling fake cures.")
    return user


def test_a_moderator_cannot_lift_a_ban_and_is_not_offered_the_button(
        moderator_browser, banned):
    profile = _page(moderator_browser.get(f"/u/{banned.username}"))
    assert "Banned from writing" in profile
    assert f"/u/{banned.username}/reinstate" not in profile
    assert "Only an admin can lift a ban." in profile

    refused = moderator_browser.submit(f"/u/{banned.username}", {"reason": "Seems sorry."},
                                       action=f"/u/{banned.username}/reinstate")
    assert refused.status_code == 403
    assert "Only an admin can lift a ban." in _page(refused)
    db.session.expire_all()
    assert db.session.get(User, banned.id).banned_at is not None


def test_an_admin_lifts_a_ban(app, admin, banned):
    admin_browser = signed_in(app, admin)
    profile = _page(admin_browser.get(f"/u/{banned.username}"))
    assert f"/u/{banned.username}/reinstate" in profile and "Lift the ban" in profile
    lifted = admin_browser.submit(f"/u/{banned.username}", {"reason": "Appeal accepted."},
                                  action=f"/u/{banned.username}/reinstate")
    assert lifted.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, banned.id).banned_at is None


def test_a_moderator_still_lifts_a_plain_suspension(moderator_browser, moderator, member):
    members.suspend(member, moderator, utcnow() + timedelta(days=3), "Cooling off.")
    profile = _page(moderator_browser.get(f"/u/{member.username}"))
    assert "Lift the suspension" in profile
    lifted = moderator_browser.submit(f"/u/{member.username}", {"reason": ""},
                                      action=f"/u/{member.username}/reinstate")
    assert lifted.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).suspended_until is None


# -- 22: an archived category is read-only for members ---------------------------------

@pytest.fixture
def archived(app):
    category = make_category("old-news", "Old news")
    return category


def _archive(category):
    category.archived_at = utcnow()
    db.session.commit()


def test_members_cannot_edit_their_posts_in_an_archived_category(
        app, member_browser, member, moderator_browser, archived):
    thread = make_discussion(member, archived, title="Back in 2019", body="My first relapse.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    _archive(archived)

    thread_page = _page(member_browser.get(f"/t/{thread.id}"))
    assert f"/p/{opening.id}/edit" not in thread_page
    assert member_browser.get(f"/p/{opening.id}/edit").status_code == 403
    refused = member_browser.client.post(
        f"/p/{opening.id}/edit",
        data={"csrf_token": _token(member_browser, f"/t/{thread.id}"),
              "title": "Back in 2019", "body": "Rewritten years later."})
    assert refused.status_code == 403
    assert "archived" in _page(refused)
    db.session.expire_all()
    assert db.session.get(Post, opening.id).body_source == "My first relapse."

    # Moderators still tidy archived categories.
    edited = moderator_browser.submit(f"/p/{opening.id}/edit",
                                      {"title": "Back in 2019", "body": "Name removed."})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, opening.id).body_source == "Name removed."


def _token(browser, path):
    from tests.conftest import csrf_token

    return csrf_token(_page(browser.get(path)))


ARTICLE = {"title": "Vitamin D and relapses", "summary": "What the trials show.",
           "body": "Two trials, small effects.", "tags": "vitamin-d",
           "references": "Jagannath VA et al. Cochrane 2018. doi:10.1002/14651858.CD008422.pub3",
           "disclosure": "None."}


def test_an_expert_cannot_publish_into_an_archived_article_category(app, expert, moderator):
    research = make_category("research-news", "Research news")
    make_category()
    _archive(research)
    expert_browser = signed_in(app, expert)

    assert "/articles/new" not in _page(expert_browser.get("/"))
    form_page = expert_browser.get("/articles/new")
    assert form_page.status_code == 403 and "archived" in _page(form_page)
    refused = expert_browser.client.post(
        "/articles/new", data={"csrf_token": _token(expert_browser, "/"), **ARTICLE})
    assert refused.status_code == 403 and "archived" in _page(refused)
    assert db.session.scalar(select(ExpertVerification.id).limit(1)) is not None  # still expert
    assert not db.session.scalars(select(Post)).all()

    # A moderator may still file an article there.
    published = signed_in(app, moderator).submit("/articles/new", ARTICLE)
    assert published.status_code == 302, _page(published)


def test_an_expert_publishes_while_the_article_category_is_open(app, expert):
    make_category("research-news", "Research news")
    expert_browser = signed_in(app, expert)
    assert "/articles/new" in _page(expert_browser.get("/"))
    assert expert_browser.submit("/articles/new", ARTICLE).status_code == 302



# -- 8: the badge vouches for what an admin checked --------------------------------------

@pytest.fixture
def checked_expert(app, admin):
    """An expert verified through the queue: the admin checked these details."""
    user = make_user("dr_okafor", display_name="Dr Okafor")
    request = verification.request_verification(
        user, credentials="Consultant neurologist", affiliation="City Hospital",
        register_name="GMC", register_number="1234567",
        evidence_url="https://example.org/gmc/1234567")
    verification.decide_verification(request, admin, True, "", True, True, True)
    return user


def _profile(browser, user) -> str:
    return _page(browser.get(f"/u/{user.username}"))


def test_the_profile_form_cannot_rewrite_checked_credentials(app, checked_expert, client):
    expert_browser = signed_in(app, checked_expert)
    settings = _page(expert_browser.get("/settings"))
    assert 'name="credentials"' not in settings and 'name="affiliation"' not in settings
    assert "/settings/verification" in settings  # the way to change them

    saved = expert_browser.submit("/settings", {
        "display_name": "Dr Okafor", "bio": "I run a clinic.", "conflicts": "None.",
        "credentials": "Nobel laureate", "affiliation": "Harvard"})
    assert saved.status_code == 302
    for page in (_profile(client, checked_expert),
                 _page(client.get(f"/t/{make_article(checked_expert, make_category()).id}"))):
        assert "Consultant neurologist" in page and "City Hospital" in page
        assert "Nobel laureate" not in page and "Harvard" not in page
    assert "I run a clinic." in _profile(client, checked_expert)  # bio stays free


def test_profile_and_author_box_show_the_checked_text_not_the_profile_columns(
        app, checked_expert, client):
    # Rows written before the fix: the profile columns were edited after the check.
    checked_expert.credentials, checked_expert.affiliation = "World's top MS expert", "Nowhere"
    db.session.commit()
    article = make_article(checked_expert, make_category())
    for page in (_profile(client, checked_expert), _page(client.get(f"/t/{article.id}"))):
        assert "Consultant neurologist" in page and "World's top MS expert" not in page


def test_new_credentials_wait_for_an_admin_and_the_badge_stays_meanwhile(
        app, checked_expert, admin, client):
    expert_browser = signed_in(app, checked_expert)
    form = _page(expert_browser.get("/settings/verification"))
    assert 'value="GMC"' in form and 'value="Consultant neurologist"' in form  # starts from it
    sent = expert_browser.submit("/settings/verification", {
        "credentials": "Professor of Neurology", "affiliation": "University Hospital",
        "register_name": "GMC", "register_number": "1234567",
        "evidence_url": "https://example.org/gmc/1234567"})
    assert sent.status_code == 302
    pending = verification.pending_verification(checked_expert)
    assert pending.credentials == "Professor of Neurology"

    profile = _profile(client, checked_expert)
    assert "Verified expert" in profile and "Consultant neurologist" in profile
    assert "Professor of Neurology" not in profile
    assert "waiting for an admin" in _page(expert_browser.get("/settings"))

    admin_browser = signed_in(app, admin)
    queue = _page(admin_browser.get("/admin/verifications"))
    assert "Already verified" in queue and "Professor of Neurology" in queue
    decided = admin_browser.submit("/admin/verifications", {
        "decision": "approve", "checked_register": "y", "checked_number": "y",
        "checked_link": "y"}, action=f"/admin/verifications/{pending.id}")
    assert decided.status_code == 302
    profile = _profile(client, checked_expert)
    assert "Professor of Neurology" in profile and "Consultant neurologist" not in profile
    assert "Verified expert" in profile


def test_declined_new_credentials_leave_the_checked_ones(app, checked_expert, admin, client):
    pending = verification.request_verification(
        checked_expert, credentials="Chief of everything", affiliation="City Hospital",
        register_name="GMC", register_number="1234567",
        evidence_url="https://example.org/gmc/1234567")
    decided = signed_in(app, admin).submit("/admin/verifications", {
        "decision": "decline", "reason": "Not on the register."},
        action=f"/admin/verifications/{pending.id}")
    assert decided.status_code == 302
    profile = _profile(client, checked_expert)
    assert "Verified expert" in profile and "Consultant neurologist" in profile
    assert "Chief of everything" not in profile
    approved = db.session.scalars(select(ExpertVerification).where(
        ExpertVerification.status == VerificationStatus.APPROVED)).all()
    assert [v.credentials for v in approved] == ["Consultant neurologist"]


# -- 21: names that cannot pose as someone else ------------------------------------------

def _save_name(browser, name, bio="Hello."):
    return browser.submit("/settings", {"display_name": name, "bio": bio})


@pytest.mark.parametrize("name", [
    "sam_k", "SAM_K", "\uff33\uff21\uff2d\uff3f\uff2b",  # fullwidth, which NFKC folds
    "Sam K", "sam-k", "sam\u200b_k",
])
def test_a_display_name_cannot_be_another_members_username(member_browser, member, name):
    make_user("sam_k")
    refused = _save_name(member_browser, name, bio="My words stay.")
    assert refused.status_code == 200
    page = _page(refused)
    assert "too close to another member" in page
    assert "My words stay." in page  # the form comes back filled in
    db.session.expire_all()
    assert db.session.get(User, member.id).display_name == ""


def test_a_display_name_cannot_copy_another_display_name(member_browser, member):
    make_user("ruth_w", display_name="Ruth")
    refused = _save_name(member_browser, "RUTH")
    assert refused.status_code == 200 and "too close to another member" in _page(refused)
    # One's own username, in any case, is fine.
    assert _save_name(member_browser, "Maria").status_code == 302


@pytest.mark.parametrize("name", ["Ruth \u00b7 Moderator \u00b7 Verified expert", "Admin Sam",
                                  "jo (mod)", "VerifiedExpert", "Maria, forum moderator"])
def test_badge_words_are_refused_in_display_names(member_browser, member, name):
    refused = _save_name(member_browser, name)
    assert refused.status_code == 200 and "the forum shows those badges itself" in _page(refused)


def test_ordinary_names_pass(member_browser, member, moderator_browser):
    assert _save_name(member_browser, "Staff nurse Maria").status_code == 302
    assert _save_name(moderator_browser, "Mod_Jo").status_code == 302  # their own username


def test_an_older_name_does_not_block_saving_the_rest_of_the_profile(member_browser, member):
    member.display_name = "Maria (mod)"  # accepted before the rule existed
    db.session.commit()
    assert _save_name(member_browser, "Maria (mod)", bio="New bio.").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).bio == "New bio."


def test_format_characters_are_stripped_from_names_and_titles(member_browser, member,
                                                              client):
    category = make_category()
    assert _save_name(member_browser, "Ma\u202eria\u200b M\u2066").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).display_name == "Maria M"

    started = member_browser.submit(f"/c/{category.slug}/new", {
        "title": "Fatigue \u202etips\u2069 for\u200b summer", "body": "Keep\u200d cool."})
    assert started.status_code == 302, _page(started)
    thread = db.session.scalars(select(Post)).one().thread
    assert thread.title == "Fatigue tips for summer"
    # Bodies keep them: zero-width joiners build emoji and shape some scripts.
    assert db.session.scalars(select(Post)).one().body_source == "Keep\u200d cool."


def test_names_are_isolated_and_shown_with_the_username(app, member, client):
    member.display_name = "\u05e8\u05d5\u05ea"  # a right-to-left name
    db.session.commit()
    thread = make_discussion(member, make_category())
    page = _page(client.get(f"/t/{thread.id}"))
    assert "<bdi>\u05e8\u05d5\u05ea</bdi>" in page and "@maria" in page
    profile = _profile(client, member)
    assert "<bdi>\u05e8\u05d5\u05ea</bdi>" in profile and "@maria" in profile


def test_the_author_box_shows_the_username_beside_the_display_name(app, checked_expert,
                                                                   client):
    article = make_article(checked_expert, make_category())
    box = _page(client.get(f"/t/{article.id}")).split('class="author-box"', 1)[1]
    assert "<bdi>Dr Okafor</bdi>" in box and "@dr_okafor" in box


# -- existing rows: the migration repairs them -------------------------------------------

BEFORE = "4dd8146ac3dc"  # the revision before this repair


def _insert(conn, table_name, /, **values):
    """A row as the schema of that revision takes it: unnamed NOT NULL columns get a blank."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    blanks = {int: 0, str: "", bool: False, datetime: utcnow()}
    for column in table.columns:
        if column.name not in values and not column.nullable and not column.primary_key:
            values[column.name] = blanks[column.type.python_type]
    return conn.execute(table.insert().values(values)).inserted_primary_key[0]


def _migrate_old_rows(database_url):
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with migrated.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            user = dict(role="member", text_size="normal", email=None)
            poser = _insert(conn, "users", username="poser", display_name="mod_ruth\u202e\u200b",
                            **user)
            expert = _insert(conn, "users", username="dr_x", display_name="Dr X",
                             credentials="Nobel laureate", affiliation="Harvard",
                             **{**user, "role": "expert"})
            _insert(conn, "expert_verifications", user_id=expert, status="approved",
                    credentials="MS nurse", affiliation="City Hospital", register_name="NMC",
                    register_number="99", evidence_url="https://example.org/nmc/99",
                    requested_at=utcnow(), decided_at=utcnow())
            category = _insert(conn, "categories", slug="c", name="C")
            thread = _insert(conn, "threads", category_id=category, author_id=poser,
                             kind="discussion", title="Cure \u202eerusop\u202c news", slug="cure")
        upgrade()
        with db.engine.connect() as conn:
            names = dict(conn.execute(sa.text("SELECT username, display_name FROM users")).all())
            title = conn.execute(sa.text("SELECT title FROM threads WHERE id = :id"),
                                 {"id": thread}).scalar()
            requests = conn.execute(sa.text(
                "SELECT status, credentials, affiliation, register_name FROM "
                "expert_verifications WHERE user_id = :id ORDER BY id"), {"id": expert}).all()
            profile = conn.execute(sa.text("SELECT credentials FROM users WHERE id = :id"),
                                   {"id": expert}).scalar()
        db.engine.dispose()  # the database is thrown away with its rows
    assert names["poser"] == "mod_ruth" and title == "Cure erusop news"
    assert [tuple(row) for row in requests] == [
        ("approved", "MS nurse", "City Hospital", "NMC"),
        ("pending", "Nobel laureate", "Harvard", "NMC"),  # the edit waits for an admin
    ]
    assert profile == "MS nurse"


reflection = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")


@reflection
def test_the_migration_repairs_existing_names_titles_and_credentials_sqlite(tmp_path):
    _migrate_old_rows(f"sqlite:///{tmp_path / 'old.db'}")


@reflection
def test_the_migration_repairs_existing_names_titles_and_credentials_postgres(request):
    _migrate_old_rows(request.getfixturevalue("empty_postgres"))
