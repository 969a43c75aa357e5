"""Drafts in a real browser: static/drafts.js saves the reply box while the member types
(within the CSP), and "Save draft" works with JavaScript turned off."""

from __future__ import annotations

import time

from tests.test_browser import (  # noqa: F401 (fixtures)
    ACCOUNTS,
    PASSWORDS,
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
