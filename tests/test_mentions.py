"""@mentions in forum/text.py: linked to the profile, not in code, links or addresses."""

from forum import text


def test_mention_links_to_the_profile():
    html = str(text.render("Thanks @anna_b!"))
    assert '<a class="mention" href="/u/anna_b">@anna_b</a>' in html
    assert text.mentioned_names("Thanks @Anna_B!") == {"anna_b"}


def test_no_mention_in_code_links_or_email_addresses():
    source = "`@code` and\n\n    @block\n\nme@example.org [see @eve](https://example.org)"
    html = str(text.render(source))
    assert 'class="mention"' not in html
    assert text.mentioned_names(source) == set()


def test_quoted_attribution_is_a_quote_not_a_mention():
    source = "> Rest helps.\n>\n> — @lee\n\nI agree."
    assert text.quoted_names(source) == {"lee"}
    assert text.mentioned_names(source) == set()


def test_a_mention_is_not_an_outside_link():
    assert not text.has_links(str(text.render("Hi @anna")))
    assert text.has_links(str(text.render("Hi https://example.org")))


def test_names_outside_the_rules_stay_text():
    assert 'class="mention"' not in str(text.render("@ab and @" + "x" * 31))


def test_an_edit_that_adds_a_mention_tells_only_the_new_name(app, member, other_member):
    from sqlalchemy import select

    from forum.domain.posts import add_reply, edit_post
    from forum.extensions import db
    from forum.models import Notification
    from tests.factories import make_category, make_discussion, make_user

    lee = make_user("lee")
    thread = make_discussion(member, make_category())
    post = add_reply(thread, other_member, "Hello @lee")
    edit_post(post, other_member, "Hello @lee and @maria")
    edit_post(post, other_member, "Hello @lee and @maria, again")
    db.session.expire_all()

    def kinds(user):
        return [n.kind for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id))]

    assert kinds(lee) == ["mention"]
    # maria had a REPLY for this post already: one notification per event per member.
    assert kinds(member) == ["reply"]
