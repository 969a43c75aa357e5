"""/unsubscribe/<token>: the link (and List-Unsubscribe header) in notification and
digest mail. A GET only asks; the POST, with or without a CSRF token (RFC 8058: mail
clients post without one), stops the mail; a tampered token changes nothing."""

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from forum.domain import mail
from forum.extensions import db
from forum.models import User
from tests.factories import make_user


def choice(username):
    db.session.expire_all()
    return db.session.scalar(select(User.email_notifications).where(User.username == username))


def link_for(user):
    return f"/unsubscribe/{mail.unsubscribe_token(user.id)}"


def test_get_asks_and_changes_nothing(app, client):
    ana = make_user("ana")
    page = client.get(link_for(ana))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Stop notification emails?</h1>" in html
    assert '<form method="post">' in html
    assert '<button type="submit" class="button button-primary">Unsubscribe from notification ' \
           'emails</button>' in html
    client.get(link_for(ana))
    assert choice("ana") == "immediate"


def test_one_click_post_without_csrf_unsubscribes(app, client):
    ana = make_user("ana")
    make_user("ben")
    response = client.post(link_for(ana), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 302
    assert choice("ana") == "none" and choice("ben") == "immediate"
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>You won't get notification emails any more</h1>" in done
    assert 'href="/settings/notifications"' in done


def test_the_button_on_the_page_unsubscribes(app, browser):
    ana = make_user("ana")
    response = browser.submit(link_for(ana), {})
    assert response.status_code == 302 and choice("ana") == "none"


def test_csrf_is_still_checked_everywhere_else(app, client):
    make_user("ana")
    assert client.post("/logout").status_code == 400


def test_a_tampered_or_foreign_token_is_refused_and_changes_nothing(app, client):
    ana = make_user("ana")
    good = mail.unsubscribe_token(ana.id)
    other_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="something else")
    other_key = URLSafeSerializer("not the key", salt="forum.mail.unsubscribe")
    for token in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
                  other_salt.dumps([ana.id, "notifications"]),
                  other_key.dumps([ana.id, "notifications"]),
                  URLSafeSerializer(app.config["SECRET_KEY"], salt="forum.mail.unsubscribe")
                  .dumps([ana.id, "something else"]),
                  "nonsense"):
        for response in (client.get(f"/unsubscribe/{token}"),
                         client.post(f"/unsubscribe/{token}")):
            assert response.status_code == 404
            assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert choice("ana") == "immediate"


def test_a_deleted_members_link_is_refused(app, client):
    ana = make_user("ana")
    link = link_for(ana)
    db.session.delete(ana)
    db.session.commit()
    assert client.post(link).status_code == 404
