"""What the templates may print as HTML: only what forum.text made (Markup), never a
string a template declares safe itself."""

import re
from pathlib import Path

from markupsafe import Markup

from forum import text

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

# `|safe` (with or without spaces) and switching autoescaping off: either prints a
# string as HTML without asking whether it was sanitised.
_UNESCAPED = re.compile(r"\|\s*safe\b|{%-?\s*autoescape\s+false")
# Where Python may mark a string as HTML: the renderer and sanitiser, and Post.html,
# which wraps the column the renderer filled.
MARKUP_MAKERS = {"forum/text.py", "forum/models/content.py"}


def _unescaped(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if _UNESCAPED.search(line)]


def test_the_scan_sees_what_it_forbids():
    assert _unescaped("<div>{{ post.body_html|safe }}</div>")
    assert _unescaped("{{ preview | safe }}")
    assert _unescaped("{% autoescape false %}{{ x }}{% endautoescape %}")
    assert not _unescaped("{{ post.html }} {{ safety_note }} {{ x|safe_length }}")


def test_no_template_prints_unescaped_text():
    templates = [path for path in TEMPLATES.rglob("*") if path.is_file()]
    assert len(templates) > 50 and TEMPLATES / "_partials" / "post.html" in templates
    found = {str(path.relative_to(ROOT)): lines for path in templates
             if (lines := _unescaped(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_only_the_renderer_marks_strings_as_html():
    makers = {str(path.relative_to(ROOT)) for path in (ROOT / "forum").rglob("*.py")
              if "Markup(" in path.read_text(encoding="utf-8")}
    assert makers <= MARKUP_MAKERS, makers - MARKUP_MAKERS


def test_rendered_html_is_markup_on_every_path():
    assert isinstance(text.render("Some **bold** text"), Markup)
    # Past the delimiter budget the text is shown as escaped plain text, Markup too.
    plain = text.render("<b>" + "*" * (text.MAX_DELIMITERS + 1))
    assert isinstance(plain, Markup) and plain.startswith("<p>&lt;b&gt;")


def test_a_lazy_text_with_a_members_words_in_it_is_escaped_on_a_page(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext

    lazy = lazy_gettext("Locked by %(name)s.", name='<script>alert("x")</script>')
    with app.test_request_context("/"):
        page = render_template_string("<p>{{ lazy }}</p>", lazy=lazy)
    assert page == "<p>Locked by &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.</p>"
