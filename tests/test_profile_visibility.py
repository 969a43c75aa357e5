"""Profile visibility (#14): each member chooses public, members only, or public but
noindex (the default); their posts link to the profile either way."""

import pytest

from forum.extensions import db
from forum.models import ProfileVisibility

from .conftest import Browser
from .factories import make_category, make_discussion


def _choose(member, visibility):
    member.profile_visibility = visibility
    db.session.commit()


def test_the_default_is_public_but_noindex(client, member):
    member.bio = "Diagnosed in 2019."
    db.session.commit()
    response = client.get(f"/u/{member.username}")
    page = response.get_data(as_text=True)
    assert member.profile_visibility == ProfileVisibility.NOINDEX.value
    assert response.status_code == 200 and "Diagnosed in 2019." in page
    assert '<meta name="robots" content="noindex">' in page
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_public_is_indexable(client, member):
    _choose(member, ProfileVisibility.PUBLIC.value)
    response = client.get(f"/u/{member.username}")
    assert "noindex" not in response.get_data(as_text=True)
    assert "X-Robots-Tag" not in response.headers


def test_members_only_shows_a_visitor_a_short_page(client, member):
    member.bio = "Diagnosed in 2019."
    _choose(member, ProfileVisibility.MEMBERS.value)
    make_discussion(member, make_category(), body="My own story, told for the forum.")
    response = client.get(f"/u/{member.username}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "visible to signed-in members" in page
    assert "Diagnosed in 2019." not in page and "Tips for fatigue" not in page
    assert f"/login?next=/u/{member.username}" in page
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_members_only_is_whole_for_a_member(app, member, other_member):
    member.bio = "Diagnosed in 2019."
    _choose(member, ProfileVisibility.MEMBERS.value)
    browser = Browser(app.test_client())
    browser.login(other_member.username)
    page = browser.get(f"/u/{member.username}").get_data(as_text=True)
    assert "Diagnosed in 2019." in page
    assert "noindex" in page  # a members-only profile is never for search engines


@pytest.mark.parametrize("visibility", list(ProfileVisibility))
def test_posts_link_to_the_profile_whatever_the_choice(client, member, visibility):
    _choose(member, visibility.value)
    thread = make_discussion(member, make_category())
    page = client.get(f"/t/{thread.id}/{thread.slug}").get_data(as_text=True)
    assert f'href="/u/{member.username}"' in page


@pytest.mark.parametrize("visibility", list(ProfileVisibility))
def test_the_settings_form_saves_the_choice(app, member, visibility):
    browser = Browser(app.test_client())
    browser.login(member.username)
    response = browser.submit("/settings", {"display_name": "", "bio": "",
                                            "profile_visibility": visibility.value})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.profile_visibility == visibility.value


def test_the_settings_form_refuses_another_value_and_keeps_the_text(app, member):
    browser = Browser(app.test_client())
    browser.login(member.username)
    response = browser.submit("/settings", {"display_name": "", "bio": "Kept words",
                                            "profile_visibility": "everyone"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please choose who can see your profile." in page and "Kept words" in page
    db.session.refresh(member)
    assert member.profile_visibility == ProfileVisibility.NOINDEX.value


def test_a_form_without_the_field_keeps_the_choice(app, member):
    _choose(member, ProfileVisibility.PUBLIC.value)
    browser = Browser(app.test_client())
    browser.login(member.username)
    browser.submit("/settings", {"display_name": "", "bio": "New bio"})
    db.session.refresh(member)
    assert member.profile_visibility == ProfileVisibility.PUBLIC.value and member.bio == "New bio"


def test_the_settings_page_offers_the_three_choices_as_radios(app, member):
    browser = Browser(app.test_client())
    browser.login(member.username)
    page = browser.get("/settings").get_data(as_text=True)
    assert page.count('name="profile_visibility"') == 3
    assert "Who can see your profile" in page
