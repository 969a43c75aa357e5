"""Health safety in writing (issue #14): crisis language shows the author helplines and
tells moderators, personal information is warned about, links to watched domains wait
for a moderator. Through HTTP, on SQLite and Postgres."""

import pytest
from sqlalchemy import func, select

from forum import community
from forum.domain import safety
from forum.extensions import db
from forum.models import ModerationEvent, Post, SafetyAlert, Thread

from . import factories

CRISIS = "Some days I feel I want to die, honestly."
CALM = "Some days are hard, honestly, but the walks help."


@pytest.fixture
def category(app):
    return factories.make_category()


@pytest.fixture
def thread(member, category):
    return factories.make_discussion(member, category)


def _alerts():
    db.session.expire_all()
    return db.session.scalars(select(SafetyAlert)).all()


def _posts():
    db.session.expire_all()
    return db.session.scalar(select(func.count(Post.id)))


# -- matching ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "found"), [
    ("I want to Kill   MYSELF!", ["kill myself"]),
    ("kill-myself", ["kill myself"]),
    ("I don’t want to live like this", ["don't want to live"]),
    ("Quiero MORÍR.", ["quiero morir"]),
    ("thinking about SUICIDE today", ["suicide"]),
    ("suicidesquad is a film", []),
    ("skill myselfie", []),
    ("the killer in myself", []),
    ("", []),
])
def test_crisis_phrases_are_whole_words_case_and_accents_folded(app, text, found):
    with app.test_request_context():
        assert safety.crisis_phrases(text) == found


@pytest.mark.parametrize(("text", "kind", "part"), [
    ("write to jo.bloggs@example.org please", "email", "jo.bloggs@example.org"),
    ("ring me on 07700 900123", "phone", "07700 900123"),
    ("or +44 7700 900123", "phone", "+44 7700 900123"),
    ("office 020 7946 0000", "phone", "020 7946 0000"),
    ("US: (555) 555-0100", "phone", "(555) 555-0100"),
    ("US: 555-555-0100", "phone", "555-555-0100"),
    ("US: +1 202 555 0100", "phone", "+1 202 555 0100"),
    ("Spain: +34 612 345 678", "phone", "+34 612 345 678"),
    ("I live at SW1A 1AA", "postcode", "SW1A 1AA"),
    ("near M1 1AE", "postcode", "M1 1AE"),
    ("my NHS number is 943 476 5919", "nhs", "943 476 5919"),
    ("NHS 9434765919", "nhs", "9434765919"),
    ("I was born 12/03/1975", "birth", "12/03/1975"),
    ("DOB: 3 March 1975", "birth", "3 March 1975"),
    ("my birthday is March 3, 1975", "birth", "March 3, 1975"),
])
def test_personal_information_is_found(app, text, kind, part):
    findings = safety.personal_info(text)
    assert [(f.kind, text[f.start:f.end]) for f in findings] == [(kind, part)]


@pytest.mark.parametrize("text", [
    "my number is 943 476 5918",  # fails the NHS checksum
    "1234567890",
    "doi:10.1038/s41586-020-2012-7",
    "PMID: 27145057",
    "https://pubmed.ncbi.nlm.nih.gov/27145057/",
    "https://example.org/a/12345678901234",
    "diagnosed in 2019, relapse 2015-2019",
    "200 mg twice a day, 1000 IU of vitamin D",
    "at 10:30 and again at 22:15",
    "on 12/03/2020 I started ocrelizumab",  # a bare date is not a birth date
    "B12 2nd dose",
    "an EDSS of 3.5, 25 ft walk in 6.2 seconds",
    "a ratio of 1.5-2.0 and 0.5 mg",
    "email me at jo at example dot org",
    "MS is 1 in 300 people in the UK",
    "",
])
def test_no_false_personal_information(app, text):
    assert safety.personal_info(text) == []


def test_marked_text_is_escaped_with_marks(app):
    value = "<script>x</script> jo@example.org"
    marked = str(safety.marked(value, safety.personal_info(value)))
    assert marked == "&lt;script&gt;x&lt;/script&gt; <mark>jo@example.org</mark>"


# -- the check on each writing form --------------------------------------------------------

def _forms(thread, category, member_post_id):
    return {
        "reply": (f"/t/{thread.id}", f"/t/{thread.id}/reply", {}),
        "edit": (f"/p/{member_post_id}/edit", None, {}),
        "discussion": (f"/c/{category.slug}/new", None, {"title": "A hard week for me"}),
        "article": ("/articles/new", None, {"title": "Living with fatigue", "summary":
                                            "What helps, and what the research says.",
                                            "disclosure": "none"}),
    }


@pytest.fixture
def writer(app, expert, category, thread):
    """An expert (who may write on every form) with a reply of their own to edit."""
    reply = factories.add_reply(thread, expert, "My first reply.")
    browser = factories_browser(app, expert)
    return browser, _forms(thread, category, reply.id)


def factories_browser(app, user):
    from .conftest import Browser
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


@pytest.mark.parametrize("form", ["reply", "edit", "discussion", "article"])
def test_crisis_language_shows_the_helplines_then_post_as_written(writer, form):
    browser, forms = writer
    page, action, fields = forms[form]
    before = _posts()
    shown = browser.submit(page, {**fields, "body": CRISIS}, action=action)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Samaritans" in html and 'href="tel:116123"' in html and "988" in html
    assert html.index("Samaritans") < html.index("988 Suicide")  # the region's first (UK)
    assert "want to die, honestly.</textarea>" in html  # the text is kept
    assert 'name="confirmed"' in html
    assert _posts() == before and _alerts() == []
    sent = browser.submit(page, {**fields, "body": CRISIS, "confirmed": "Post as written"},
                          action=action)
    assert sent.status_code == 302
    alerts = _alerts()
    assert len(alerts) == 1 and alerts[0].kind == "crisis"
    assert alerts[0].detail == "want to die"
    assert alerts[0].post.body_source == CRISIS and not alerts[0].post.is_held


@pytest.mark.parametrize("form", ["reply", "discussion"])
def test_changed_text_without_crisis_language_posts_without_alert(writer, form):
    browser, forms = writer
    page, action, fields = forms[form]
    browser.submit(page, {**fields, "body": CRISIS}, action=action)
    sent = browser.submit(page, {**fields, "body": CALM}, action=action)
    assert sent.status_code == 302
    assert _alerts() == []


def test_a_phrase_inside_a_word_does_not_check(writer):
    browser, forms = writer
    page, action, _ = forms["reply"]
    sent = browser.submit(page, {"body": "Watching suicidesquad tonight."}, action=action)
    assert sent.status_code == 302 and _alerts() == []


def test_personal_information_on_preview_and_submit(writer):
    browser, forms = writer
    page, action, _ = forms["reply"]
    body = "Call me on 07700 900123, NHS 943 476 5919, not 943 476 5918."
    preview = browser.submit(page, {"body": body, "preview": "Preview"}, action=action)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "This will be public" in html
    assert "<mark>07700 900123</mark>" in html and "<mark>943 476 5919</mark>" in html
    assert "<mark>943 476 5918</mark>" not in html
    assert 'name="confirmed"' not in html  # a preview publishes nothing
    before = _posts()
    checked = browser.submit(page, {"body": body}, action=action)
    assert checked.status_code == 200 and "<mark>07700 900123</mark>" in checked.get_data(
        as_text=True)
    assert _posts() == before
    sent = browser.submit(page, {"body": body, "confirmed": "Post as written"}, action=action)
    assert sent.status_code == 302 and _posts() == before + 1
    assert _alerts() == []  # personal information is the author's choice: no alert


def test_no_warning_for_a_failing_nhs_number(writer):
    browser, forms = writer
    page, action, _ = forms["reply"]
    sent = browser.submit(page, {"body": "My code is 943 476 5918."}, action=action)
    assert sent.status_code == 302


def test_an_edit_that_adds_crisis_language_raises_one_alert(app, member, thread):
    browser = factories_browser(app, member)
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    data = {"title": thread.title, "body": CRISIS, "confirmed": "1"}
    assert browser.submit(f"/p/{post.id}/edit", data).status_code == 302
    assert browser.submit(f"/p/{post.id}/edit", {**data, "body": CRISIS + " Still."}
                          ).status_code == 302
    assert len(_alerts()) == 1


# -- watched domains -----------------------------------------------------------------------

@pytest.fixture
def watched(app, admin):
    with app.test_request_context():
        community.save(admin, {"WATCHED_DOMAINS": "# clinics\nstemcell-cure.example\n"})


@pytest.mark.parametrize("role", ["member", "moderator"])
@pytest.mark.parametrize(("link", "held"), [
    ("https://stemcell-cure.example/offer", True),
    ("see https://shop.stemcell-cure.example for prices", True),
    ("[cure](http://WWW.Stemcell-Cure.example)", True),
    ("https://notstemcell-cure.example/", False),
    ("https://stemcell-cure.example.org/", False),
])
def test_a_link_to_a_watched_domain_is_held(app, watched, thread, role, link, held):
    user = factories.make_user(f"writer_{role}", role=role)
    browser = factories_browser(app, user)
    sent = browser.submit(f"/t/{thread.id}", {"body": f"Look: {link}"},
                          action=f"/t/{thread.id}/reply", follow_redirects=True)
    html = sent.get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.author_id == user.id))
    assert post.is_held is held
    if held:
        assert post.held_reason == "links to a watched domain: stemcell-cure.example"
        assert "It links to a watched domain: stemcell-cure.example." in html
    else:
        assert post.held_reason == ""


def test_an_edit_adding_a_watched_link_is_held_and_the_queue_says_why(
        app, watched, member, thread, moderator_browser):
    browser = factories_browser(app, member)
    reply = factories.add_reply(thread, member, "No links here.")
    assert not reply.is_held
    sent = browser.submit(f"/p/{reply.id}/edit", {"body": "https://stemcell-cure.example"})
    assert sent.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, reply.id).is_held
    queue = moderator_browser.get("/mod").get_data(as_text=True)
    assert "Held because: It links to a watched domain: stemcell-cure.example." in queue


def test_a_new_discussion_linking_a_watched_domain_waits(app, watched, category, moderator):
    browser = factories_browser(app, moderator)
    sent = browser.submit(f"/c/{category.slug}/new", {
        "title": "A clinic I heard of", "body": "https://stemcell-cure.example"})
    assert sent.status_code == 302
    db.session.expire_all()
    thread = db.session.scalar(select(Thread).where(Thread.title == "A clinic I heard of"))
    assert thread.hidden_at is not None


# -- the admin lists -----------------------------------------------------------------------

@pytest.fixture
def admin_browser(app, admin):
    return factories_browser(app, admin)


def _lists(**changes):
    data = {"CRISIS_PHRASES": "want to die\n", "HELPLINE_REGION": "UK",
            "HELPLINES": "UK | Samaritans | 116 123 | samaritans.org | 24 hours\n"
                         "US | 988 Lifeline | 988 | https://988lifeline.org | 24 hours",
            "WATCHED_DOMAINS": "stemcell-cure.example"}
    return {**data, **changes}


def test_admin_saves_the_lists_and_they_are_logged(app, admin_browser, member_browser):
    assert "Safety lists" in admin_browser.get("/admin/settings").get_data(as_text=True)
    sent = admin_browser.submit("/admin/safety", _lists(
        CRISIS_PHRASES="feeling hopeless\n", HELPLINE_REGION="US"))
    assert sent.status_code == 302
    with app.test_request_context():
        assert community.get_lines("CRISIS_PHRASES") == ["feeling hopeless"]
        assert community.get("HELPLINE_REGION") == "US"
    logged = db.session.scalars(select(ModerationEvent.reason).where(
        ModerationEvent.action == "setting")).all()
    assert {"Crisis phrases", "Helplines", "Helpline region", "Watched domains"} <= set(logged)
    assert member_browser.get("/admin/safety").status_code == 403


@pytest.mark.parametrize(("changes", "message"), [
    ({"HELPLINES": "UK | Samaritans | 116 123 | samaritans.org | 24 hours\nUK | no parts"},
     "Line 2 is not a helpline"),
    ({"HELPLINES": "UK | Samaritans |  |  | 24 hours"}, "Line 1 is not a helpline"),
    ({"HELPLINES": "UK | Samaritans | 1 | javascript:alert(1) | x"}, "Line 1 is not a helpline"),
    ({"HELPLINE_REGION": "Mars"}, "Choose one of the regions"),
    ({"WATCHED_DOMAINS": "good.example\nnot a domain"}, "Line 2 is not a host name"),
    ({"WATCHED_DOMAINS": "http://"}, "Line 1 is not a host name"),
])
def test_admin_lists_refuse_bad_lines_and_keep_the_text(app, admin_browser, changes, message):
    sent = admin_browser.submit("/admin/safety", _lists(**changes))
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and message in html
    for key, value in changes.items():
        if key != "HELPLINE_REGION":  # a choice, not a text to keep
                assert value.split("\n")[-1] in html.replace("&#39;", "'")
    with app.test_request_context():
        assert community.get_lines("WATCHED_DOMAINS") == []  # nothing half saved
