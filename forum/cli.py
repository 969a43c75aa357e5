"""Operator commands: `flask --app forum users|seed|text ...`."""

import time
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from . import text
from .extensions import db
from .models import AccountRole, Post, Thread, User


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed)
    app.cli.add_command(text_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(digest_group)
    app.cli.add_command(search_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(recount)
    app.cli.add_command(purge)
    app.cli.add_command(two_factor_group)
    app.cli.add_command(reminders_group)


@click.group(help="Manage accounts.")
def users():
    pass


@users.command("create", help="Create a confirmed, established account.")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--role", type=click.Choice([r.value for r in AccountRole]),
              default=AccountRole.MEMBER.value)
@click.option("--display-name", default="")
def create_user(name, email, password, role, display_name):
    from .domain.accounts import AccountError
    from .domain.accounts import create_user as create

    try:
        user = create(
            name, email, password, role,
            established=True, confirmed=True, display_name=display_name,
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.account_role} {user.username!r} (id {user.id}).")


@click.group(help="Load content.")
def seed():
    pass


@seed.command("demo", help="Load the demo community (idempotent).")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
def seed_demo(if_empty):
    from .demo import load_demo

    if current_app.config["FORUM_ENV"] == "production":
        raise click.ClickException("Refusing to load demo content when FORUM_ENV=production.")
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("The database already has accounts; demo content not loaded.")
        return
    created = load_demo()
    click.echo("Demo community loaded." if created else "Demo community already present.")


@seed.command("bulk", help="Load synthetic threads for benchmarks: N threads of M posts each.")
@click.option("--threads", "threads", type=click.IntRange(min=1), required=True,
              help="How many threads to add.")
@click.option("--posts", "posts", type=click.IntRange(min=1), required=True,
              help="Posts in each thread, the opening post included.")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True,
              help="Seed of the invented text: the same seed and sizes load the same words.")
def seed_bulk(threads, posts, seed_value):
    from . import bulk

    if current_app.config["FORUM_ENV"] == "production":
        raise click.ClickException("Refusing to load bulk content when FORUM_ENV=production.")
    with click.progressbar(length=threads * posts, label="Writing posts",
                           show_pos=True, show_eta=True) as bar:
        result = bulk.load(threads, posts, progress=bar.update, seed=seed_value)
    click.echo(f"{result.threads} threads and {result.posts} posts added "
               f"(accounts bulk_member_01..{bulk.MEMBERS:02d}, password {bulk.BULK_PASSWORD!r}).")


@click.group("text", help="Stored text.")
def text_group():
    pass


@text_group.command("rerender", help="Re-render every stored body from its source.")
def rerender():
    ids = db.session.scalars(select(Post.id).order_by(Post.id)).all()
    changed = 0
    with click.progressbar(length=len(ids), label="Re-rendering posts") as bar:
        for start in range(0, len(ids), 500):
            batch = db.session.scalars(select(Post).where(Post.id.in_(ids[start:start + 500])))
            for post in batch:
                html = text.render(post.body_source)
                if html != post.body_html:
                    post.body_html = html
                    changed += 1
            db.session.commit()
            bar.update(len(ids[start:start + 500]))
    click.echo(f"{changed} of {len(ids)} posts changed.")


@click.command(help="Recompute every thread's counts and timestamps from its posts.")
def recount():
    from .domain import visibility

    total = db.session.scalar(select(func.count(Thread.id)))
    with click.progressbar(length=total, label="Recounting threads") as bar:
        wrong = visibility.recount(progress=bar.update)
    click.echo(f"{total} threads recounted, {wrong} corrected.")


@click.group("mail", help="Outgoing mail.")
def mail_group():
    pass


DIGEST_CHECK = 300  # seconds between `mail send --watch`'s looks for due digests


@mail_group.command("send", help="Deliver due mail from the outbox, retrying failures "
                    "(with growing waits); notifications are written out, or dropped, now.")
@click.option("--watch", is_flag=True, help="Keep running, checking every few seconds (and "
              "turning due bookmark reminders and digests into mail as it goes); stops "
              "cleanly on SIGTERM or Ctrl-C.")
@click.option("--interval", default=10, show_default=True, help="Seconds between checks.")
def mail_send(watch, interval):
    import logging
    import signal

    from .domain import bookmarks, digests, mail

    stopping = []
    digests_checked = 0.0
    if watch:
        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    log = logging.getLogger("forum.mail")
    def one_pass():
        if watch:
            # One service does it all: due reminders every pass (one query when none are
            # due), digests every DIGEST_CHECK seconds (each is idempotent per period, so
            # a cron job running `digest send` as well does no harm).
            nonlocal digests_checked
            bookmarks.remind_due()
            if time.monotonic() - digests_checked >= DIGEST_CHECK:
                digests.send_due()
                digests_checked = time.monotonic()
        return mail.send_pending()

    while True:
        if not watch:
            counts = one_pass()  # a failure ends the command, non-zero
        else:
            try:
                counts = one_pass()
            except Exception:  # the service keeps going; the next pass tries again
                log.exception("mail pass failed; trying again in %s seconds", interval)
                db.session.rollback()
                counts = mail.Pass()
        line = f"{counts.sent} sent, {counts.failed} failed."
        extra = ", ".join(f"{counts[name]} {name}" for name in ("dropped", "delayed", "waiting")
                          if counts[name])
        if extra:
            line += f" ({extra})"
        if not watch:
            click.echo(line)
            if counts.failed:
                raise SystemExit(1)
            return
        log.info("mail pass: %s", line)
        if sum(counts.values()):
            click.echo(line)
        # Sleep in short steps so a stop request is heard within a second.
        for _step in range(max(int(interval), 1)):
            if stopping:
                break
            time.sleep(1)
        if stopping:
            click.echo("Stopped.")
            return


@click.group("digest", help="Daily and weekly digests of notifications and new threads.")
def digest_group():
    pass


@digest_group.command("send", help="Queue the digests that are due (idempotent: run it "
                      "hourly from cron); `mail send` delivers them.")
def digest_send():
    from .domain import digests

    queued, skipped = digests.send_due()
    click.echo(f"{queued} digests queued, {skipped} skipped (nothing new, or seen on the site).")


@click.group("search", help="The full-text search index.")
def search_group():
    pass


@search_group.command("reindex", help="Rebuild the search index from every visible post.")
def search_reindex():
    from .domain import search

    total = db.session.scalar(select(func.count(Post.id)))
    with click.progressbar(length=total, label="Indexing posts") as bar:
        indexed = search.reindex(progress=bar.update)
    click.echo(f"{indexed} posts indexed.")


@click.command("purge", help="Erase the text and revisions of posts deleted more than "
               "DELETED_RETENTION_DAYS ago (idempotent).")
def purge():
    from .domain import retention

    days = current_app.config["DELETED_RETENTION_DAYS"]
    ids = retention.due_for_purge(days)
    with click.progressbar(length=len(ids), label="Erasing deleted posts") as bar:
        erased = retention.purge(ids, progress=bar.update)
    posts = "post" if erased == 1 else "posts"
    click.echo(f"{erased} deleted {posts} erased (deleted more than {days} days ago).")


@click.group("backup", help="Copies of the database.")
def backup_group():
    pass


@backup_group.command("create", help="Write a consistent copy of the live database to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(path):
    _backup("create", path)
    click.echo(f"Backup written to {path}.")


@backup_group.command("restore", help="Replace the database's contents with the backup at PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path, yes):
    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    _backup("restore", path)
    click.echo(f"Restored from {path}.")


def _backup(action: str, path: Path) -> None:
    """Run backup.create or backup.restore; its refusal is the command's message."""
    from . import backup

    try:
        getattr(backup, action)(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None


@click.group("two-factor", help="Two-step sign-in.")
def two_factor_group():
    pass


@two_factor_group.command(
    "rotate-key",
    help="Re-encrypt every two-step secret with the first key in TOTP_ENCRYPTION_KEY; "
         "the keys after it may be removed once this succeeds.")
def two_factor_rotate_key():
    from .domain import two_factor

    with click.progressbar(length=two_factor.sealed_count(),
                           label="Re-encrypting two-step secrets") as bar:
        rotated, unreadable = two_factor.rotate_key(progress=bar.update)
    click.echo(f"{rotated} secrets re-encrypted with the first key.")
    if unreadable:
        raise click.ClickException(
            f"{unreadable} secrets open with no key in TOTP_ENCRYPTION_KEY and were left "
            "as they were; put back the key they were made with and run this again.")


# -- bookmarks' reminders (#13) ------------------------------------------------------

@click.group("reminders", help="Bookmarks' reminders.")
def reminders_group():
    pass


@reminders_group.command(
    "send",
    help="Turn every bookmark reminder that has come due into a notification (and its "
         "mail, for members who want mail at once). Safe to run as often as you like, "
         "from cron: each reminder is sent once.")
def reminders_send():
    from .domain import bookmarks

    made = bookmarks.remind_due()
    click.echo(f"{made} reminders sent.")
