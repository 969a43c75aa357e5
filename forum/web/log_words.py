"""How the moderation log reads: the stored actions and reasons (English, never
translated in the database) in the reader's words. Templates call `action_label` and
`log_reason` (template globals); the log's filter offers `action_choices`."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..dates import human_date
from ..domain.members import ROLE_NAMES

# How the log names an action: the stored action (never translated) is the key.
ACTIONS = {
    "lock": _l("lock"),
    "unlock": _l("unlock"),
    "pin": _l("pin"),
    "unpin": _l("unpin"),
    "move": _l("move"),
    "hide": _l("hide"),
    "restore": _l("restore"),
    "approve": _l("approve"),
    "reject": _l("reject"),
    "resolve: dismiss": _l("resolve: dismiss"),
    "resolve: hide": _l("resolve: hide"),
    "resolve: label": _l("resolve: label"),
    "resolve: lock": _l("resolve: lock"),
    "unlabel": _l("unlabel"),
    "review": _l("article reviewed"),
    "answer: mark": _l("answer: mark"),
    "answer: unmark": _l("answer: unmark"),
    "suspend": _l("suspend"),
    "reinstate": _l("reinstate"),
    "ban": _l("ban"),
    "role": _l("role"),
    "two-factor reset": _l("two-factor reset"),
    "category: create": _l("category: create"),
    "category: edit": _l("category: edit"),
    "category: archive": _l("category: archive"),
    "category: reopen": _l("category: reopen"),
    "label list: add": _l("label list: add"),
    "label list: edit": _l("label list: edit"),
    "label list: archive": _l("label list: archive"),
    "label list: reopen": _l("label list: reopen"),
    "setting": _l("setting"),
    "members-only: on": _l("members-only: on"),
    "members-only: off": _l("members-only: off"),
    "note": _l("private note"),
    "escalate": _l("escalate to admins"),
    "resolve alert": _l("resolve alert"),
}


def action_label(action: str) -> str:
    """A logged action as the reader reads it; an action without a label as stored."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.startswith("label: "):  # "label: <the label's name>"
        return _("label: %(name)s", name=action.removeprefix("label: "))
    return action


def action_choices(chosen: str) -> list[tuple[str, str]]:
    """The log's action filter: every kind of action, in the reader's words (the filter
    matches the stored English by its start, so "label:" finds every label)."""
    choices = [("", _("Any action")), *((key, str(label)) for key, label in ACTIONS.items()),
               ("label:", _("label (any)"))]
    if chosen and chosen not in dict(choices):  # an older link's free text, kept
        choices.append((chosen, chosen))
    return choices


_SUSPENDED = re.compile(r"until (\d{4}-\d{2}-\d{2}): (.*)", re.S)
_ROLE = re.compile(r"(\w+) → (\w+)")


def log_reason(action: str, reason: str | None) -> str:
    """The reason as logged, with the words the forum wrote into it (a suspension's end,
    a change of role) in the reader's language; a moderator's own words as written."""
    reason = reason or ""
    if action == "suspend" and (found := _SUSPENDED.fullmatch(reason)):
        return _("until %(date)s: %(reason)s",
                 date=human_date(date.fromisoformat(found[1])), reason=found[2])
    if action == "role" and (found := _ROLE.fullmatch(reason)):
        return _("%(old)s → %(new)s", old=ROLE_NAMES.get(found[1], found[1]),
                 new=ROLE_NAMES.get(found[2], found[2]))
    return reason


_WATCHED = re.compile(r"links to a watched domain: (\S+)")


def held_reason(reason: str | None) -> str:
    """Why a held post waits (Post.held_reason, stored in English), in the reader's words."""
    if reason and (found := _WATCHED.fullmatch(reason)):
        return _("It links to a watched domain: %(domain)s.", domain=found[1])
    return reason or ""
