"""Response headers that every page carries, error pages included, and the one
check that a link we redirect to stays on this site."""

from urllib.parse import SplitResult, urlsplit

from flask import Flask, g, request, session, url_for

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Thread URLs carry titles about people's health; other sites need not see them.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("HSTS"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        if request.endpoint != "static":
            # Pages may show private health conversations: no shared caches, and a
            # member's pages are not even kept on their own disk (a shared computer).
            response.headers.setdefault(
                "Cache-Control", "private, no-store" if "_user_id" in session
                else "private, no-cache")
            response.vary.add("Cookie")
        if g.get("noindex"):
            response.headers.setdefault("X-Robots-Tag", "noindex")
        return response


def ask_not_to_index() -> None:
    """Ask search engines to leave this page out: the `X-Robots-Tag` header here and the
    robots meta in base.html (a members-only thread's teaser, a profile its member keeps
    out of search engines)."""
    g.noindex = True


def url_parts(url: str) -> SplitResult | None:
    """`urlsplit`, or None for what cannot be a URL (`http://[` raises ValueError)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def safe_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (`/t/1?page=2`), else None: never another
    host, scheme or something a browser might read as one (`//x`, `/\\x`, `http:/x`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = url_parts(target)
    if parts is None or parts.scheme or parts.netloc:
        return None
    return target


def safe_next(target: str | None) -> str:
    """Where `?next=` leads: a path on this site, or else the front page."""
    return safe_path(target) or url_for("threads.index")
