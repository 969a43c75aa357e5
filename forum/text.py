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
from bleach.linkifier import LinkifyFilter
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


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith("mailto:"):
        attrs.pop((None, "rel"), None)
        return attrs
    attrs[(None, "rel")] = LINK_REL
    return attrs


_md = _markdown()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def normalise(source: str) -> str:
    """The form of a user's text that is stored: NFC, Unix newlines, no control characters
    (nor U+FFFE/U+FFFF)."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", source))


def strip_format(line: str) -> str:
    """A one-line label (a name, a title, a tag) without format characters (Unicode Cf):
    bidi overrides and isolates, zero-width spaces and joiners, soft hyphens. They are
    invisible, and an override makes "Ruth\u202e" or a title read as something else.
    Bodies keep them: there they join emoji and shape scripts, and the page isolates them."""
    return "".join(char for char in line if unicodedata.category(char) != "Cf")


def render(source: str) -> str:
    """Markdown to HTML that is safe to print as it is."""
    return _cleaner.clean(_md.render(normalise(source))).strip()


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
