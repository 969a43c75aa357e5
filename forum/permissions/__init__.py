"""Who may do what: the only place that compares roles or ownership.

Each rule is a pure function `can_<verb>(user, obj=None) -> Decision`. Views
call `require(decision)`; templates ask the same rules through the `can`
global (`{% if can.reply(thread) %}`), so the two never drift apart. Queries
that list posts ask `visible_posts(user)` for the same reason.
"""

from flask_login import current_user

from .content import (
    can_add_to_category,
    can_bookmark,
    can_choose_answer,
    can_delete_post,
    can_edit_post,
    can_flag,
    can_keep_drafts,
    can_label,
    can_mark_answer,
    can_mark_helpful,
    can_mark_read,
    can_publish_article,
    can_read_in_full,
    can_reply,
    can_review_articles,
    can_see_who_helped,
    can_start_discussion,
    can_view_article_details,
    can_view_history,
    can_view_post,
    can_view_thread,
    first_posts_pending,
    needs_review,
)
from .decisions import ALLOW, LOGIN, NOT_FOUND, Decision, Refused, deny, require
from .members import (
    can_administer,
    can_ban,
    can_change_role,
    can_decide_verification,
    can_edit_profile,
    can_lift,
    can_lock_thread,
    can_manage_account,
    can_moderate,
    can_report_user,
    can_reset_two_factor,
    can_review_verifications,
    can_see_own_reports,
    can_suspend,
    can_view_profile,
    must_set_up_two_factor,
    needs_two_factor,
)
from .people import is_admin, is_moderator, is_suspended, suspension_notice
from .queries import (
    others_replied,
    public_posts,
    public_threads,
    readable_threads,
    silenced,
    visible_notifications,
    visible_posts,
)
from .watching import can_ignore, can_mute_member, can_watch

__all__ = [
    "can_add_to_category",
    "ALLOW",
    "Decision",
    "LOGIN",
    "NOT_FOUND",
    "Refused",
    "can_administer",
    "can_ban",
    "can_bookmark",
    "can_change_role",
    "can_choose_answer",
    "can_decide_verification",
    "can_delete_post",
    "can_edit_post",
    "can_edit_profile",
    "can_flag",
    "can_keep_drafts",
    "can_label",
    "can_lift",
    "can_lock_thread",
    "can_mark_answer",
    "can_mark_helpful",
    "can_manage_account",
    "can_mark_read",
    "can_moderate",
    "can_ignore",
    "can_mute_member",
    "can_publish_article",
    "can_read_in_full",
    "can_reply",
    "can_review_articles",
    "can_report_user",
    "can_reset_two_factor",
    "can_review_verifications",
    "can_see_own_reports",
    "can_see_who_helped",
    "can_start_discussion",
    "can_suspend",
    "can_view_article_details",
    "can_view_history",
    "can_view_post",
    "can_view_profile",
    "can_view_thread",
    "can_watch",
    "deny",
    "first_posts_pending",
    "is_admin",
    "is_moderator",
    "is_suspended",
    "must_set_up_two_factor",
    "needs_review",
    "needs_two_factor",
    "others_replied",
    "public_posts",
    "public_threads",
    "readable_threads",
    "require",
    "suspension_notice",
    "visible_notifications",
    "silenced",
    "visible_posts",
    "can",
]


class _Can:
    """`can.reply(thread)` in templates: the rules imported above (every `can_*`), bound
    to the current user."""

    def __getattr__(self, verb: str):
        rule = self._rule(verb)
        return lambda obj=None: bool(rule(current_user, obj))

    def why(self, verb: str, obj=None) -> str:
        """The reason a rule refuses the current user ("" when it allows)."""
        return self._rule(verb)(current_user, obj).reason

    @staticmethod
    def _rule(verb: str):
        rule = globals().get(f"can_{verb}")
        if rule is None:
            raise AttributeError(verb)
        return rule


can = _Can()
