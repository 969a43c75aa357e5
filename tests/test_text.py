"""forum.text: Markdown in, safe HTML out."""

import re
from html.parser import HTMLParser

import pytest

from forum import text

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;vascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](https://evil.example/track.png "t")',
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<p <script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)//-->",
    "<details open ontoggle=alert(1)>",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "<object data=x.swf></object><embed src=x.swf>",
    "<form action=https://evil.example><input name=q></form>",
    "<base href=https://evil.example/>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "> " * 500 + "deep",
    "*" * 5000,
    "[" * 2000 + "x" + "]" * 2000,
]

class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_safe(html):
    for tag, attrs in _Elements(html).found:
        assert tag in text.ALLOWED_TAGS, tag
        allowed = set(text.ALLOWED_ATTRIBUTES.get(tag, ()))
        assert set(attrs) <= allowed, (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            # What the browser would follow, after it decodes entities and drops whitespace.
            followed = re.sub(r"\s", "", href).lower()
            assert followed.startswith(("http://", "https://", "mailto:")), href


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markup_cannot_run(source):
    assert_safe(text.render(source))


def test_markdown_renders_the_allowed_elements():
    html = text.render(
        "# Title\n\n**bold** _em_ ~~gone~~ `code`\n\n> quote\n\n- one\n- two\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\npre\n```"
    )
    for tag in ("<h3>", "<strong>", "<em>", "<s>", "<code>", "<blockquote>", "<ul>", "<li>",
                "<table>", "<td>", "<pre>"):
        assert tag in html, tag


def test_links_carry_rel_and_only_safe_schemes_survive():
    html = text.render("[site](https://example.org) and https://bare.example.org and "
                       "[mail](mailto:a@example.org) and [ftp](ftp://example.org/x)")
    assert '<a href="https://example.org" rel="nofollow ugc noopener">site</a>' in html
    assert 'href="https://bare.example.org" rel="nofollow ugc noopener"' in html
    assert 'href="mailto:a@example.org"' in html
    assert "ftp://" not in re.sub(r">[^<]*<", "><", html)  # not as a link


def test_raw_html_is_shown_as_text_not_dropped():
    assert "&lt;b&gt;hi&lt;/b&gt;" in text.render("<b>hi</b>")


def test_normalise_removes_control_characters_and_keeps_everything_else():
    assert text.normalise("a\x00b\x07c\r\nd\u202ee \U0001F600") == "abc\nd\u202ee \U0001F600"


def test_excerpt_is_plain_text_cut_at_a_word():
    html = text.render("Hello **world**, this is &amp; a <long> sentence " * 10)
    short = text.excerpt(html, 40)
    assert len(short) <= 41 and short.endswith("…") and "<" not in short.replace("<long>", "")
    assert "**" not in short
