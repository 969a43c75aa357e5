"""Guards that hold for every route, found by walking the URL map, not by listing them."""

import pytest
from werkzeug.routing import IntegerConverter

from forum import create_app


def _post_routes():
    app = create_app({"TESTING": True})
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            args = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
                    for name in rule.arguments}
            yield rule.endpoint, rule.rule, args


def _url(app, endpoint, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


@pytest.mark.parametrize(("endpoint", "rule", "args"), list(_post_routes()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_post_refuses_a_missing_csrf_token(app, member_browser, endpoint, rule, args):
    url = _url(app, endpoint, args)
    response = member_browser.client.post(url, data={"body": "x", "title": "x"})
    assert response.status_code == 400, (rule, response.status_code)
    # Still signed in, nothing changed: the refusal happened before the view ran.
    assert "Sign out" in member_browser.get("/").get_data(as_text=True)


def test_the_walk_finds_the_forms():
    endpoints = {endpoint for endpoint, _, _ in _post_routes()}
    assert {"accounts.login", "accounts.register", "accounts.logout"} <= endpoints
