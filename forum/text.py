"""All markup handling: Markdown source in, sanitised HTML out.

This is the only module that imports bleach (deprecated upstream; keeping it
here makes a move to nh3 a one-file change). Pages print `Post.body_html` as
stored (`Post.html`), so everything that can reach a page as HTML passes through
`render`, which returns Markup: no template needs `|safe` (tests/test_templates.py).
After a change to the allow-list, `flask --app forum text rerender` rebuilds
every stored body from its source.

What one body may cost. Rendering is linear in the source, and the source is at most
MAX_SOURCE characters (the longest body a form accepts; longer text, only ever a
refused form's preview, is shown as plain text). Within that, what made one body
expensive is capped where it is cheap to see (bench/render.py has the cases):
- markdown-it pays per delimiter it tries to pair ("[[[[", "*_*_", "**a **a") and
  per line: a source with more than MAX_DELIMITERS of those (counted with
  str.count, before parsing) is shown as plain text;
- bleach's parser pays per tag and per entity (tens of µs each): when the Markdown
  would hand it more than MAX_MARKUP tags, entities and bare addresses, the body
  is shown as plain text (paragraphs and line breaks, escaped; not parsed again);
- a body's tables hold at most MAX_TABLE_CELLS cells together (columns × lines,
  estimated before any token is made), so "|a|b|…" with thousands of rows, or a
  header of a thousand columns, stays text;
- nesting is capped by markdown-it itself (maxNesting 20: deeper quotes and lists
  go on as text).
Measured on the shared two-core CI machine with a load average of 11: the most any
50,000-character body took was about 1.5 s (dense ordinary formatting, a table at
the cell cap), every pathological one we know of under 0.6 s, a typical reply a few
milliseconds; an idle core takes roughly a quarter of that. Edits and previews are
rate limited per member as well (RATELIMIT_EDIT).
"""

import html
import re
import unicodedata
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter, build_url_re
from markdown_it import MarkdownIt
from markdown_it.rules_block.table import table as _table
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


# The bounds described above.
MAX_SOURCE = 50_000
MAX_TABLE_CELLS = 2_000
MAX_MARKUP = 12_000
MAX_DELIMITERS = 15_000
# What markdown-it works hardest on, one by one: the delimiters its inline rules try
# to pair, and line starts (every block rule is tried on each line).
_DELIMITERS = "*_[]`<&\\!~|\n"


def _bounded_table(state, start_line, end_line, silent) -> bool:
    """markdown-it's table rule, for tables that keep the body within MAX_TABLE_CELLS.
    The size is estimated from the source (the header's columns times the lines up to
    the next blank one) before any token is made, so a huge table costs nothing."""
    if not _table(state, start_line, end_line, True):  # cheap: is this a table at all?
        return False
    header = state.src[state.bMarks[start_line] + state.tShift[start_line]:
                       state.eMarks[start_line]]
    columns = header.strip().strip("|").count("|") + 1
    cells = columns * (_block_end(state, start_line, end_line) - start_line)
    used = state.env.get("table_cells", 0)
    if used + cells > MAX_TABLE_CELLS:
        return False
    if silent:
        return True
    state.env["table_cells"] = used + cells
    return _table(state, start_line, end_line, False)


def _block_end(state, line, end_line) -> int:
    """The first blank line at or after `line`. Remembered for every line walked past,
    so the many table starts one block can hold cost one walk, not one each."""
    known = state.env.setdefault("block_ends", {})
    walked = []
    while (line < end_line and line not in known
           and state.bMarks[line] + state.tShift[line] < state.eMarks[line]):
        walked.append(line)
        line += 1
    stop = known.get(line, line)
    known.update(dict.fromkeys(walked, stop))
    return min(stop, end_line)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
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


def strip_format(line: str) -> str:
    """A one-line label (a name, a title, a tag) without format characters (Unicode Cf):
    bidi overrides and isolates, zero-width spaces and joiners, soft hyphens. They are
    invisible, and an override makes "Ruth\u202e" or a title read as something else.
    Bodies keep them: there they join emoji and shape scripts, and the page isolates them."""
    return "".join(char for char in line if unicodedata.category(char) != "Cf")


def render(source: str) -> Markup:
    """Markdown to HTML that is safe to print as it is, at a bounded cost (see above).
    Markup, so templates print it without `|safe`; join it to other HTML as Markup too
    (`Markup + str` escapes the str)."""
    source = normalise(source)
    if len(source) > MAX_SOURCE or sum(map(source.count, _DELIMITERS)) > MAX_DELIMITERS:
        return _as_plain_text(source)  # too long is only ever a refused form's preview
    html = _md.render(source)
    markup = html.count("<") + html.count("&") + 2 * len(_BARE_URL.findall(html))
    if markup > MAX_MARKUP:
        return _as_plain_text(source)
    return Markup(_link_mentions(_cleaner.clean(html).strip()))  # noqa: S704 - sanitised


def _as_plain_text(source: str) -> Markup:
    """The text as it was typed: paragraphs and line breaks, everything else escaped.
    Safe by construction (only <p> and <br> are ours), so bleach has nothing to do."""
    paragraphs = (part.strip("\n") for part in re.split(r"\n[ \t]*\n", source))
    return Markup("\n").join(Markup("<p>{}</p>").format(Markup("<br>").join(
        escape(part).splitlines())) for part in paragraphs if part.strip())


# An <a> that leads somewhere, in this module's own output (attributes are always
# double-quoted there, and an <a> whose href the sanitiser refused has none).
# A mention is the forum's own link to a profile, not a link out: it is left out.
_LINK = re.compile(r"<a\s(?!class=\"mention\")[^>]*\bhref=\"")


def has_links(html_text: str) -> bool:
    """Whether rendered HTML (`render`'s output) carries a link: a Markdown link, a
    reference link ("[x][1]" with "[1]: http://…") and a bare address ("example.com")
    alike, since all of them are decided here, by the renderer that makes them."""
    return bool(_LINK.search(html_text))


_HREF = re.compile(r"<a\s(?!class=\"mention\")[^>]*\bhref=\"([^\"]*)\"")


def link_hosts(html_text: str) -> set[str]:
    """The host names rendered HTML links to (lower case), bare addresses included: the
    renderer turned them into links, so they are read back from its output. An address
    written out with its scheme counts too where the renderer left it as text (a name
    under a top-level domain it does not know)."""
    hosts = set()
    addresses = [html.unescape(href) for href in _HREF.findall(html_text)]
    addresses += re.findall(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"']+", plain(html_text), re.IGNORECASE)
    for address in addresses:
        match = re.match(r"[a-z][a-z0-9+.-]*://([^/?#]+)", address, re.IGNORECASE)
        if match:
            host = match.group(1).rsplit("@", 1)[-1].split(":")[0].rstrip(".").lower()
            try:
                hosts.add(host.encode("idna").decode("ascii"))
            except UnicodeError:
                hosts.add(host)
    return hosts


# Where one block of text ends and the next begins, so "</p><p>" leaves a space.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|li|ul|ol|h[1-6]|blockquote|pre|br|hr|table|tr|td|th|div)\b)", re.IGNORECASE)


def plain(html_text: str) -> str:
    """The text of sanitised HTML, unescaped; templates escape it again on output.
    Stored HTML is this module's own output (no comments, every `<` in text escaped),
    so stripping tags needs no parser: a profile page of twenty excerpts went from
    about 9 ms of parsing to well under one."""
    return Markup(_BLOCK_TAG.sub(" <", html_text)).striptags()  # noqa: S704 (text out, not markup)


def shorten(line: str, limit: int) -> str:
    """`line` at most `limit` characters long: cut on a word, with "…" at the end."""
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
    return cut.rstrip(",.;:-–— ") + "…"


def excerpt(html_text: str, length: int = 160) -> str:
    text = plain(html_text)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(",.;:-–— ") + "…"


def mark_spans(value: str, spans: list[tuple[int, int]]) -> Markup:
    """`value` escaped, with each (start, end) span of it in <mark>; spans in order and
    not overlapping (the personal-information warning shows what would be public)."""
    parts, at = [], 0
    for start, end in spans:
        parts += [escape(value[at:start]), Markup("<mark>%s</mark>") % value[start:end]]
        at = end
    parts.append(escape(value[at:]))
    return Markup("").join(parts)


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


# -- @mentions ---------------------------------------------------------------------
# "@name" with the forum's username rules (forum.domain.accounts.USERNAME_RE), not
# part of a word or an email address ("me@example.org"), outside links and code.
_MENTION = re.compile(r"(?<![A-Za-z0-9_.@/-])@([A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_@-])")
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<(/?)([a-z0-9]+)")
_MENTION_LINK = re.compile(r'<a class="mention" href="/u/([A-Za-z0-9_-]{3,30})">')
_NO_MENTIONS = frozenset({"a", "code", "pre"})
# The attribution line `quote` writes under a quoted post ("> — @name").
_QUOTED = re.compile(r"^>[ \t]?— @([A-Za-z0-9_-]{3,30})[ \t]*$", re.MULTILINE)


def _walk_text(html_text: str):
    """The sanitised HTML in pieces: (piece, is_text, inside a/code/pre, inside a quote)."""
    skip = quote = 0
    for piece in _TAG.split(html_text):
        if piece.startswith("<"):
            match = _TAG_NAME.match(piece)
            if match:
                step = -1 if match.group(1) else 1
                name = match.group(2).lower()
                if name in _NO_MENTIONS:
                    skip = max(skip + step, 0)
                elif name == "blockquote":
                    quote = max(quote + step, 0)
            yield piece, False, skip, quote
        else:
            yield piece, True, skip, quote


def _link_mentions(html_text: str) -> str:
    if "@" not in html_text:
        return html_text
    out = []
    for piece, is_text, skip, _quote in _walk_text(html_text):
        if is_text and not skip and "@" in piece:
            piece = _MENTION.sub(r'<a class="mention" href="/u/\1">@\1</a>', piece)
        out.append(piece)
    return "".join(out)


def mentions_in(html_text: str) -> set[str]:
    """The names a rendered body mentions (lower case), leaving out those inside quoted
    text: quoting a post does not mention again whoever it mentioned."""
    names = set()
    for piece, is_text, _skip, quote in _walk_text(html_text):
        if not is_text and not quote:
            match = _MENTION_LINK.match(piece)
            if match:
                names.add(match.group(1).lower())
    return names


def mentioned_names(source: str) -> set[str]:
    """The names `source` mentions with "@name", as `render` links them (lower case)."""
    return mentions_in(render(source))


def quoted_names(source: str) -> set[str]:
    """The names of the members whose posts `source` quotes ("> — @name"), lower case."""
    return {name.lower() for name in _QUOTED.findall(normalise(source))}
