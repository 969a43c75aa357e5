"""Posts: replies, edits, edit history and deletion; "This helped me" and the answer;
drafts; bookmarks (a saved post with a note and a reminder)."""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import bookmarks, drafts, helpful, listings, posts, reports, threads
from ..limits import editing, per_member, writing
from ..permissions import (
    Refused,
    can_bookmark,
    can_choose_answer,
    can_delete_post,
    can_edit_post,
    can_flag,
    can_keep_drafts,
    can_label,
    can_mark_answer,
    can_mark_helpful,
    can_reply,
    can_view_history,
    can_view_post,
    can_view_thread,
    require,
)
from ..web.pages import apply_label, render_thread
from ..web.paging import requested_page, require_page_exists
from ..web.sending import send_once
from ..web.urls import post_url, thread_url
from ..web.writing import (
    ArticleEditForm,
    EditPostForm,
    FlagForm,
    ReplyForm,
    ThreadEditForm,
    ready_to_send,
    waiting,
)
from .forms import BookmarkForm, DraftForm

bp = Blueprint("posts", __name__)


def _load_post(post_id):
    post = posts.get_post(post_id) or abort(404)
    require(can_view_thread(current_user, post.thread))
    require(can_view_post(current_user, post))
    return post


@bp.get("/p/<id:post_id>")
def permalink(post_id):
    return redirect(post_url(_load_post(post_id)))


@bp.get("/t/<id:thread_id>/latest")
def latest(thread_id):
    """The newest visible post of a thread (a thread titled "Latest" lands there too)."""
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    return redirect(post_url(posts.latest_post(thread, current_user)))


@bp.post("/t/<id:thread_id>/reply")
@writing
def reply(thread_id):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    require(can_reply(current_user, thread))
    form = ReplyForm()
    if ready_to_send(form):
        post = send_once(form, "reply", lambda: posts.add_reply(
            thread, current_user, form.body.data, submission=form.submission.data),
            lambda post: waiting(_("Your reply is waiting for a moderator to approve it."), post)
            if post.is_held else _("Your reply is posted."))
        if post is not None:
            return redirect(post_url(post))
    # The whole thread page again, with the reply form holding what was typed.
    last_page = max(1, -(-(thread.reply_count + 1) // current_app.config["POSTS_PER_PAGE"]))
    return render_thread(thread, form, preview=drafts.preview_of(form), page=last_page)


def _edit_form(post):
    # Explicit data, not obj=: an object's attribute would win over these (thread.tags
    # is a list of Tag rows, not the text the form shows).
    if not post.is_opening:
        return EditPostForm(data={"body": post.body_source})
    thread = post.thread
    form_class = ArticleEditForm if thread.is_article else ThreadEditForm
    return form_class(data={
        "title": thread.title, "body": post.body_source, "summary": thread.summary,
        "disclosure": thread.disclosure, "tags": " ".join(tag.name for tag in thread.tags),
        "references": threads.references_as_text(thread),
    })


# What an edit may change, each passed to save_edit by name (a reply's form has the
# body only; an opening post's has its thread's fields too).
EDITABLE = ("body", "title", "tags", "summary", "references", "disclosure")


def _edited(form):
    return {name: form[name].data for name in EDITABLE if name in form}


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
@editing
def edit(post_id):
    post = _load_post(post_id)
    require(can_edit_post(current_user, post))
    form = _edit_form(post)
    if ready_to_send(form):
        try:
            threads.save_edit(post, current_user, **_edited(form))
        except threads.WritingError as error:
            form.form_errors.append(str(error))
        else:
            drafts.forget_posted(current_user)
            flash(waiting(_("Your changes are saved and wait for a moderator."), post)
                  if post.held_reason and post.is_held else _("Your changes are saved."),
                  "success")
            return redirect(post_url(post))
    drafts.prepare(form)
    return render_template("posts/edit.html", form=form, post=post,
                           preview=drafts.preview_of(form))


@bp.get("/p/<id:post_id>/history")
def history(post_id):
    post = _load_post(post_id)
    require(can_view_history(current_user, post))
    return render_template("posts/history.html", post=post,
                           revisions=posts.revisions(post))


@bp.post("/p/<id:post_id>/delete")
def delete(post_id):
    post = _load_post(post_id)
    require(can_delete_post(current_user, post))
    posts.delete_post(post, current_user)
    flash(_("The post is deleted."), "success")
    if post.thread.deleted_at is not None:
        return redirect(url_for("threads.category", slug=post.thread.category.slug))
    return redirect(post_url(post))


@bp.post("/p/<id:post_id>/flag")
@per_member("FLAG")
def flag(post_id):
    post = _load_post(post_id)
    require(can_flag(current_user, post))
    form = FlagForm()
    if not form.validate_on_submit():
        return render_template("posts/flag.html", form=form, post=post), 400
    if reports.flag_post(post, current_user, form.reason.data, form.note.data or ""):
        flash(_("Thank you. The moderators will look at it; you can follow it under "
                "“Your reports”."), "success")
    else:
        flash(_("You have already reported this post; the moderators have it."), "info")
    return redirect(post_url(post))


@bp.get("/p/<id:post_id>/flag")
def flag_form(post_id):
    post = _load_post(post_id)
    require(can_flag(current_user, post))
    return render_template("posts/flag.html", form=FlagForm(formdata=None), post=post)


@bp.post("/p/<id:post_id>/label")
def label(post_id):
    post = _load_post(post_id)
    require(can_label(current_user, post))
    return apply_label(post, post_url(post))


# -- helpful and answered ------------------------------------------------------

@bp.post("/p/<id:post_id>/helpful")
@per_member("HELPFUL")
def mark_helpful(post_id):
    post = _load_post(post_id)
    require(can_mark_helpful(current_user, post))
    if helpful.mark_helpful(post, current_user):
        flash(_("Thank you: the author can see that this helped you."), "success")
    return redirect(post_url(post))


@bp.post("/p/<id:post_id>/helpful/undo")
@per_member("HELPFUL")
def unmark_helpful(post_id):
    post = _load_post(post_id)
    require(can_mark_helpful(current_user, post))
    if helpful.unmark_helpful(post, current_user):
        flash(_("You took back “This helped me”."), "success")
    return redirect(post_url(post))


@bp.post("/p/<id:post_id>/answer")
@per_member("HELPFUL")
def mark_answer(post_id):
    post = _load_post(post_id)
    require(can_mark_answer(current_user, post))
    try:
        helpful.mark_answer(post, current_user)
    except Refused as refused:
        require(refused.decision)
    flash(_("The reply is marked as the answer."), "success")
    return redirect(post_url(post))


@bp.post("/t/<id:thread_id>/answer/remove")
@per_member("HELPFUL")
def unmark_answer(thread_id):
    thread = listings.get_thread(thread_id) or abort(404)
    require(can_view_thread(current_user, thread))
    require(can_choose_answer(current_user, thread))
    if helpful.unmark_answer(thread, current_user):
        flash(_("The discussion has no answer marked now."), "success")
    return redirect(thread_url(thread))


# -- drafts ------------------------------------------------------------------

@bp.get("/drafts", endpoint="drafts")
def drafts_page():
    require(can_keep_drafts(current_user))
    return render_template("posts/drafts.html", entries=drafts.listing(current_user))


@bp.post("/drafts/save")
@per_member("DRAFT")
def save_draft():
    """The "Save draft" button of every writing form (and static/drafts.js, in the
    background): the form's fields kept for this member, then back to the form."""
    require(can_keep_drafts(current_user))
    key = drafts.valid_key(request.form.get("draft_key")) or abort(400, _("Unknown form."))
    try:
        saved = drafts.save(current_user, key, request.form)
    except drafts.DraftError as error:
        abort(400, str(error))
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    flash(_("Your draft is saved. Only you can see it.") if saved
          else _("There was nothing to keep as a draft."), "success" if saved else "info")
    return redirect(drafts.form_page(key))


@bp.post("/drafts/discard")
def discard_draft():
    require(can_keep_drafts(current_user))
    form = DraftForm()
    key = drafts.valid_key(form.draft_key.data) if form.validate_on_submit() else None
    if key is None:
        abort(400, _("Unknown form."))
    drafts.discard(current_user, key)
    flash(_("The draft is discarded."), "success")
    return redirect(url_for(".drafts") if form.back.data == "drafts"
                    else drafts.form_page(key))


# -- bookmarks ---------------------------------------------------------------

def _bookmarkable(post_id):
    """The post to save: 404 for one the member may not see (as for every post
    route), then sign in, then 403 for one not everyone can see."""
    post = _load_post(post_id)
    require(can_bookmark(current_user, post))
    return post


def _bookmark_page(form, post, bookmark, status=200):
    return render_template("bookmarks/edit.html", form=form, post=post,
                           bookmark=bookmark), status


@bp.get("/p/<id:post_id>/bookmark")
def bookmark_form(post_id):
    post = _bookmarkable(post_id)
    bookmark = bookmarks.get(current_user, post.id)
    form = BookmarkForm(formdata=None, data={
        "note": bookmark.note if bookmark else "",
        "remind_at": bookmarks.local_value(bookmark and bookmark.remind_at, current_user)})
    return _bookmark_page(form, post, bookmark)


@bp.post("/p/<id:post_id>/bookmark")
@per_member("HELPFUL")
def bookmark(post_id):
    post = _bookmarkable(post_id)
    form = BookmarkForm()
    if "note" not in request.form and "remind_at" not in request.form:
        # The one-button "Save" under a post: saved as it is, a note kept if it has one.
        bookmarks.add(post, current_user)
        flash(_("The post is saved in your bookmarks."), "success")
        return redirect(post_url(post))
    if form.validate_on_submit():
        try:
            bookmarks.save(post, current_user, form.note.data, form.remind_at.data)
        except bookmarks.BookmarkError as error:
            form.remind_at.errors = [*form.remind_at.errors, str(error)]
        else:
            flash(_("Your bookmark is saved."), "success")
            return redirect(url_for(".bookmark_list"))
    return _bookmark_page(form, post, bookmarks.get(current_user, post.id))


@bp.post("/p/<id:post_id>/bookmark/remove")
@per_member("HELPFUL")
def remove_bookmark(post_id):
    """The member's own bookmark, whatever became of its post since (a hidden post's
    bookmark can still be removed from the list); 404 if they have none."""
    require(can_bookmark(current_user))
    if not bookmarks.remove(current_user, post_id):
        abort(404)
    flash(_("The bookmark is removed."), "success")
    return redirect(url_for(".bookmark_list"))


@bp.get("/bookmarks")
def bookmark_list():
    require(can_bookmark(current_user))
    entries = bookmarks.listing(current_user, requested_page(),
                                current_app.config["THREADS_PER_PAGE"])
    require_page_exists(entries)
    return render_template("bookmarks/list.html", entries=entries)
