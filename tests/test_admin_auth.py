"""Admin login and logout: credentials, limits, CSRF, cookies and the server marker."""

import base64
import io
import logging
import re

import flask
import pytest

import admin
import admin_auth
import admin_stories
import admin_transfer
import database
import settings
from tests.admin_client import PASSWORD
from tests.admin_client import USERNAME
from tests.admin_client import configure
from tests.admin_client import csrf_token
from tests.admin_client import login
from tests.admin_client import make_app
from tests.admin_client import post
from tests.admin_client import query


@pytest.fixture
def app(app):
    return configure(app)


def logged_in(client):
    """Tell whether the dashboard opens, rather than sending to the login page."""
    answer = client.get("/admin/")
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


def test_admin_asks_for_name_and_password(client):
    answer = client.get("/admin/")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/login"
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'name="username"' in page
    assert 'type="password"' in page


def test_login_with_the_right_credentials_opens_the_dashboard(app, client):
    answer = login(client)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"
    assert logged_in(client)
    sessions = query(app, "SELECT username, ended_at FROM admin_sessions")
    assert sessions == [{"username": USERNAME, "ended_at": None}]


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(client):
    cookie = login(client).headers["Set-Cookie"]

    assert cookie.startswith("poker_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client):
    answer = login(client, base_url="https://localhost")

    assert answer.status_code == 302
    assert "; Secure" in answer.headers["Set-Cookie"]


def test_each_login_gets_a_fresh_session(app, client):
    with client.session_transaction() as before:
        before["own_rooms"] = ["ABCDEF"]
        before["left_over"] = "von vorher"

    login(client)
    with client.session_transaction() as first:
        first_id = first[admin_auth.SESSION_KEY]
        assert "left_over" not in first
        assert first["own_rooms"] == ["ABCDEF"]
    login(client)
    with client.session_transaction() as second:
        second_id = second[admin_auth.SESSION_KEY]

    assert first_id != second_id
    assert len(query(app, "SELECT id FROM admin_sessions")) == 2


@pytest.mark.parametrize(
    ("username", "password"),
    [(USERNAME, "falsches-passwort"), ("admin", PASSWORD), ("", "")],
)
def test_wrong_credentials_are_refused(app, client, username, password):
    answer = login(client, username=username, password=password)

    assert answer.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in answer.get_data(as_text=True)
    assert not logged_in(client)
    assert query(app, "SELECT id FROM admin_sessions") == []


def test_a_wrong_name_still_runs_the_password_check(client, monkeypatch):
    checked = []
    real_check = admin_auth.check_password_hash

    def counting_check(stored, password):
        checked.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(admin_auth, "check_password_hash", counting_check)

    assert login(client, username="mallory").status_code == 401
    assert checked == [PASSWORD]


def test_failures_are_logged_with_the_address_but_never_the_password(client, caplog):
    caplog.set_level(logging.INFO)

    login(client, password="geheimes-falsches-wort")

    failures = [r for r in caplog.records if r.name == "admin_auth"]
    assert [r.getMessage() for r in failures] == ["failed admin login from 127.0.0.1"]
    assert "geheimes-falsches-wort" not in caplog.text


def test_failed_logins_are_limited_per_address(app, client):
    for _attempt in range(4):
        assert login(client, password="falsch-falsch").status_code == 401
    assert login(client).status_code == 302  # a success does not count
    assert login(client, password="falsch-falsch").status_code == 401

    blocked = login(client)

    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldungen von dieser Adresse." in page
    wait = int(blocked.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert f"Bitte in {wait} Sekunden erneut versuchen." in page

    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert login(other).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_and_scheme_count(tmp_path):
    app = make_app(tmp_path, TRUSTED_PROXIES=1)
    first, second = app.test_client(), app.test_client()
    first.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    second.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.8"
    second.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"

    for _attempt in range(5):
        assert login(first, password="falsch-falsch").status_code == 401
    assert login(first).status_code == 429
    answer = login(second, base_url="https://localhost")

    assert answer.status_code == 302
    assert "; Secure" in answer.headers["Set-Cookie"]


def test_login_without_csrf_token_is_refused_and_changes_nothing(app, client):
    answer = client.post(
        "/admin/login", data={"username": USERNAME, "password": PASSWORD}
    )

    assert answer.status_code == 400
    assert "Formular abgelaufen" in answer.get_data(as_text=True)
    assert not logged_in(client)
    assert query(app, "SELECT id FROM admin_sessions") == []


def admin_post_rules():
    """Every state-changing route of the admin blueprints, as Flask registers them."""
    probe = flask.Flask("probe")
    for blueprint in ADMIN_BLUEPRINTS:
        probe.register_blueprint(blueprint)
    return sorted(
        rule.rule for rule in probe.url_map.iter_rules() if "POST" in rule.methods
    )


ADMIN_BLUEPRINTS = (
    admin_auth.auth,
    admin.dashboard,
    admin_stories.stories,
    admin_transfer.transfer,
)
TABLES = ("rooms", "stories", "rounds", "participants", "votes", "admin_sessions")
# A value for every field any admin form reads, so a form that went through
# would change something.
FORM = {
    "name": "Gekapert",
    "deck": "tshirt",
    "cards": "1 2 3",
    "archived": "1",
    "title": "Gekapert",
    "description": "",
    "link": "",
    "direction": "down",
    "estimate": "5",
    "username": USERNAME,
    "password": PASSWORD,
    "payload": base64.b64encode(b"Titel\nGekapert\n").decode(),
    "filename": "storys.csv",
}


def test_every_admin_post_route_is_in_the_csrf_check(app):
    posted = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.rule.startswith("/admin")
    }

    assert posted == set(admin_post_rules())


@pytest.mark.parametrize("rule", admin_post_rules())
def test_an_admin_form_without_csrf_token_is_refused_and_changes_nothing(
    app, client, make_socket, rule
):
    login(client)
    code = client.post("/api/rooms", json={"name": "Team Blau"}).get_json()["code"]
    post(client, f"/admin/rooms/{code}/stories", {"title": "Erste"})
    post(client, f"/admin/rooms/{code}/stories", {"title": "Zweite"})
    anna = make_socket(app.test_client())
    answer = anna.emit(
        "join",
        {"room": code, "name": "Anna", "client_id": "client-anna-0001"},
        callback=True,
    )
    ids = {
        "code": code,
        "story_id": query(app, "SELECT MIN(id) AS id FROM stories")[0]["id"],
        "participant_id": answer["participant_id"],
    }
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda part: str(ids[part[1]]), rule)
    anna.get_received()
    before = {table: query(app, f"SELECT * FROM {table}") for table in TABLES}

    refused = client.post(
        path, data={**FORM, "file": (io.BytesIO(b"Titel\nGekapert\n"), "s.csv")}
    )

    assert refused.status_code == 400, path
    assert "Formular abgelaufen" in refused.get_data(as_text=True)
    assert {table: query(app, f"SELECT * FROM {table}") for table in TABLES} == before
    assert anna.get_received() == []
    assert logged_in(client)


def test_logout_ends_the_session_and_a_captured_cookie_is_refused(app, client):
    login(client)
    csrf_token(client, "/admin/")
    captured = client.get_cookie("poker_session").value

    answer = post(client, "/admin/logout")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/login"
    assert not logged_in(client)
    (row,) = query(app, "SELECT ended_at FROM admin_sessions")
    assert row["ended_at"] is not None

    thief = app.test_client()
    thief.set_cookie("poker_session", captured)
    assert not logged_in(thief)
    refused = thief.post(
        "/admin/rooms",
        data={"csrf_token": csrf_token(thief), "name": "Fremder Raum"},
    )
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/admin/login"
    assert query(app, "SELECT id FROM rooms") == []


def test_a_session_ends_after_its_lifetime_and_when_the_user_name_changes(app, client):
    login(client)
    assert logged_in(client)

    app.config["ADMIN_USERNAME"] = "jemand-anderes"
    assert not logged_in(client)
    app.config["ADMIN_USERNAME"] = USERNAME
    assert logged_in(client)

    with app.app_context():
        database.get_db().execute(
            "UPDATE admin_sessions SET created_at = created_at - ?",
            (admin_auth.SESSION_LIFETIME + 1,),
        )
    assert not logged_in(client)


def test_an_open_socket_loses_admin_rights_at_logout(client, make_socket, room_code):
    login(client)
    watcher, idle = make_socket(client), make_socket(client)
    watching = watcher.emit("admin_watch", {"room": room_code}, callback=True)
    assert watching["ok"] is True

    post(client, "/admin/logout")
    answer = idle.emit("admin_watch", {"room": room_code}, callback=True)

    assert not watcher.is_connected()
    assert idle.is_connected()
    assert answer == {
        "ok": False,
        "error": "not_allowed",
        "message": "Bitte als Admin anmelden.",
    }


def test_each_instance_keeps_its_own_login(tmp_path):
    """A browser sends localhost cookies to every port; names keep them apart."""
    stage = make_app(tmp_path / "stage", SESSION_COOKIE_NAME="poker_stage")
    prod = make_app(tmp_path / "prod", SESSION_COOKIE_NAME="poker_prod")
    stage_tab, prod_tab = stage.test_client(), prod.test_client()
    login(stage_tab)
    stage_cookie = stage_tab.get_cookie("poker_stage").value
    prod_tab.set_cookie("poker_stage", stage_cookie)

    assert not logged_in(prod_tab)
    answers = [login(prod_tab)]
    assert logged_in(prod_tab)
    answers.append(post(prod_tab, "/admin/logout"))

    for answer in answers:
        cookies = answer.headers.getlist("Set-Cookie")
        assert cookies and all(c.startswith("poker_prod=") for c in cookies)
    assert prod_tab.get_cookie("poker_stage").value == stage_cookie
    assert logged_in(stage_tab)


def test_without_a_password_hash_nobody_can_log_in(app, client):
    app.config["ADMIN_PASSWORD_HASH"] = ""

    page = client.get("/admin/login").get_data(as_text=True)
    answer = client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(client, "/"), "username": USERNAME},
    )

    assert "Der Admin-Bereich ist noch nicht eingerichtet" in page
    assert ".venv/bin/python generate_admin_password.py" in page
    assert 'name="password"' not in page
    assert answer.status_code == 403
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("'scrypt:32768:8:1$salt$abc'", "still carries its quotes"),
        ("scrypt:32768:8:1", "is not a Werkzeug password hash"),
        ("geheim", "is not a Werkzeug password hash"),
    ],
)
def test_a_mangled_hash_stops_start_up_with_one_clear_line(tmp_path, value, hint):
    with pytest.raises(settings.SettingsError, match=hint):
        make_app(tmp_path, ADMIN_PASSWORD_HASH=value)


def test_admin_pages_are_not_cached(client):
    login(client)

    assert client.get("/admin/").headers["Cache-Control"] == "no-store"
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"


def test_the_admin_is_a_moderator_in_every_room(app, client, make_socket):
    creator = app.test_client()
    code = creator.post("/api/rooms", json={"name": "Team Rot"}).get_json()["code"]
    login(client)
    admin_socket, guest_socket = make_socket(client), make_socket(app.test_client())
    for sock, name, client_id in (
        (admin_socket, "Chefin", "client-chefin-01"),
        (guest_socket, "Gast", "client-gast-0001"),
    ):
        answer = sock.emit(
            "join",
            {"room": code, "name": name, "client_id": client_id, "role": "voter"},
            callback=True,
        )
        assert answer["ok"] is True

    assert guest_socket.emit("start_timer", {"seconds": 60}, callback=True)[
        "error"
    ] == ("not_allowed")
    assert admin_socket.emit("start_timer", {"seconds": 60}, callback=True) == {
        "ok": True
    }


def test_logging_in_keeps_the_rooms_this_browser_created(client, make_socket):
    code = client.post("/api/rooms", json={"name": "Team Gelb"}).get_json()["code"]
    login(client)
    post(client, "/admin/logout")
    sock = make_socket(client)

    answer = sock.emit(
        "join",
        {"room": code, "name": "Mo", "client_id": "client-mo-000001", "role": "voter"},
        callback=True,
    )

    (me,) = answer["snapshot"]["participants"]
    assert me["moderator"] is True
