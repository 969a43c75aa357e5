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
