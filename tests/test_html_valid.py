"""Every page is valid HTML by the W3C Nu HTML Checker (vnu.jar, the checker behind
validator.w3.org/nu), the way an outside validator sees the forum.

The pages are those the browser suite visits (its PAGES, each as every role that can reach
it, on the same demo community), plus what only a form post shows: forms returned with
their errors, previews, the error pages and the kept-text pages. They are fetched with the
Flask test client, as each role, and all checked in one run of the checker (one JVM start,
a few seconds, rather than one per page).

The checker comes from npm (`vnu-jar`, pinned in package.json and package-lock.json;
`make test` runs `npm ci` when node_modules/ is missing) and runs on the machine's Java.
Without them the checker test skips, except under CI (CI=true), where it fails.

Errors fail the test; warnings are printed and reported as pytest warnings but do not
fail: the checker's warnings are advice that changes between its releases (it has
warned about things HTML allows), and a new release must not break the suite by itself.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from datetime import UTC
from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
from sqlalchemy.exc import OperationalError

from forum import create_app
from forum.domain.posts import add_reply
from forum.extensions import csrf, db
from forum.models import Post, Thread
from tests import test_browser
from tests.conftest import Browser
from tests.live import ROOT, in_ci
from tests.test_browser import ACCOUNTS, PAGES, PASSWORDS, ROLES

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# The browser suite's demo community (its fixture, loaded afresh for each test).
demo = test_browser.demo

# A body that uses every kind of markup the forum renders, for the previews.
RICH_BODY = """# A heading

Some *emphasis*, **strong**, `code`, a link to https://www.mssociety.org.uk and
[one with text](https://example.org/a?b=1&c=2).

## A smaller heading

> A quotation
> over two lines.

- one
- two

1. first
2. second

| Drug | Dose |
| --- | --- |
| a | 1 |

```
code block <with> & signs
```

---

Last line with an ampersand & a <script>alert(1)</script> attempt.
"""


@dataclass
class Page:
    label: str  # what it is, the path and the role: how a failure names it
    html: str


class Pages:
    """Pages gathered for one run of the checker."""

    def __init__(self) -> None:
        self.items: list[Page] = []

    def add(self, label: str, response, status: int = 200) -> str:
        html = response.get_data(as_text=True)
        where = f"{label}: {response.request.method} {response.request.path}"
        assert response.status_code == status, (
            f"{where} answered {response.status_code}, expected {status}")
        assert response.mimetype == "text/html", f"{where} is {response.mimetype}"
        self.items.append(Page(where, html))
        return html


def signed_in(app, role: str) -> Browser:
    browser = Browser(app.test_client())
    if role != "anonymous":
        browser.login(ACCOUNTS[role], PASSWORDS[ACCOUNTS[role]])
    return browser


def collect(app, demo) -> list[Page]:
    pages = Pages()
    for role in ROLES:
        browser = signed_in(app, role)
        paths = demo.paths(role)
        for page in PAGES:
            if role in page.roles:
                path = page.path.format(**paths)
                pages.add(f"{page.name} as {role}", browser.get(path), page.status)
        for label, response, status in WHAT_FORMS_SHOW[role](browser, demo):
            pages.add(f"{label} as {role}", response, status)
    pages.add("sign-in code errors", *two_step_pages(app, pages))
    pages.add("a form the database refused, text kept", *refused_by_the_database())
    return pages.items


# -- what only a form post shows, per role --------------------------------------------

def anonymous_forms(browser: Browser, demo):
    yield "sign-in errors", browser.submit("/login", {}), 200
    yield "wrong password", browser.submit(
        "/login", {"username": ACCOUNTS["member"], "password": "not the password"}), 200
    yield "register errors", browser.submit("/register", {"email": "not an address"}), 200
    yield "password reset", browser.get("/reset"), 200
    yield "password reset errors", browser.submit("/reset", {"email": ""}), 200
    yield "expired form, nothing typed (400)", browser.client.post(
        "/login", data={"username": "x", "csrf_token": "expired"}), 400
    yield "method not allowed (405)", browser.get("/logout"), 405
    yield "no such post (404)", browser.get(f"/p/{demo.others_post + 10_000}"), 404
    yield "a reset link that does not work", browser.get("/reset/not-a-token",
                                                         follow_redirects=True), 200
    yield "a confirmation link that does not work", browser.get(
        "/confirm/not-a-token", follow_redirects=True), 200


def member_forms(browser: Browser, demo):
    thread, post = demo.partner, demo.own_post["member"]
    yield "reply errors", browser.submit(f"/t/{thread}", {"body": ""},
                                         action=f"/t/{thread}/reply"), 200
    yield "reply preview", browser.submit(f"/t/{thread}", {"body": RICH_BODY, "preview": "y"},
                                          action=f"/t/{thread}/reply"), 200
    yield "reply posted", browser.submit(
        f"/t/{thread}", {"body": RICH_BODY}, action=f"/t/{thread}/reply",
        follow_redirects=True), 200
    new = "/c/living-with-ms/new"
    yield "new discussion errors", browser.submit(new, {"title": "", "body": ""}), 200
    yield "new discussion preview", browser.submit(
        new, {"title": "Cooling vests", "body": RICH_BODY, "tags": "heat", "preview": "y"}), 200
    yield "edit errors", browser.submit(f"/p/{post}/edit", {"body": ""}), 200
    yield "edit preview", browser.submit(f"/p/{post}/edit",
                                         {"body": RICH_BODY, "preview": "y"}), 200
    yield "edited post's history", browser.get(f"/p/{post}/history"), 200
    yield "report errors", browser.submit(f"/p/{demo.others_post}/flag", {}), 400
    yield "report sent", browser.submit(
        f"/p/{demo.others_post}/flag", {"reason": "spam", "note": "An advert."},
        follow_redirects=True), 200
    yield "my reports", browser.get("/reports"), 200
    yield "a post that helped, with its count", browser.submit(
        f"/t/{thread}", {}, action=f"/p/{demo.others_post}/helpful", follow_redirects=True), 200
    # The moderator's post helped this member: the moderator sees who (moderator_forms).
    browser.submit(f"/t/{thread}", {}, action=f"/p/{demo.own_post['moderator']}/helpful")
    yield "report a member", browser.get("/u/prof_k/report"), 200
    yield "report a member, errors", browser.submit("/u/prof_k/report", {}), 200
    yield "profile errors", browser.submit("/settings", {"display_name": "x" * 300}), 200
    yield "password change errors", browser.submit("/settings", {},
                                                   action="/settings/password"), 200
    yield "email change errors", browser.submit("/settings", {"new_email": "nope"},
                                                action="/settings/email"), 200
    yield "ask to be verified", browser.get("/settings/verification"), 200
    yield "verification errors", browser.submit("/settings/verification", {}), 200
    yield "delete account", browser.get("/settings/delete"), 200
    yield "delete account errors", browser.submit("/settings/delete", {}), 200
    yield "not allowed (403)", browser.get("/mod"), 403
    yield "expired form, text kept (400)", browser.client.post(
        f"/t/{thread}/reply", data={"body": "Two paragraphs.\n\nKept.", "csrf_token": "expired"},
        headers={"Origin": "http://localhost"}), 400
    yield from unread_pages(browser, demo)


def unread_pages(browser: Browser, demo):
    """Marking read, then a thread list with a new post and the thread page's divider."""
    thread = demo.partner
    yield "category marked read", browser.submit(
        "/c/living-with-ms", {}, action="/c/living-with-ms/mark-read", follow_redirects=True), 200
    yield "everything marked read", browser.submit(
        "/", {}, action="/mark-read", follow_redirects=True), 200
    others_post = db.session.get(Post, demo.others_post)
    add_reply(others_post.thread, others_post.author, "Something new since.")
    yield "a thread list with new posts", browser.get("/c/living-with-ms"), 200
    page = browser.get(f"/t/{thread}/latest", follow_redirects=True)
    assert "New since your last visit" in page.get_data(as_text=True)
    yield "a thread's first unread post", page, 200


def expert_forms(browser: Browser, demo):
    yield "new article errors", browser.submit("/articles/new", {}), 200
    yield "new article preview", browser.submit("/articles/new", {
        "title": "Vitamin D and MS", "summary": "What the trials say.", "body": RICH_BODY,
        "tags": "vitamin-d", "references": "Smith J. A trial. doi:10.1000/xyz123\nPMID: 12345678",
        "disclosure": "None.", "preview": "y"}), 200
    yield "new article, the writing check", browser.submit("/articles/new", {
        "title": "Vitamin D and MS", "summary": "What the trials say.",
        "body": "Some weeks I want to die. Ring me on 07700 900123.", "tags": "vitamin-d",
        "references": "Smith J. A trial. doi:10.1000/xyz123", "disclosure": "None."}), 200


def moderator_forms(browser: Browser, demo):
    yield "lock errors", browser.submit(f"/t/{demo.partner}", {"reason": ""},
                                        action=f"/t/{demo.partner}/lock",
                                        follow_redirects=True), 200
    yield "thread locked", browser.submit(
        f"/t/{demo.partner}", {"reason": "Resolved, thank you."},
        action=f"/t/{demo.partner}/lock", follow_redirects=True), 200
    yield "post history", browser.get(f"/p/{demo.own_post['admin']}/history"), 200
    yield "an answer marked, linked under the opening post", browser.submit(
        f"/t/{demo.partner}", {}, action=f"/p/{demo.others_post}/answer",
        follow_redirects=True), 200
    yield "own post, with who it helped", browser.get(
        f"/p/{demo.own_post['moderator']}", follow_redirects=True), 200
    yield "answered threads", browser.get("/c/living-with-ms?answered=yes"), 200
    yield "unanswered threads", browser.get("/c/living-with-ms?answered=no&page=1"), 200


def admin_forms(browser: Browser, demo):
    yield "new category errors", browser.submit("/admin/categories", {}), 200
    yield "new label errors", browser.submit("/admin/labels", {}), 200
    yield "community settings errors", browser.submit("/admin/settings",
                                                      {"HOLD_FIRST_POSTS": "99"}), 200
    yield "safety lists", browser.get("/admin/safety"), 200
    yield "safety lists errors", browser.submit("/admin/safety", {
        "HELPLINES": "UK | no parts", "WATCHED_DOMAINS": "not a domain"}), 200


WHAT_FORMS_SHOW = {"anonymous": anonymous_forms, "member": member_forms,
                   "expert": expert_forms, "moderator": moderator_forms,
                   "admin": admin_forms}


def two_step_pages(app, pages: Pages):
    """Turning two-step sign-in on, the recovery codes, and signing in with a code
    (a wrong one first). Returns the last page for the caller to add."""
    username = "tea_and_toast"
    browser = Browser(app.test_client())
    browser.login(username, PASSWORDS[username])
    setup = pages.add("two-step set-up", browser.get("/settings/two-factor"))
    secret = re.search(r'<code class="secret">([^<]+)</code>', setup).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    pages.add("two-step set-up errors", browser.submit(
        "/settings/two-factor", {"code": "000000", "password": "wrong"},
        action="/settings/two-factor/enable"))
    pages.add("recovery codes", browser.submit(
        "/settings/two-factor", {"code": totp.now(), "password": PASSWORDS[username]},
        action="/settings/two-factor/enable"))
    pages.add("two-step on", browser.get("/settings/two-factor"))
    browser.logout()
    code_page = browser.submit("/login", {"username": username,
                                          "password": PASSWORDS[username]},
                               follow_redirects=True)
    pages.add("sign-in code", code_page)
    return browser.submit("/login/code", {"code": "123"}), 200


def refused_by_the_database():
    """The page that gives back a form's text when the database cannot save it (503)."""
    app = create_app({"TESTING": False})

    def write():
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    app.add_url_rule("/write", view_func=csrf.exempt(write), methods=["POST"])
    return app.test_client().post(
        "/write", data={"body": "My first month.\n\nIt went well.", "submission": "x" * 24},
        headers={"Origin": "http://localhost"}), 503


# -- the checker ------------------------------------------------------------------------

def checker() -> list[str]:
    """The command that runs vnu.jar; skips (fails under CI) when it cannot run."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("Java 11 or newer (apt-get install openjdk-17-jre-headless)")
    if not VNU_JAR.exists():
        missing.append(f"{VNU_JAR.relative_to(ROOT)} (npm ci, which `make test` runs)")
    if missing:
        reason = "the HTML checker needs " + " and ".join(missing)
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so this fails rather than skips", pytrace=False)
        pytest.skip(reason)
    # A short run: the quick compiler alone and the serial collector take about 60 % less
    # CPU than the JVM's defaults; the quick compiler's deeper stack needs more than the
    # 512k the checker asks for.
    return [java, "-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar",
            str(VNU_JAR), "--format", "json", "--stdout"]


def run_checker(pages: list[Page], folder: Path) -> list[tuple[Page, dict]]:
    """(page, message) for everything the checker says about the pages."""
    command = checker()
    by_name = {}
    for n, page in enumerate(pages):
        path = folder / f"page-{n:03}.html"
        path.write_text(page.html, encoding="utf-8")
        by_name[path.name] = page
    result = subprocess.run([*command, *(str(folder / name) for name in by_name)],
                            capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the checker gave no report (exit {result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}", pytrace=False)
    found = []
    for message in messages:
        name = message.get("url", "").rsplit("/", 1)[-1]
        found.append((by_name.get(name, Page(name or "(no page)", "")), message))
    return found


def describe(page: Page, message: dict) -> str:
    line = message.get("lastLine") or message.get("firstLine")
    extract = " ".join(message.get("extract", "").split())
    return (f"{page.label}, line {line}: {message['message']}"
            + (f"\n    {extract[:160]}" if extract else ""))


def is_error(message: dict) -> bool:
    # "non-document-error": the checker could not read a page, which is no pass either.
    return message["type"] in ("error", "non-document-error")


def test_every_page_type_and_role_is_valid_html(app, demo, tmp_path):
    checker()  # before the pages are fetched: skip or fail at once
    pages = collect(app, demo)
    found = run_checker(pages, tmp_path)
    errors = [describe(page, message) for page, message in found if is_error(message)]
    advice = [describe(page, message) for page, message in found
              if message.get("subType") == "warning"]
    if advice:
        print("The HTML checker's warnings:\n" + "\n".join(advice))
        warnings.warn(f"the HTML checker warns {len(advice)} times; the first: {advice[0]}",
                      stacklevel=1)
    assert not errors, (f"The HTML checker found {len(errors)} errors on {len(pages)} pages:\n"
                        + "\n".join(errors))


# -- the errors it found, checked without Java too ----------------------------------

VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class Outline(HTMLParser):
    """The page's headings, its <time datetime> values and its ids."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = []
        self.datetimes: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
        elif tag == "time":
            self.datetimes += [value for name, value in attrs if name == "datetime"]


def test_time_elements_heading_levels_and_ids_on_every_page(app, demo):
    """Each <time datetime> is a UTC time to the second ("2026-11-24T09:30:00Z"), never
    Python's six fraction digits, no heading skips a level and no id is used twice: the
    errors the checker found across the forum, checked here even where Java is missing."""
    problems = []
    pages = collect(app, demo)
    for page in pages:
        outline = Outline()
        outline.feed(page.html)
        problems += [f"{page.label}: <time datetime={value!r}>" for value in outline.datetimes
                     if not VALID_DATETIME.fullmatch(value)]
        problems += [f"{page.label}: h{before} is followed by h{after}"
                     for before, after in zip(outline.levels, outline.levels[1:], strict=False)
                     if after > before + 1]
        problems += [f"{page.label}: id {name!r} is used twice"
                     for name in sorted({name for name in outline.ids
                                         if outline.ids.count(name) > 1})]
    assert sum(page.html.count("<time ") for page in pages) > 50, "too few times to prove it"
    started = db.session.get(Thread, demo.fatigue).created_at.astimezone(UTC)
    thread_page = next(page for page in pages if page.label.startswith("thread as member"))
    assert f'<time datetime="{started:%Y-%m-%dT%H:%M:%S}Z">' in thread_page.html
    assert not problems, "\n".join(problems)
