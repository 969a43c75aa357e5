"""The anonymous page cache over HTTP: a visitor's GET of a public page is answered
from the store (forum/pagecache.py) before any view, template or member is loaded.

Only visitors (no `_user_id` in the session, no remember cookie, nothing but the CSRF
token in the session) on the endpoints below; a signed-in member never gets a kept page.
A page is kept when it is a 200 made for a visitor that set no cookie, showed no
flashed message and is not a members-only teaser or a closed profile (`do_not_cache`).
Its CSRF token is kept as a placeholder and each visitor is served their own.
"""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask.globals import request_ctx
from flask_wtf.csrf import generate_csrf

from .. import pagecache
from . import preferences

THREAD_PAGES = frozenset({"threads.thread", "threads.top_posts", "threads.thread_search"})
LIST_PAGES = frozenset({"threads.index", "threads.category", "threads.tag", "threads.search_page",
                        "threads.feed", "threads.tag_feed", "threads.guidelines",
                        "accounts.profile"})
FEEDS = frozenset({"threads.feed", "threads.tag_feed"})
# A visitor's session may hold these and still be served kept pages; anything else
# (a flashed message, a pending sign-in, a kept draft) may change the page.
VISITOR_KEYS = frozenset({"csrf_token", "_permanent", "_fresh", "_id"})
PLACEHOLDER = b"\x00page-cache-csrf\x00"
HEADER = "X-Page-Cache"


def do_not_cache() -> None:
    """This response must not be kept (a members-only teaser, a closed profile)."""
    g.page_cache_off = True


def signed_in() -> bool:
    """A member, or a browser that may become one: never from the cache."""
    return ("_user_id" in session
            or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)


def _tags() -> list[str] | None:
    endpoint = request.endpoint
    if endpoint in THREAD_PAGES:
        return [pagecache.SITE, pagecache.thread_tag((request.view_args or {})["thread_id"])]
    if endpoint in LIST_PAGES:
        return [pagecache.SITE, pagecache.LISTS]
    return None


def _key() -> str:
    reading = preferences.current()
    query = sorted(request.args.items(multi=True), key=lambda pair: pair[0])
    return pagecache.key_of([
        current_app.extensions["page_cache_build"], request.scheme, request.host, request.path,
        "&".join(f"{name}={value}" for name, value in query),
        reading.language or "", reading.timezone or "", reading.css_classes,
    ])


def _etag(digest: str, has_token: bool) -> str:
    """A strong ETag of the kept bytes for a page without a token (feeds)."""
    digest = digest[:32]
    if not has_token:
        return f'"{digest}"'
    # The bytes differ by the token's signature (weak); the visitor's token is part of
    # it, so a copy revalidated after their session changed is made again.
    visitor = sha256(str(session.get("csrf_token", "")).encode()).hexdigest()[:12]
    return f'W/"{digest}.{visitor}"'


def _finish(response, etag: str, has_token: bool, state: str):
    response.headers["Cache-Control"] = "private, no-cache" if has_token else "public, no-cache"
    response.headers["ETag"] = etag
    response.headers[HEADER] = state
    if request.if_none_match.contains_weak(etag.removeprefix("W/").strip('"')):
        response.status_code = 304
        response.set_data(b"")
    return response


def answer():
    """before_request: a kept page for a visitor, or note what to keep after the view."""
    if request.method not in ("GET", "HEAD") or not current_app.config.get("PAGE_CACHE"):
        return None
    tags = _tags()
    if tags is None or signed_in() or not VISITOR_KEYS.issuperset(session.keys()):
        g.page_cache = "skip"
        return None
    key = _key()
    read = {}
    found = pagecache.get(key, tags, read)
    if found is None:
        # Before the page is made (or just now, for a kept page that no longer stands).
        g.page_cache_versions = read or pagecache.versions_or_none(tags)
        g.page_cache, g.page_cache_key = ("skip" if g.page_cache_versions is None else "miss"), key
        return None
    meta, body = found
    g.page_cache = "hit"
    if meta["noindex"]:
        g.noindex = True
    if meta["token"]:
        body = body.replace(PLACEHOLDER, generate_csrf().encode())
    response = current_app.response_class(body, mimetype=meta["mimetype"])
    return _finish(response, _etag(meta["digest"], meta["token"]), meta["token"], "hit")


def keep(response):
    """after_request: keep a visitor's page that may be kept; mark every page."""
    state = g.get("page_cache")
    if state is None or state == "hit":
        return response
    if state == "miss" and _keepable(response):
        body = response.get_data()
        token = g.get("csrf_token")
        has_token = bool(token) and token.encode() in body
        if PLACEHOLDER in body:
            response.headers[HEADER] = "skip"
            return response
        stored = body.replace(token.encode(), PLACEHOLDER) if has_token else body
        digest = sha256(stored).hexdigest()
        pagecache.put(g.page_cache_key, {
            "versions": g.page_cache_versions, "mimetype": response.mimetype,
            "token": has_token, "noindex": bool(g.get("noindex")), "digest": digest}, stored)
        return _finish(response, _etag(digest, has_token), has_token, "miss")
    response.headers[HEADER] = "skip"
    return response


def _keepable(response) -> bool:
    return (response.status_code == 200 and not g.get("page_cache_off")
            and not response.direct_passthrough and not response.is_streamed
            and "Set-Cookie" not in response.headers and not signed_in()
            and "_flashes" not in session and not request_ctx.flashes
            and response.mimetype in ("text/html", "application/atom+xml"))


def build_of(app: Flask) -> str:
    """What the code that makes pages is: a hash of the Python files, templates and
    compiled translations, so a page kept by one release is never served by the next
    (processes of two releases may share Redis while a deploy rolls)."""
    root = Path(app.root_path).parent
    digest = sha256()
    for folder, pattern in (("forum", "*.py"), ("templates", "*"), ("translations", "*.mo")):
        for path in sorted((root / folder).rglob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def init_app(app: Flask) -> None:
    app.extensions["page_cache_build"] = build_of(app)
    pagecache.listen()
    hooks = app.before_request_funcs.setdefault(None, [])
    # Right after the request log's start: the request keeps its id and duration.
    starts = [index for index, hook in enumerate(hooks) if hook.__name__ == "start"]
    hooks.insert(starts[0] + 1 if starts else 0, answer)
    app.after_request(keep)
