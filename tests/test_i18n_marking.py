"""Every string a reader meets is marked for translation (tests/unmarked.py finds the
ones that are not), and the checker itself catches what it is meant to catch."""

from pathlib import Path

from tests.unmarked import problems

ROOT = Path(__file__).resolve().parent.parent
# Operators' tools, in English by design (CLI messages, configuration errors, logs).
FOR_OPERATORS = {"cli.py", "bulk.py", "backup.py", "demo.py", "config.py", "sqlite.py",
                 "schema.py", "requestlog.py", "extensions.py", "locking.py"}


def reader_facing_files() -> list[Path]:
    templates = [path for path in sorted((ROOT / "templates").rglob("*"))
                 if path.suffix in (".html", ".txt", ".xml")]
    code = [path for path in sorted((ROOT / "forum").rglob("*.py"))
            if not (path.parent.name == "forum" and path.name in FOR_OPERATORS)]
    return templates + code


def test_every_reader_facing_string_is_marked_for_translation():
    found = problems(reader_facing_files())
    assert not found, f"{len(found)} strings are not marked for translation:\n" + "\n".join(
        item.replace(str(ROOT) + "/", "") for item in found)


def test_the_checker_finds_unmarked_text_and_passes_marked_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<h1>{{ _("Marked") }}</h1>\n<p>Loose words</p>\n'
        '<a href="/x" aria-label="Loose label" class="button button-small">{{ _("Ok") }}</a>\n'
        '{{ post_button("/y", "Loose argument", "link-button") }}\n'
        '{{ post_button("/z", _("Marked argument"), "link-button") }}\n'
        '<input type="submit" value="Loose value">\n'
        '{% trans count=n %}{{ count }} reply{% pluralize %}{{ count }} replies{% endtrans %}\n'
        '<p>{{ user.username }} · {{ n|number }}</p>\n')
    code = tmp_path / "views.py"
    code.write_text(
        'from flask import flash\nfrom flask_babel import gettext as _, lazy_gettext as _l\n'
        'from wtforms import StringField\n\n\n'
        'class F:\n    name = StringField("Loose field label")\n'
        '    title = StringField(_l("Marked label"))\n\n\n'
        'def view():\n    """Docstrings are for developers."""\n'
        '    flash("Loose flash")\n    flash(_("Marked flash."))\n'
        '    log.info("Logged for operators.")\n    return "Loose sentence here."\n')
    found = "\n".join(problems([page, code]))
    for loose in ("Loose words", "Loose label", "Loose argument", "Loose value",
                  "Loose field label", "Loose flash", "Loose sentence here."):
        assert loose in found, f"{loose!r} was not found:\n{found}"
    for marked in ("Marked", "reply", "Docstrings", "Logged", "button-small", "link-button"):
        assert marked not in found, f"{marked!r} was reported:\n{found}"


def test_every_action_a_rule_names_has_its_own_whole_sentence():
    """The rules name what someone wanted to do ("reply"); the refusal is one whole
    translated sentence per action (permissions/people.py), never a phrase slotted in."""
    import ast

    from forum.permissions import people

    for path in (ROOT / "forum" / "permissions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "_member", "_writer", "_staff") and len(node.args) >= 2:
                action = node.args[1]
                if isinstance(action, ast.Name):  # passed on by a helper: its callers count
                    continue
                assert isinstance(action, ast.Constant), f"{path.name}: an action by name"
                assert action.value in people.SIGN_IN_TO, f"{action.value!r}: no sign-in text"
                if node.func.id == "_writer":
                    assert action.value in people.CONFIRM_TO, f"{action.value!r}: no confirm text"
