"""Races through the real HTTP server: gunicorn with several workers on the test database."""

import json
import threading
import time

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Thread
from tests.factories import PASSWORD, make_category, make_discussion, make_user
from tests.live import ARTIFACTS, HttpClient


def test_a_reply_racing_a_lock_lands_before_it_or_is_refused(server, moderator):
    category = make_category()
    writers = [make_user(f"writer{n}") for n in range(6)]
    rounds = 3
    threads = [make_discussion(writers[0], category, title=f"Racing thread number {n}")
               for n in range(rounds)]
    thread_ids = [thread.id for thread in threads]
    db.session.commit()  # nothing of this test's own stays open while the server writes

    mod = HttpClient(server)
    mod.login(moderator.username, PASSWORD)
    clients = []
    for writer in writers:
        client = HttpClient(server)
        client.login(writer.username, PASSWORD)
        clients.append(client)

    statuses = []
    for thread_id in thread_ids:
        tokens = [c.token(f"/t/{thread_id}") for c in clients]
        mod_token = mod.token(f"/t/{thread_id}")
        start = threading.Barrier(len(clients) + 1)

        def reply(n, thread_id=thread_id, tokens=tokens, start=start):
            start.wait()
            for k in range(3):
                statuses.append(clients[n].request(f"/t/{thread_id}/reply", {
                    "csrf_token": tokens[n], "body": f"reply {k} from writer {n}"})[0])

        def lock(thread_id=thread_id, mod_token=mod_token, start=start):
            start.wait()
            time.sleep(0.01)
            statuses.append(mod.request(f"/t/{thread_id}/lock", {
                "csrf_token": mod_token, "reason": "Closed while people were typing"})[0])

        workers = [threading.Thread(target=reply, args=(n,)) for n in range(len(clients))]
        workers.append(threading.Thread(target=lock))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    assert set(statuses) <= {302, 403}, statuses  # accepted or refused, never an error
    db.session.commit()
    stored = 0
    for thread_id in thread_ids:
        thread = db.session.get(Thread, thread_id)
        assert thread.locked_at is not None
        replies = db.session.scalars(select(Post).where(
            Post.thread_id == thread_id, Post.is_opening.is_(False))).all()
        assert all(post.created_at < thread.locked_at for post in replies), thread_id
        assert thread.reply_count == len(replies)
        stored += len(replies)
    accepted = statuses.count(302) - rounds  # the moderator's locks redirect too
    assert stored == accepted
    assert statuses.count(403) > 0 or stored == len(clients) * 3 * rounds


WRITERS = 50
REPLIES_EACH = 20


def test_fifty_writers_reply_to_one_thread_and_every_reply_is_stored_once(server, database_url):
    """The issue's load: 50 signed-in people each send 20 replies to the same thread at
    once, through gunicorn with 4 workers. Every reply lands exactly once, the thread's
    count and last activity agree with what is stored, and nothing errs."""
    category = make_category()
    writers = [make_user(f"load{n:02d}") for n in range(WRITERS)]
    thread = make_discussion(writers[0], category, title="Everyone replies here at once")
    thread_id = thread.id
    db.session.commit()

    clients = []
    for writer in writers:
        client = HttpClient(server)
        client.login(writer.username, PASSWORD)
        clients.append(client)
    tokens = [c.token(f"/t/{thread_id}") for c in clients]
    statuses: list[int] = []
    start = threading.Barrier(WRITERS)

    def write(n):
        start.wait()
        for k in range(REPLIES_EACH):
            statuses.append(clients[n].request(f"/t/{thread_id}/reply", {
                "csrf_token": tokens[n], "body": f"Writer {n} reply {k}: steady on."})[0])

    began = time.monotonic()
    workers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.monotonic() - began

    db.session.commit()
    thread = db.session.get(Thread, thread_id)
    replies = db.session.scalars(select(Post).where(
        Post.thread_id == thread_id, Post.is_opening.is_(False))).all()
    bodies = [post.body_source for post in replies]
    expected = {f"Writer {n} reply {k}: steady on." for n in range(WRITERS)
                for k in range(REPLIES_EACH)}
    summary = {
        "database": database_url.split(":", 1)[0].split("+")[0], "writers": WRITERS,
        "replies_each": REPLIES_EACH, "sent": len(statuses),
        "statuses": {str(code): statuses.count(code) for code in sorted(set(statuses))},
        "stored": len(bodies), "distinct": len(set(bodies)),
        "lost": len(expected - set(bodies)), "duplicated": len(bodies) - len(set(bodies)),
        "seconds": round(seconds, 1),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"writers-{summary['database']}.json").write_text(json.dumps(summary, indent=2))

    assert statuses == [302] * (WRITERS * REPLIES_EACH), summary
    assert set(bodies) == expected and len(bodies) == len(expected), summary
    assert thread.reply_count == WRITERS * REPLIES_EACH
    assert thread.last_activity_at == max(post.created_at for post in replies)
