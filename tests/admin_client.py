"""Helpers for the admin tests: credentials, CSRF tokens from real pages, the DB."""

import re

from werkzeug.security import generate_password_hash

import database
from app import create_app

USERNAME = "chefin"
PASSWORD = "Kartenhaus-im-Sturm-2026"
# A cheap method keeps the suite fast; the password script test uses the default.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def configure(app):
    """Give an app from the fixture ladder the test admin's credentials."""
    app.config.update(ADMIN_USERNAME=USERNAME, ADMIN_PASSWORD_HASH=PASSWORD_HASH)
    return app


def make_app(folder, **config):
    """Build a separate instance, like a second process, with its own database."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "test-secret",
            "DB_PATH": str(folder / "poker.db"),
            "ASYNC_MODE": "threading",
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "BROADCAST_WINDOW": 0,
            "ADMIN_USERNAME": USERNAME,
            "ADMIN_PASSWORD_HASH": PASSWORD_HASH,
            **config,
        }
    )


def csrf_token(client, path="/admin/login", **request):
    """Read the CSRF token from a page, as a browser's form would carry it."""
    page = client.get(path, follow_redirects=True, **request)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def login(client, username=USERNAME, password=PASSWORD, base_url="http://localhost"):
    """Post the login form; over HTTPS with the Referer a browser sends."""
    token = csrf_token(client, base_url=base_url)
    return client.post(
        "/admin/login",
        data={"csrf_token": token, "username": username, "password": password},
        base_url=base_url,
        headers={"Referer": f"{base_url}/admin/login"},
    )


def post(client, path, data=None, **request):
    """Post a dashboard form with a valid CSRF token taken from the dashboard."""
    token = csrf_token(client, "/admin/")
    return client.post(path, data={"csrf_token": token, **(data or {})}, **request)


def join(sock, code, name="Anna", client_id="client-anna-0001", role="voter"):
    answer = sock.emit(
        "join",
        {"room": code, "name": name, "client_id": client_id, "role": role},
        callback=True,
    )
    assert answer["ok"], answer
    return answer


def only_states(sock):
    """Return the `state` payloads received since the last call, failing on others."""
    received = sock.get_received()
    assert [event["name"] for event in received] == ["state"] * len(received)
    return [event["args"][0] for event in received]


def query(app, sql, params=()):
    """Run a read query against the app's database and return plain dicts."""
    with app.app_context():
        rows = database.get_db().execute(sql, params).fetchall()
        return [dict(row) for row in rows]


def stories(app, code):
    return query(
        app,
        "SELECT s.* FROM stories s JOIN rooms r ON r.id = s.room_id"
        " WHERE r.code = ? ORDER BY s.position, s.id",
        (code,),
    )


def add_story(client, app, code, title, **fields):
    """Add a story through the dashboard form and return its id."""
    answer = post(client, f"/admin/rooms/{code}/stories", {"title": title, **fields})
    assert answer.status_code == 302
    added = [story for story in stories(app, code) if story["title"] == title]
    assert added, f"story {title!r} was not added"
    return added[-1]["id"]
