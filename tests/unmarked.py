"""Finds user-facing text that is not marked for translation.

Templates: literal text between tags, and the words in attributes a reader meets
(aria-label, title, alt, placeholder, a button's value), outside `_()`, `ngettext()` and
`{% trans %}`; and string literals in expressions that read as words ("Delete", "Send
again") unless they are an argument of a gettext call.

Python: string literals given to what shows them to a reader (flash, form fields and
validators, ValidationError, deny, abort's description, the forum's own errors) and any
literal that reads as a sentence ("Something went wrong.") outside docstrings, logging
and gettext calls.

A line may opt out with a comment saying why: `# i18n: not shown (...)` in Python,
`{# i18n: not shown #}` on the line in a template. Run as a script with file names, or
through tests/test_i18n_marking.py.
"""

from __future__ import annotations

import ast
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l", "lazy_gettext",
           "lazy_ngettext", "lazy_pgettext"}
LETTER = re.compile(r"[^\W\d_]")
OPT_OUT = "i18n: not shown"
READER_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description"}
BUTTON_TYPES = {"submit", "button", "reset"}
HOLE = "\x00"  # where an expression stood in the text


def words(text: str) -> bool:
    return bool(LETTER.search(text.replace(HOLE, "")))


def prose(value: str) -> bool:
    """A literal in code that reads as words for a person, not a key, class or path."""
    if not words(value) or "://" in value or value.startswith(("/", "#", "%", ".", "-")):
        return False
    if re.fullmatch(r"[a-z0-9_.:\-/ ]+", value) and " " not in value.strip():
        return False  # endpoint, key, css class, file name
    if re.fullmatch(r"[A-Z][A-Za-z]+/[A-Za-z_/]+", value):
        return False  # a time zone such as Europe/London
    if re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]*)+", value):
        return False  # a class name such as BooleanField
    if re.search(r"[^\W\d_]\s+[^\W\d_]", value):
        return not re.fullmatch(r"[a-z0-9_\-]+( [a-z0-9_\-]+)+", value)  # css class lists
    return bool(re.match(r"[A-Z][a-z]", value))


# --- templates -------------------------------------------------------------------------

class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        named = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            shown = name in READER_ATTRIBUTES or (
                name == "value" and tag in ("input", "button")
                and (named.get("type") or "").lower() in BUTTON_TYPES)
            shown = shown or (name == "content" and tag == "meta"
                              and named.get("name") in ("description", "keywords"))
            if shown and words(value):
                self.found.append(f"{name}={value.replace(HOLE, '…')!r}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and words(data):
            self.found.append(" ".join(data.replace(HOLE, "…").split()))


def _environment() -> Environment:
    # Only lexed, never rendered.
    return Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"], autoescape=True)


def template_problems(path: Path) -> list[str]:
    source = path.read_text()
    skip_lines = {number for number, line in enumerate(source.splitlines(), 1)
                  if OPT_OUT in line}
    stream: list[str] = []
    literals: list[tuple[int, str]] = []
    in_trans = False
    calls: list[bool] = []  # for each open parenthesis: is it a gettext call's?
    previous = None
    for line, kind, value in _environment().lex(source):
        if kind == "whitespace":
            continue
        if kind == "data":
            if not in_trans and line not in skip_lines:
                stream.append(value)
            continue
        if kind in ("block_begin", "variable_begin"):
            stream.append(HOLE if kind == "variable_begin" else "")
        if kind == "name" and value in ("trans", "pluralize") and previous == "block_begin":
            in_trans = True
        if kind == "name" and value == "endtrans" and previous == "block_begin":
            in_trans = False
        if kind == "operator" and value == "(":
            calls.append(previous in GETTEXT)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not any(calls) and not in_trans \
                and prose(ast.literal_eval(value)) and line not in skip_lines:
            literals.append((line, ast.literal_eval(value)))
        previous = value if kind == "name" else kind
    text = _Text()
    # A tag whose name is partly an expression (<h{{ level }}>) is still a tag.
    text.feed(re.sub(f"(</?[a-zA-Z]+){HOLE}", r"\g<1>1", "".join(stream)))
    text.close()
    return [f"{path}: text {found!r}" for found in text.found] + \
        [f"{path}:{line}: literal {value!r}" for line, value in literals]


# --- Python ----------------------------------------------------------------------------

SHOWN_CALLS = {"flash", "deny", "Decision", "ValidationError", "Refused"}
VALIDATORS = {"DataRequired", "InputRequired", "Length", "Email", "EqualTo", "Regexp",
              "NumberRange", "AnyOf", "NoneOf", "Optional", "URL"}
SHOWN_KEYWORDS = {"message", "label", "description", "reason", "placeholder", "title"}
QUIET_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "echo",
               "secho", "execute", "text", "getLogger", "log", "print", "setdefault",
               "get", "getlist", "url_for", "render_template", "redirect", "getenv"}
PLAIN_ERRORS = {"ValueError", "TypeError", "RuntimeError", "KeyError", "LookupError",
                "AssertionError", "NotImplementedError", "SystemExit", "ClickException",
                "UsageError", "BadParameter", "ImproperlyConfigured", "OSError"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _strings(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node, node.value
    elif isinstance(node, ast.JoinedStr):
        yield node, "".join(part.value if isinstance(part, ast.Constant) else "{…}"
                            for part in node.values)
    elif isinstance(node, ast.BinOp):  # "a" + b, "a %s" % b
        yield from _strings(node.left)
        yield from _strings(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _strings(element)


def python_problems(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    exempt: set[int] = set()  # ids of nodes that are translated, logged or documented
    shown: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                exempt.add(id(body[0].value))
        if not isinstance(node, ast.Call):
            continue
        callee = _name(node.func)
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        if callee in GETTEXT or callee in QUIET_CALLS or callee in PLAIN_ERRORS:
            for argument in arguments:
                for inner in ast.walk(argument):
                    exempt.add(id(inner))
            continue
        chosen = []
        if callee in SHOWN_CALLS or callee.endswith(("Field", "_field")) or callee in VALIDATORS \
                or (callee.endswith("Error") and callee not in PLAIN_ERRORS):
            chosen += node.args[:1] if callee != "deny" else node.args[1:2]
        if callee == "abort":
            chosen += node.args[1:2]
        chosen += [keyword.value for keyword in node.keywords
                   if keyword.arg in SHOWN_KEYWORDS or keyword.arg == "choices"]
        for argument in chosen:
            if callee.endswith("Field") and isinstance(argument, (ast.List, ast.Tuple)):
                # choices=[("value", "Label")]: the second of each pair is shown
                for pair in argument.elts:
                    if isinstance(pair, ast.Tuple) and len(pair.elts) == 2:
                        for inner, _text in _strings(pair.elts[1]):
                            shown[id(inner)] = inner
                continue
            for inner, _text in _strings(argument):
                shown[id(inner)] = inner
    problems = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        for inner, value in _strings(node) if isinstance(node, (ast.Constant, ast.JoinedStr)) \
                else ():
            line = inner.lineno
            if OPT_OUT in lines[line - 1] or id(inner) in exempt:
                continue
            if (id(inner) in shown and words(value)) or _sentence(value):
                problems.append(f"{path}:{line}: {value[:70]!r}")
    return problems


def _sentence(value: str) -> bool:
    return bool(re.match(r"[A-Z][^\n]* [^\n]*[.?!:]$", value.strip())) and prose(value)


def problems(paths) -> list[str]:
    found = []
    for path in map(Path, paths):
        if path.suffix == ".py":
            found += python_problems(path)
        elif path.suffix in (".html", ".txt", ".xml"):
            found += template_problems(path)
    return found


if __name__ == "__main__":
    report = problems(sys.argv[1:])
    print("\n".join(report) or "clean")
    sys.exit(1 if report else 0)
