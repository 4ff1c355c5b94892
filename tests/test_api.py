"""The HTTP contract: health, creating rooms, room snapshots and 404s."""

import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import pytest

import database
import schema
import voting_logic
from tests.conftest import BOTH
from tests.servers import PROJECT
from tests.servers import free_port

# Every test that builds the app runs on SQLite and on PostgreSQL.
DATABASES = BOTH


def test_healthz_answers_ok(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ok"


def test_healthz_is_503_when_the_database_fails(client, app, tmp_path, backend):
    broken = tmp_path / "not-a-database"
    broken.write_bytes(b"this is not sqlite" * 100)
    app.config["DB_PATH"] = str(broken)
    if backend == "postgresql":
        app.config["DATABASE_URL"] = f"postgresql://poker@127.0.0.1:{free_port()}/x"
    database.close_idle(app)

    answer = client.get("/healthz")

    assert answer.status_code == 503
    assert answer.get_json() == {"status": "error"}


def test_create_room_answers_code_and_url(client):
    answer = client.post("/api/rooms", json={"name": "Team Blau", "deck": "fibonacci"})

    assert answer.status_code == 201
    body = answer.get_json()
    assert set(body) == {"code", "url"}
    assert len(body["code"]) == 6
    assert not set(body["code"]) & set("0O1lI")
    assert body["url"] == f"http://localhost/r/{body['code']}"


@pytest.mark.parametrize("deck_id", sorted(voting_logic.DECKS))
def test_every_built_in_deck_can_be_chosen(client, deck_id):
    code = client.post("/api/rooms", json={"name": "R", "deck": deck_id}).get_json()[
        "code"
    ]

    room = client.get(f"/api/rooms/{code}").get_json()["room"]

    assert room["deck"] == deck_id
    assert room["cards"] == list(voting_logic.DECKS[deck_id])


def test_default_deck_is_modified_fibonacci(client, room_code):
    room = client.get(f"/api/rooms/{room_code}").get_json()["room"]

    assert room["cards"] == [
        "0",
        "½",
        "1",
        "2",
        "3",
        "5",
        "8",
        "13",
        "20",
        "40",
        "100",
        "?",
        "☕",
    ]


def test_custom_deck(client):
    answer = client.post(
        "/api/rooms",
        json={"name": "R", "deck": "custom", "cards": ["1", "2", "4", "?"]},
    )

    code = answer.get_json()["code"]
    assert client.get(f"/api/rooms/{code}").get_json()["room"]["cards"] == [
        "1",
        "2",
        "4",
        "?",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"deck": "fibonacci"},
        {"name": "", "deck": "fibonacci"},
        {"name": "   "},
        {"name": 42},
        {"name": "R", "deck": "poker"},
        {"name": "R", "deck": 3},
        {"name": "R", "deck": "custom"},
        {"name": "R", "deck": "custom", "cards": ["1"]},
        {"name": "x" * 201},
        ["not", "an", "object"],
    ],
)
def test_create_room_rejects_bad_input_with_json_error(client, body):
    answer = client.post("/api/rooms", json=body)

    assert answer.status_code == 400
    error = answer.get_json()
    assert set(error) == {"error", "message"}
    assert error["message"]


def test_create_room_rejects_a_non_json_body(client):
    answer = client.post("/api/rooms", data="name=x", content_type="text/plain")

    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_payload"


def test_room_snapshot_matches_the_contract(client, room_code):
    snapshot = client.get(f"/api/rooms/{room_code}").get_json()

    assert set(snapshot) >= {
        "version",
        "room",
        "story",
        "round",
        "participants",
        "stats",
    }
    assert snapshot["round"] == {"number": 1, "revealed": False}
    assert snapshot["participants"] == []
    assert snapshot["stats"] is None


def test_room_code_is_case_insensitive_in_the_api(client, room_code):
    answer = client.get(f"/api/rooms/{room_code.lower()}")

    assert answer.status_code == 200


def test_unknown_room_is_404_json(client):
    answer = client.get("/api/rooms/ZZZZZZ")

    assert answer.status_code == 404
    assert answer.get_json()["error"] == "room_not_found"


def test_security_headers_on_every_answer(client):
    headers = client.get("/healthz").headers

    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_migrations_build_the_schema_from_an_empty_file(tmp_path):
    path = tmp_path / "fresh.db"
    path.write_bytes(b"")

    database.migrate(str(path))

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"rooms", "stories", "rounds", "participants", "votes"} <= tables


def test_migrating_twice_keeps_the_data(tmp_path):
    path = str(tmp_path / "poker.db")
    database.migrate(path)
    db = database.connect(path)
    db.execute(
        "INSERT INTO rooms (code, name, deck, cards, created_at, last_activity)"
        " VALUES ('ABCDEF', 'R', 'fibonacci', '[]', 0, 0)"
    )
    db.close()

    database.migrate(path)

    db = database.connect(path)
    assert db.execute("SELECT name FROM rooms").fetchall()[0]["name"] == "R"


def test_an_unwritable_database_folder_stops_start_up_with_one_line(tmp_path):
    # a folder the unprivileged user can reach, unlike pytest's private tmp_path
    outer = tempfile.mkdtemp(prefix="poker-locked-")
    os.chmod(outer, 0o755)
    folder = pathlib.Path(outer) / "locked"
    folder.mkdir()
    command = [sys.executable, "app.py"]
    if os.geteuid() == 0:
        # root writes anywhere: run as the unprivileged user a container would use
        command = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ] + command
    folder.chmod(0o555)
    env = dict(os.environ, FLASK_ENV="development", DB_PATH=str(folder / "poker.db"))

    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "CRITICAL" in line]
    assert len(lines) == 1
    assert "not writable" in lines[0] and str(folder) in lines[0]
    shutil.rmtree(outer)


def test_a_form_field_that_is_not_utf8_is_refused_not_patched_up(app, client):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)[1]
    body = b"csrf_token=" + token.encode() + b"&name=Team+%80&deck=fibonacci"

    answer = client.post(
        "/", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert answer.status_code == 400
    with app.app_context():
        rooms = database.get_db().execute("SELECT COUNT(*) FROM rooms").fetchone()
    assert rooms[0] == 0
