"""`flask --app app backup` and `restore`: consistent copies, refused damaged files."""

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

import database
import rooms
import schema
from app import create_app
from tests.live_clients import Participant
from tests.servers import PROJECT
from tests.servers import free_port
from tests.servers import running_app

CARDS = ("1", "2", "3", "5", "8", "13")
# A voter sends two events a round; this keeps it well under 20 a second.
PACE_SECONDS = 0.15


def run_flask(db_path, *args, port=None):
    """Run `flask --app app ARGS` as an operator would, against `db_path`."""
    env = dict(
        os.environ,
        FLASK_ENV="development",
        SECRET_KEY="test-secret-for-commands",
        DB_PATH=str(db_path),
        PORT=str(port or free_port()),
        LOG_LEVEL="WARNING",
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def rows(path, sql, params=()):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "test-secret",
            "DB_PATH": str(tmp_path / "live" / "poker.db"),
            "ASYNC_MODE": "threading",
            "TESTING": True,
            "PORT": free_port(),
        }
    )


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def add_room(db_path, name):
    db = database.connect(db_path)
    try:
        with database.transaction(db):
            return rooms.create_room(db, name, "fibonacci")
    finally:
        db.close()


def room_names(db_path):
    return sorted(name for (name,) in rows(db_path, "SELECT name FROM rooms"))


class Voter:
    """Votes a card, starts the next round, and again, until told to stop.

    Each round keeps its vote, so every acknowledged vote is one row that a
    backup taken later must contain. It paces itself below the per-connection
    event limit, and keeps any refusal for the test to see.
    """

    def __init__(self, base_url, code, name):
        self.member = Participant(base_url, name).connect()
        self.member.join(code)
        self.code = code
        self.acked = []  # (round number, card, time the ack arrived)
        self.refused = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        number = 1
        while not self.stop.is_set():
            card = CARDS[len(self.acked) % len(CARDS)]
            answer = self.member.call("vote", {"value": card})
            if answer != {"ok": True, "vote": card}:
                self.refused.append(answer)
                return
            self.acked.append((number, card, time.monotonic()))
            answer = self.member.call("new_round")
            if not answer["ok"]:
                self.refused.append(answer)
                return
            number += 1
            self.stop.wait(PACE_SECONDS)


def votes_in(path, code):
    return set(
        rows(
            path,
            "SELECT rounds.number, votes.value FROM votes"
            " JOIN rounds ON rounds.id = votes.round_id"
            " JOIN rooms ON rooms.id = rounds.room_id WHERE rooms.code = ?",
            (code,),
        )
    )


def test_backup_while_clients_vote_holds_every_vote_acked_before_it(tmp_path):
    db_path = tmp_path / "poker.db"
    copy = tmp_path / "backup" / "copy.db"
    copy.parent.mkdir()

    with running_app(str(db_path)) as server:
        voters = []
        for number in range(3):
            answer = requests.post(
                f"{server.url}/api/rooms", json={"name": f"Team {number}"}, timeout=5
            )
            voters.append(Voter(server.url, answer.json()["code"], f"Voter {number}"))
        for voter in voters:
            voter.thread.start()
        deadline = time.monotonic() + 30
        while min(len(voter.acked) for voter in voters) < 20:
            assert all(voter.thread.is_alive() for voter in voters)
            assert time.monotonic() < deadline
            time.sleep(0.05)

        began = time.monotonic()
        result = run_flask(db_path, "backup", str(copy), port=server.port)
        finished = time.monotonic()
        for voter in voters:
            voter.stop.set()
        for voter in voters:
            voter.thread.join(timeout=10)
            voter.member.close()

    assert [voter.refused for voter in voters] == [[], [], []]
    assert result.returncode == 0, result.stderr
    assert f"backup written to {copy} (integrity check ok)" in result.stdout
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
    assert not os.path.exists(f"{copy}-wal")
    for voter in voters:
        before = {(n, card) for n, card, at in voter.acked if at < began}
        during = [at for _n, _card, at in voter.acked if began <= at < finished]
        assert len(before) >= 20
        assert during, "the voters kept voting while the backup ran"
        assert before <= votes_in(copy, voter.code)


def test_backup_into_a_folder_gets_a_dated_name(tmp_path, cli, app):
    add_room(app.config["DB_PATH"], "Team Grün")
    folder = tmp_path / "backups"
    folder.mkdir()

    result = cli.invoke(args=["backup", str(folder)])

    assert result.exit_code == 0, result.output
    (written,) = folder.iterdir()
    assert written.name.startswith("poker-") and written.suffix == ".db"
    assert room_names(written) == ["Team Grün"]


def test_backup_fails_with_non_zero_exit_when_it_cannot_write(tmp_path, cli):
    result = cli.invoke(args=["backup", str(tmp_path / "missing" / "copy.db")])

    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert not (tmp_path / "missing").exists()


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(
    tmp_path, cli, app
):
    live = app.config["DB_PATH"]
    add_room(live, "Vorher")
    backup = tmp_path / "good.db"
    assert cli.invoke(args=["backup", str(backup)]).exit_code == 0
    add_room(live, "Nachher")

    result = cli.invoke(args=["restore", str(backup)])

    assert result.exit_code == 0, result.output
    assert room_names(live) == ["Vorher"]
    (kept,) = (tmp_path / "live").glob("poker.db.before-restore-*")
    assert room_names(kept) == ["Nachher", "Vorher"]
    assert rows(live, "PRAGMA journal_mode") == [("wal",)]


def damage(path):
    """Overwrite the middle pages of a database file with garbage."""
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x55" * (size - 8192))


def foreign_database(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (damage, "fails the integrity check"),
        (
            lambda path: path.write_bytes(b"not a database at all" * 300),
            "file is not a database",
        ),
        (foreign_database, "is not a Planning Poker database"),
    ],
    ids=["damaged", "not-sqlite", "foreign-schema"],
)
def test_restore_refuses_a_bad_file_and_leaves_the_database_alone(
    tmp_path, cli, app, spoil, reason
):
    live = app.config["DB_PATH"]
    add_room(live, "Bleibt")
    bad = tmp_path / "bad.db"
    if spoil is not foreign_database:
        assert cli.invoke(args=["backup", str(bad)]).exit_code == 0
        for number in range(40):
            add_room(bad, f"Raum {number}")
    spoil(bad)

    result = cli.invoke(args=["restore", str(bad)])

    assert result.exit_code == 1
    assert reason in result.output
    assert room_names(live) == ["Bleibt"]
    assert list((tmp_path / "live").glob("*.before-restore-*")) == []


def test_restore_refuses_a_database_from_a_newer_app_version(tmp_path, cli):
    newer = tmp_path / "newer.db"
    assert cli.invoke(args=["backup", str(newer)]).exit_code == 0
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.close()

    result = cli.invoke(args=["restore", str(newer)])

    assert result.exit_code == 1
    assert "newer than this app's" in result.output


def test_restore_refuses_while_an_app_process_serves_the_database(tmp_path):
    db_path = tmp_path / "poker.db"
    backup = tmp_path / "good.db"

    with running_app(str(db_path)) as server:
        requests.post(f"{server.url}/api/rooms", json={"name": "Live"}, timeout=5)
        assert run_flask(db_path, "backup", str(backup)).returncode == 0
        # another port, as in a one-off container with its own network
        result = run_flask(db_path, "restore", str(backup), port=free_port())

    assert result.returncode == 1
    assert f"an app process serves {db_path}: stop the app" in result.stderr
    assert room_names(db_path) == ["Live"]


def test_restore_works_once_the_app_was_killed(tmp_path):
    db_path = tmp_path / "poker.db"
    backup = tmp_path / "good.db"
    with running_app(str(db_path)) as server:
        requests.post(f"{server.url}/api/rooms", json={"name": "Gesichert"})
        assert run_flask(db_path, "backup", str(backup)).returncode == 0
        requests.post(f"{server.url}/api/rooms", json={"name": "Danach"})
        server.kill()

    result = run_flask(db_path, "restore", str(backup))

    assert result.returncode == 0, result.stderr
    assert room_names(db_path) == ["Gesichert"]
