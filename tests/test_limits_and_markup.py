"""Limits on what one member can make the forum do (mail, reports, edits, previews,
rendering), the links markup may make, and bad input that used to answer 500."""

import io

import pytest

from forum.extensions import db
from tests.conftest import csrf_token
from tests.test_authorization import FORMS, ROWS, World

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
