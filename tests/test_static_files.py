"""Static files: their addresses carry their contents' hash, so browsers and nginx may
keep them for a year (docs/deploy.md), and a changed file gets a new address."""

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_pages_link_static_files_by_version_and_those_are_kept_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    links = dict(re.findall(r'/static/([\w.-]+)\?v=([0-9a-f]+)"', page))
    assert "forum.css" in links, page[:500]
    for name, version in links.items():
        assert version == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        response = client.get(f"/static/{name}?v={version}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000"


def test_a_static_address_without_its_version_is_asked_for_again(client):
    response = client.get("/static/forum.css")
    assert response.status_code == 200
    assert "max-age=31536000" not in response.headers["Cache-Control"]
