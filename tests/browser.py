"""Support for test_browser.py: Chromium through Playwright, axe-core, and the checks each
page goes through (the app is served by tests/live.py).

Playwright and axe-playwright-python are imported only once a browser test runs, so the
rest of the suite collects and runs without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.live import ARTIFACTS, csrf_token_of, in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = ARTIFACTS / "screenshots"
WIDE, NARROW, REFLOW = 1280, 375, 320
HEIGHT = 900


def require_browser() -> None:
    """Skip when there is no browser to drive; under CI fail instead, so that the checks
    can never quietly stop running."""
    missing = []
    for module in ("playwright.sync_api", "axe_playwright_python"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module.split('.')[0]} (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        reason = "the browser tests need " + " and ".join(missing)
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so this fails rather than skips", pytrace=False)
        pytest.skip(reason)


def axe_source() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


# -- one person's browser tab ---------------------------------------------------------

class Visitor:
    """A browser context (its own cookies) with one page, and what its console reported."""

    def __init__(self, browser, base: str, axe_js: str, locale: str = "en-GB"):
        self.base = base
        self.axe_js = axe_js
        # The locale is the browser's Accept-Language, which picks the pages' language.
        self.context = browser.new_context(
            base_url=base, viewport={"width": WIDE, "height": HEIGHT}, reduced_motion="reduce",
            locale=locale)
        # axe-core goes into every document as it is created: cheaper than sending it to
        # each page afterwards, and the page's own CSP does not apply to it.
        self.context.add_init_script(axe_js)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.csp_reports: list[str] = []
        self.script_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.script_errors.append(
            f"{self.page.url}: {error}"))

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_reports.append(f"{self.page.url}: {message.text}")

    def close(self) -> None:
        self.context.close()

    def open(self, path: str, status: int = 200):
        self.page.set_viewport_size({"width": WIDE, "height": HEIGHT})
        response = self.page.goto(path)
        assert response is not None, path
        assert response.status == status, f"GET {path}: {response.status}, expected {status}"
        return response

    # Form posts without the page, for setting things up quickly (the keyboard journeys
    # are in the tests themselves).
    def post_form(self, form_path: str, data: dict, action: str | None = None):
        token = csrf_token_of(self.context.request.get(form_path).text())
        return self.context.request.post(action or form_path,
                                         form={"csrf_token": token, **data})

    def sign_in(self, username: str, password: str) -> None:
        response = self.post_form("/login", {"username": username, "password": password})
        assert 'action="/logout"' in response.text(), f"{username} could not sign in"

    def choose_reading(self, text_size: str = "largest", high_contrast: bool = True,
                       energy_saver: bool = False) -> None:
        data = {"text_size": text_size}
        if high_contrast:
            data["high_contrast"] = "y"
        if energy_saver:
            data["energy_saver"] = "y"
        response = self.post_form("/settings/preferences", data)
        assert response.ok, response.status

    # -- checks of the page as it is now --------------------------------------------

    def axe(self) -> list[dict]:
        """axe-core's violations for the WCAG 2.0-2.2 A and AA rules."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(self.axe_js)
        return self.page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']})
                        .then(results => results.violations)""",
            WCAG_TAGS,
        )

    def resize(self, width: int) -> None:
        self.page.set_viewport_size({"width": width, "height": HEIGHT})

    def overflow(self) -> str | None:
        """Why the page scrolls sideways at this width, or None when it does not."""
        return self.page.evaluate(OVERFLOW_JS)

    def zoom_text(self, factor: float) -> None:
        """Text-only zoom, as a person sets it in the browser: the default font size
        times `factor` (1 for the usual 16 px). The forum sizes text and layout in rem
        and %, so everything follows it."""
        if not hasattr(self, "_cdp"):
            self._cdp = self.context.new_cdp_session(self.page)
        before = self.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        self._cdp.send("Page.setFontSizes", {"fontSizes": {
            "standard": round(16 * factor), "fixed": round(13 * factor)}})
        # The new size reaches the page a frame or two later; wait for it and for layout.
        if factor != 1:
            self.page.wait_for_function(
                "before => parseFloat(getComputedStyle(document.body).fontSize) > before",
                arg=before)
        self.page.evaluate("() => new Promise(done => requestAnimationFrame("
                           "() => requestAnimationFrame(done)))")

    def small_primary_buttons(self) -> list[str]:
        return self.page.evaluate(SMALL_PRIMARY_JS)

    def focused(self, predicate: str = "false") -> dict:
        """What has the focus, whether its focus ring shows, and whether it satisfies the
        JavaScript expression `predicate` (about the focused element `e`)."""
        return self.page.evaluate(FOCUSED_JS.replace("__MATCH__", predicate))

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                             animations="disabled", caret="hide")

    # -- the keyboard ----------------------------------------------------------------

    def tab_to(self, predicate: str, trail: list[dict], most: int = 150,
               backwards: bool = False) -> dict:
        """Press Tab until the focused element `e` satisfies the JavaScript `predicate`;
        every element passed on the way is added to `trail`."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(most):
            self.page.keyboard.press(key)
            focus = self.focused(predicate)
            trail.append(focus)
            if focus["match"]:
                return focus
        raise AssertionError(f"{most} presses of {key} never reached {predicate}; "
                             f"the last focus was {trail[-1]}")

    def press_and_wait(self, key: str) -> None:
        """Press a key that submits a form or follows a link, and wait for the new page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def focus_without_ring(trail: list[dict]) -> list[str]:
    return sorted({f["what"] for f in trail if f["what"] != "body" and not f["ring"]})


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        shown = ", ".join(targets[:8]) + (f" and {len(targets) - 8} more" if len(targets) > 8
                                          else "")
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
                     f"    at {shown}")
        summary = (violation["nodes"][0].get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"    first: {summary[:300]}")
    return "\n".join(lines)


INLINE_SCRIPT_RE = re.compile(r"<script\b(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE_RE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=[^>]*>")
STYLE_ELEMENT_RE = re.compile(r"<style\b", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Inline scripts and styles in the page's HTML (the CSP refuses them)."""
    found = []
    for pattern in (INLINE_SCRIPT_RE, STYLE_ATTRIBUTE_RE, STYLE_ELEMENT_RE):
        found += [match.group(0)[:120] for match in pattern.finditer(html)]
    return found


@dataclass
class Problems:
    """Failures gathered across many pages, reported together at the end of a test."""

    found: dict[str, list[str]] = field(default_factory=dict)

    def add(self, check: str, where: str, detail: str = "") -> None:
        self.found.setdefault(check, []).append(f"{where}{': ' if detail else ''}{detail}")

    def report(self) -> str:
        parts = []
        for check, items in self.found.items():
            parts.append(f"{check} ({len(items)}):")
            parts += [f"- {item}" for item in items]
        return "\n".join(parts)

    def __bool__(self) -> bool:
        return bool(self.found)


OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth + 1) return null;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (typeof e.className === 'string' && e.className.trim()
         ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const wide = [...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
      .filter(e => !e.parentElement ||
                   e.parentElement.getBoundingClientRect().right <= root.clientWidth + 1)
      .slice(0, 5)
      .map(e => `${name(e)} (right edge ${Math.round(e.getBoundingClientRect().right)}px)`);
  return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}; ` +
         (wide.join(', ') || 'no single element found');
}"""

SMALL_PRIMARY_JS = """() => [...document.querySelectorAll('.button-primary')]
  .filter(e => e.getClientRects().length)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44)
  .map(([e, r]) => `"${(e.innerText || e.value || '').trim()}" is ` +
                   `${Math.round(r.width)}x${Math.round(r.height)}`)"""

FOCUSED_JS = """async () => {
  // Chromium can report the style from before the focus moved for a frame or two.
  for (let frame = 0; frame < 3; frame++) {
    await new Promise(resolve => requestAnimationFrame(() => resolve()));
  }
  const e = document.activeElement;
  if (!e || e === document.body) return {what: 'body', ring: false, match: false};
  let match = false;
  try { match = !!(__MATCH__); } catch (error) { match = false; }
  const style = getComputedStyle(e);
  const rect = e.getBoundingClientRect();
  const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim();
  const what = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (e.name ? `[name=${e.name}]` : '') + (text ? ` "${text.slice(0, 40)}"` : '');
  return {
    what, match, tag: e.tagName.toLowerCase(), id: e.id, text: text.slice(0, 80),
    href: e.getAttribute('href'), className: String(e.className || ''),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    onScreen: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 &&
              rect.top < innerHeight && rect.left < innerWidth,
    inMain: !!e.closest('main'),
  };
}"""
