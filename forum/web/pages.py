"""Pages more than one blueprint shows: the thread page (the posts blueprint shows a
refused reply on it, with its errors), labelling a thread or a post, and the one
button a mailed link opens."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import (
    bookmarks,
    categories,
    drafts,
    helpful,
    labels,
    listings,
    posts,
    profiles,
    reading,
    reviews,
)
from ..permissions import can_moderate, can_view_post, can_view_profile
from .page_cache import do_not_cache
from .paging import requested_page, require_page_exists
from .security import ask_not_to_index
from .urls import post_url
from .writing import LabelForm, label_choices


def render_thread(thread, reply_form, preview=None, page=None, mark_read=False):
    """The thread page; the posts blueprint uses it to show a refused reply with its errors.
    With `mark_read`, the member's place in the thread moves to the posts shown, after
    the page is made (committing earlier would expire what the page reads)."""
    per_page = current_app.config["POSTS_PER_PAGE"]
    page_posts = listings.thread_posts(thread, current_user, page or requested_page(), per_page)
    require_page_exists(page_posts)
    quoted = request.args.get("quote", type=int)
    if quoted and 0 < quoted < 2**31 and not reply_form.body.data:
        post = posts.get_post(quoted)
        if (post is not None and post.thread_id == thread.id and not post.is_deleted
                and can_view_post(current_user, post)):
            reply_form.body.data = posts.quote(post)
    drafts.prepare(reply_form)
    answer = helpful.answer_of(thread)
    first_unread, unread_page = reading.first_unread(current_user, thread, per_page) \
        or (None, None)
    page_html = render_template(
        "threads/thread.html", thread=thread, posts=page_posts, reply_form=reply_form,
        preview=preview, helped=helpful.helped_on(page_posts.items, current_user),
        saved=bookmarks.saved_on(page_posts.items, current_user),
        answer=answer, answer_url=post_url(answer) if answer else None,
        labels=labels.active_labels(),
        categories=categories.categories() if can_moderate(current_user) else [],
        first_unread=first_unread,
        first_unread_url=first_unread and post_url(first_unread, unread_page),
        review=reviews.latest(thread) if thread.is_article else None,
    )
    if mark_read:
        reading.record(current_user, thread, page_posts.items)
    return page_html


def render_members_only(thread):
    """What a signed-out visitor gets of a members-only thread on every page that would
    show its posts (any page of it, its top posts, a search in it): the title and the
    start of the opening post, no names, no replies, and a way to sign in back to it."""
    ask_not_to_index()
    do_not_cache()
    return render_template("threads/members_only.html", thread=thread,
                           teaser=listings.teaser(thread),
                           back=url_for("threads.thread", thread_id=thread.id,
                                        slug=thread.slug))


def closed_profile(user):
    """A visitor's page for a profile its member keeps for members, or None when the
    profile is open to the viewer. Search engines are asked to leave out every profile
    its member did not make public."""
    if not profiles.indexable(user):
        ask_not_to_index()
    if can_view_profile(current_user, user):
        return None
    do_not_cache()
    return render_template("accounts/profile_members.html", user=user)


def apply_label(target, back):
    """Shared by thread and post labelling: apply the chosen label (or none)."""
    form = label_choices(LabelForm())
    if not form.validate_on_submit():
        if form.citation.errors:  # a citation was typed: kept on the error page
            abort(400, " ".join(map(str, form.citation.errors)))
        flash(_("Please choose a label from the list."), "error")
        return redirect(back)
    label = labels.in_use(form.label.data)
    if form.label.data and label is None:
        flash(_("Please choose a label from the list."), "error")
        return redirect(back)
    labels.set_label(target, current_user, label, form.note.data or "",
                     citation=labels.parse_citation(form.citation.data or ""))
    flash(_("Labelled “%(label)s”.", label=label.name) if label else _("Label removed."), "success")
    return redirect(back)


def mailed_link_page(title, button=None):
    """What a mailed link opens: a page with one button that does what the link is for,
    so that a mail scanner opening the link changes nothing."""
    return render_template("_partials/confirm.html", title=title, button=button or _("Confirm"))
