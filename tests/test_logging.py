"""Logs for the operator: one line per event on stdout, the facts, no secrets."""

import os
import re

import requests

import app as app_module
from tests.admin_client import PASSWORD
from tests.admin_client import PASSWORD_HASH
from tests.admin_client import USERNAME
from tests.live_clients import Participant
from tests.servers import running_app
from tests.test_reliability_admin import post_form

# Cards no timestamp or id can contain, so finding one in the log means a leak.
CARDS = ["Kiwi", "Mango", "Papaya"]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) ")


def play_a_round(server):
    """Create a room, two join and vote, one reveals, the admin logs in."""
    answer = requests.post(
        f"{server.url}/api/rooms",
        json={"name": "Logbuch", "deck": "custom", "cards": CARDS},
        timeout=10,
    )
    code = answer.json()["code"]
    people = [Participant(server.url, name).connect() for name in ("Anna", "Ben")]
    try:
        for person, card in zip(people, CARDS, strict=False):
            person.join(code)
            assert person.call("vote", {"value": card})["ok"]
        assert people[0].call("reveal")["ok"]
    finally:
        for person in people:
            person.close()

    with requests.Session() as browser:
        login = {"username": USERNAME, "password": PASSWORD}
        answer = post_form(browser, server, "/admin/login", "/admin/login", **login)
        assert answer.status_code == 302
        wrong = {"username": USERNAME, "password": "falsch-" + PASSWORD}
        post_form(browser, server, "/admin/login", "/admin/login", **wrong)
    return code


def test_the_log_names_the_facts_and_keeps_votes_and_secrets_out(tmp_path):
    db_path = str(tmp_path / "poker.db")
    env = {"ADMIN_USERNAME": USERNAME, "ADMIN_PASSWORD_HASH": PASSWORD_HASH}
    with running_app(db_path, env=env) as server:
        code = play_a_round(server)
        log = server.read_log()

    lines = log.splitlines()
    (start,) = [line for line in lines if "starting:" in line]
    assert f"Planning Poker {app_module.__version__} starting:" in start
    for fact in (
        "env=development",
        f"db={os.path.abspath(db_path)}",
        "async_mode=eventlet",
        "origins=same origin only",
    ):
        assert fact in start
    assert all(LINE.match(line) for line in lines), log
    assert any(f"joined room {code} as voter" in line for line in lines)
    assert any(f"room {code} revealed" in line for line in lines)
    assert any("admin logged in from 127.0.0.1" in line for line in lines)
    assert any("failed admin login from 127.0.0.1" in line for line in lines)
    for secret in (*CARDS, PASSWORD, PASSWORD_HASH, "test-secret-key-for-live-tests"):
        assert secret not in log


def test_log_level_warning_leaves_out_the_info_lines(tmp_path):
    env = {
        "ADMIN_USERNAME": USERNAME,
        "ADMIN_PASSWORD_HASH": PASSWORD_HASH,
        "LOG_LEVEL": "WARNING",
    }
    with running_app(str(tmp_path / "poker.db"), env=env) as server:
        play_a_round(server)
        log = server.read_log()

    assert "joined room" not in log
    assert "starting:" not in log
    assert "WARNING admin_auth: failed admin login from 127.0.0.1" in log


def failing_app(tmp_path, monkeypatch, **env):
    """An app whose /boom route raises, built as the environment says."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = app_module.create_app(
        {"SECRET_KEY": "test-secret", "DB_PATH": str(tmp_path / "poker.db")}
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaputt\nzweite Zeile")

    return app


def test_an_error_and_its_traceback_are_one_line(tmp_path, monkeypatch, capsys):
    app = failing_app(tmp_path, monkeypatch)
    capsys.readouterr()

    answer = app.test_client().get("/boom")

    (line,) = capsys.readouterr().out.splitlines()
    assert answer.status_code == 500
    assert LINE.match(line)
    assert " ERROR app: Exception on /boom [GET]\\nTraceback" in line
    assert "RuntimeError: kaputt\\nzweite Zeile" in line


def test_flask_debug_never_turns_on_the_debugger(tmp_path, monkeypatch):
    app = failing_app(tmp_path, monkeypatch, FLASK_DEBUG="1", FLASK_ENV="development")

    answer = app.test_client().get("/boom")

    assert app.debug is False
    assert answer.status_code == 500
    assert b"Traceback" not in answer.data and b"kaputt" not in answer.data


def test_the_threading_server_runs_without_debugger_or_reloader(tmp_path):
    env = {"ASYNC_MODE": "threading", "FLASK_DEBUG": "1"}
    with running_app(str(tmp_path / "poker.db"), env=env) as server:
        requests.get(f"{server.url}/healthz", timeout=5)
        log = server.read_log()

    assert "async_mode=threading" in log
    assert "Debugger is active" not in log
    assert "Debug mode: on" not in log
    assert "Restarting with" not in log
