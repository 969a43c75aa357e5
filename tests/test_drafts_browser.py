"""Drafts in a real browser: static/drafts.js saves the reply box while the member types
(within the CSP), "Save draft" works with JavaScript turned off, and a reply sent after
being signed out elsewhere comes back after signing in again."""

# The browser suite's fixtures are imported by name, which pytest needs and ruff reads as
# redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import time

from sqlalchemy import delete, select

from forum.extensions import db
from forum.models import User, UserSession
from tests.test_browser import (  # noqa: F401 (fixtures)
    ACCOUNTS,
    PASSWORDS,
    assert_no_axe_violations,
    axe_js,
    chromium,
    demo,
    site,
    visitors,
)

TYPED = "Typed slowly, and saved without pressing anything."


def test_the_reply_box_is_saved_in_the_background_as_the_member_types(demo, visitors):
    visitor = visitors("member")
    visitor.open(f"/t/{demo.partner}")
    visitor.page.locator("#reply textarea[name=body]").click()
    visitor.page.keyboard.type(TYPED)
    status = visitor.page.locator("#reply .draft-status")
    deadline = time.monotonic() + 15
    while "Draft saved" not in status.inner_text() and time.monotonic() < deadline:
        visitor.page.wait_for_timeout(250)
    assert "Draft saved" in status.inner_text()
    assert not visitor.csp_reports and not visitor.script_errors, (
        visitor.csp_reports, visitor.script_errors)

    # Coming back to the thread (a new page, nothing kept in the browser) shows it again.
    visitor.open(f"/t/{demo.partner}")
    assert visitor.page.locator("#reply textarea[name=body]").input_value().strip() == TYPED
    visitor.open("/drafts")
    assert TYPED in visitor.page.text_content("main")  # folded away in <details>


def test_save_draft_works_without_javascript(demo, chromium, site):
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/login")
        page.fill("#username", ACCOUNTS["member"])
        page.fill("#password", PASSWORDS[ACCOUNTS["member"]])
        page.locator("main button[type=submit]").click()
        page.goto(f"{site}/t/{demo.partner}")
        page.fill("#reply textarea[name=body]", TYPED)
        page.locator("#reply button[name=save_draft]").click()
        page.wait_for_load_state()
        assert "Your draft is saved" in page.inner_text(".flashes")
        assert page.locator("#reply textarea[name=body]").input_value().strip() == TYPED
    finally:
        context.close()


def test_signed_out_elsewhere_the_reply_comes_back_after_signing_in(demo, visitors):
    visitor = visitors("member")
    visitor.open(f"/t/{demo.partner}")
    visitor.page.fill("#reply textarea[name=body]", "Written before the password changed.")
    member = db.session.scalar(select(User).where(User.username == ACCOUNTS["member"]))
    db.session.execute(delete(UserSession).where(UserSession.user_id == member.id))
    db.session.commit()  # as a password change on another device does

    with visitor.page.expect_navigation():
        visitor.page.locator("#reply [name=submit]").click()
    assert "You were signed out" in visitor.page.inner_text("h1")
    assert_no_axe_violations(visitor, "the kept-text page for a signed-out writer")
    visitor.page.fill("#kept-username", ACCOUNTS["member"])
    visitor.page.fill("#kept-password", PASSWORDS[ACCOUNTS["member"]])
    visitor.press_and_wait("Enter")  # the default button signs in
    assert visitor.page.url.endswith(f"/t/{demo.partner}#reply")
    assert (visitor.page.locator("#reply textarea[name=body]").input_value().strip()
            == "Written before the password changed.")
