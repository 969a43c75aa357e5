"""backup create / restore, on whichever database the suite runs."""

import json
import threading
import time

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post, Thread
from tests.factories import PASSWORD, make_category, make_discussion, make_user
from tests.live import ARTIFACTS, HttpClient


def test_backup_then_restore_brings_the_forum_back(app, tmp_path, member, client):
    category = make_category()
    make_discussion(member, category, title="Kept in the backup")
    cli = app.test_cli_runner()
    target = tmp_path / "forum.backup"

    made = cli.invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0
    again = cli.invoke(args=["backup", "create", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output

    make_discussion(member, category, title="Written after the backup")
    db.session.commit()
    db.session.remove()
    restored = cli.invoke(args=["backup", "restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output

    titles = db.session.scalars(select(Thread.title)).all()
    assert titles == ["Kept in the backup"]
    assert "Kept in the backup" in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Thread.id))) == 1


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "nope"),
                                                "--yes"])
    assert result.exit_code != 0 and "not a backup file" in result.output


def test_a_backup_taken_while_people_write_restores_to_a_consistent_forum(
        app, server, tmp_path, client):
    """Eight people keep replying through the live server while three backups are taken.
    Each writer sends replies one after another, so any consistent copy holds, for every
    writer, their first k replies and no gaps; the thread's count agrees with them."""
    category = make_category()
    writers = [make_user(f"steady{n}") for n in range(8)]
    thread_id = make_discussion(writers[0], category, title="Written during backups").id
    db.session.commit()
    clients = []
    for writer in writers:
        http = HttpClient(server)
        http.login(writer.username, PASSWORD)
        clients.append(http)
    tokens = [http.token(f"/t/{thread_id}") for http in clients]
    stop = threading.Event()
    statuses: list[int] = []

    def write(n):
        k = 0
        while not stop.is_set():
            status = clients[n].request(f"/t/{thread_id}/reply", {
                "csrf_token": tokens[n], "body": f"writer {n} reply {k}"}).status
            statuses.append(status)
            k += status == 302

    workers = [threading.Thread(target=write, args=(n,)) for n in range(len(clients))]
    for worker in workers:
        worker.start()
    cli = app.test_cli_runner()
    backups = []
    try:
        for number in range(3):
            time.sleep(0.7)
            path = tmp_path / f"during-{number}.backup"
            made = cli.invoke(args=["backup", "create", str(path)])
            assert made.exit_code == 0, made.output
            backups.append(path)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert set(statuses) == {302}, statuses
    db.session.remove()
    written = db.session.scalar(select(Thread.reply_count).where(Thread.id == thread_id))

    seen = []
    for path in backups:
        restored = cli.invoke(args=["backup", "restore", str(path), "--yes"])
        assert restored.exit_code == 0, restored.output
        db.session.remove()
        thread = db.session.get(Thread, thread_id)
        bodies = db.session.scalars(select(Post.body_source).where(
            Post.thread_id == thread_id, Post.is_opening.is_(False))).all()
        by_writer = {}
        for body in bodies:
            _, n, _, k = body.split()
            by_writer.setdefault(int(n), []).append(int(k))
        for n, ks in by_writer.items():
            assert sorted(ks) == list(range(len(ks))), (path.name, n, sorted(ks))
        assert thread.reply_count == len(bodies), path.name
        assert thread.last_activity_at == db.session.scalar(
            select(func.max(Post.created_at)).where(Post.thread_id == thread_id))
        assert client.get(f"/t/{thread_id}").status_code == 200
        seen.append(len(bodies))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"backup-{db.engine.dialect.name}.json").write_text(json.dumps({
        "writers": len(clients), "replies_sent": len(statuses), "stored_at_end": written,
        "replies_in_each_backup": seen, "errors": len([s for s in statuses if s != 302])}))
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] <= written, (seen, written)
