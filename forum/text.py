"""All markup handling: Markdown source in, sanitised HTML out.

This is the only module that imports bleach (deprecated upstream; keeping it
here makes a move to nh3 a one-file change). Pages print `Post.body_html` as
stored, so everything that can reach a page as HTML passes through `render`.
After a change to the allow-list, `flask --app forum text rerender` rebuilds
every stored body from its source.
"""

import re
import unicodedata
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter, build_url_re
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# Characters that have no business in stored text: NUL and the other C0/C1
# controls except tab and newline, and U+FFFE/U+FFFF, which XML cannot carry
# (one of them in a title would make the Atom feeds unreadable).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _shift_headings(state) -> None:
    # Page titles are h1 and page sections h2, so a body's headings start at h3:
    # "#" and "##" both become h3, "###" h4, and so on down to h6.
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(max(int(token.tag[1]) + 1, 3), 6)}"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # Images would load third-party content and break the CSP; "![x](y)" renders as a link.
    md.disable("image")
    md.core.ruler.push("shift_headings", _shift_headings)
    return md


def _scheme(href: str) -> str:
    scheme, colon, _ = href.partition(":")
    return scheme.strip().lower() if colon and "/" not in scheme else ""


def _set_rel(attrs, new=False):
    href = attrs.get((None, "href"), "")
    # Linkify runs after the sanitiser, so the protocol allow-list is applied here too:
    # "xmpp:me@example.com" or "ssh:me@host.org" stays text (bleach's pattern keeps
    # any "word:" in front of an address as the link's scheme).
    if new and _scheme(href) not in ALLOWED_PROTOCOLS:
        return None
    if _scheme(href) == "mailto":
        attrs.pop((None, "rel"), None)
        return attrs
    attrs[(None, "rel")] = LINK_REL
    return attrs


_md = _markdown()
# Bare addresses become links only with an allowed scheme, or none ("example.org"):
# "ssh://host", "webcal://host/cal.ics" and the rest of html5lib's long list stay
# text, host included (the look-behinds stop a match starting just after "…://").
_BARE_URL = re.compile(r"(?<!:)(?<!:/)(?<!://)" + build_url_re(protocols=ALLOWED_PROTOCOLS)
                       .pattern, re.IGNORECASE | re.VERBOSE | re.UNICODE)
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"},
                     url_re=_BARE_URL)],
)


def normalise(source: str) -> str:
    """The form of a user's text that is stored: NFC, Unix newlines, no control characters
    (nor U+FFFE/U+FFFF)."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", source))


def render(source: str) -> str:
    """Markdown to HTML that is safe to print as it is."""
    return _cleaner.clean(_md.render(normalise(source))).strip()


# An <a> that leads somewhere, in this module's own output (attributes are always
# double-quoted there, and an <a> whose href the sanitiser refused has none).
_LINK = re.compile(r"<a\s[^>]*\bhref=\"")


def has_links(html_text: str) -> bool:
    """Whether rendered HTML (`render`'s output) carries a link: a Markdown link, a
    reference link ("[x][1]" with "[1]: http://…") and a bare address ("example.com")
    alike, since all of them are decided here, by the renderer that makes them."""
    return bool(_LINK.search(html_text))


# Where one block of text ends and the next begins, so "</p><p>" leaves a space.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|li|ul|ol|h[1-6]|blockquote|pre|br|hr|table|tr|td|th|div)\b)", re.IGNORECASE)


def plain(html_text: str) -> str:
    """The text of sanitised HTML, unescaped; templates escape it again on output.
    Stored HTML is this module's own output (no comments, every `<` in text escaped),
    so stripping tags needs no parser: a profile page of twenty excerpts went from
    about 9 ms of parsing to well under one."""
    return Markup(_BLOCK_TAG.sub(" <", html_text)).striptags()  # noqa: S704 (text out, not markup)


def excerpt(html_text: str, length: int = 160) -> str:
    text = plain(html_text)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(",.;:-–— ") + "…"


def highlight(snippet: str, start: str, stop: str) -> Markup:
    """A search snippet (plain text with start/stop markers) as HTML with <mark>s."""
    escaped = str(escape(snippet))
    opened = False
    out = []
    for char in escaped:
        if char == start and not opened:
            out.append("<mark>")
            opened = True
        elif char == stop and opened:
            out.append("</mark>")
            opened = False
        elif char not in (start, stop):
            out.append(char)
    if opened:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - built from escaped text and our own tags
