"""App processes sharing one database: who is alive, and whose connections go."""

import os
import subprocess
import sys
import time

import pytest
import requests

import database
import instances
import rooms
from tests.conftest import BOTH
from tests.live_clients import Participant
from tests.servers import PROJECT
from tests.servers import running_app

NOW = 1_800_000_000.0
ME = instances.Instance("me-0001", "host-a", os.getpid())


@pytest.fixture(params=BOTH)
def db(request, tmp_path):
    where = str(tmp_path / "poker.db")
    if request.param == "postgresql":
        where = request.getfixturevalue("database_url")
    database.migrate(where)
    connection = database.connect(where)
    yield connection
    connection.close()


def dead_pid():
    """Return the id of a process that has just ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def record(db, instance, seen_at=NOW):
    db.execute(
        "INSERT INTO instances (id, host, pid, started_at, seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (instance.id, instance.host, instance.pid, seen_at, seen_at),
    )


def connect_someone(db, code, instance, client_id):
    room = rooms.require_room(db, code)
    rooms.join(
        db,
        room,
        client_id,
        client_id,
        "voter",
        f"sid-{client_id}",
        instance=instance.id,
    )


def online_clients(db):
    rows = db.execute(
        "SELECT p.client_id FROM connections c"
        " JOIN participants p ON p.id = c.participant_id ORDER BY p.client_id"
    )
    return [row["client_id"] for row in rows]


@pytest.fixture
def room(db):
    with database.transaction(db):
        return rooms.create_room(db, "Team Prozess", "fibonacci")


def test_a_restart_forgets_what_the_ended_process_on_this_host_held(db, room):
    ended = instances.Instance("old-0001", "host-a", dead_pid())
    with database.transaction(db):
        record(db, ended)
        connect_someone(db, room, ended, "anna-0001")

    with database.transaction(db):
        affected = instances.start(db, ME, NOW + 1, shared_queue="")

    assert affected == [room]
    assert online_clients(db) == []
    ids = [row["id"] for row in db.execute("SELECT id FROM instances")]
    assert ids == ["me-0001"]
    (seen,) = db.execute("SELECT last_seen FROM participants").fetchone()
    assert seen == NOW + 1


def test_a_container_restarted_with_the_same_pid_forgets_its_predecessor(db, room):
    predecessor = instances.Instance("old-0002", "host-a", ME.pid)
    with database.transaction(db):
        record(db, predecessor)
        connect_someone(db, room, predecessor, "anna-0001")

    with database.transaction(db):
        instances.start(db, ME, NOW + 1, shared_queue="")

    assert online_clients(db) == []


def test_a_live_peer_without_a_message_queue_refuses_the_second_process(db, room):
    peer = instances.Instance("peer-001", "host-b", 4242)
    with database.transaction(db):
        record(db, peer)

    with pytest.raises(instances.SecondProcessRefused, match="MESSAGE_QUEUE"):
        with database.transaction(db):
            instances.start(db, ME, NOW + 1, shared_queue="")


def test_with_a_message_queue_peers_share_the_database_and_keep_their_people(db, room):
    peer = instances.Instance("peer-001", "host-b", 4242)
    with database.transaction(db):
        record(db, peer)
        connect_someone(db, room, peer, "bob-00001")

    with database.transaction(db):
        affected = instances.start(db, ME, NOW + 1, shared_queue="redis://queue")

    assert affected == []
    assert online_clients(db) == ["bob-00001"]


def test_a_peer_that_fell_silent_is_forgotten_by_the_next_beat(db, room):
    peer = instances.Instance("peer-001", "host-b", 4242)
    with database.transaction(db):
        instances.start(db, ME, NOW, shared_queue="redis://queue")
        record(db, peer)
        connect_someone(db, room, peer, "bob-00001")
        connect_someone(db, room, ME, "anna-0001")

    with database.transaction(db):
        early = instances.beat(db, ME, NOW + instances.STALE_SECONDS - 1)
    with database.transaction(db):
        late = instances.beat(db, ME, NOW + instances.STALE_SECONDS + 1)

    assert (early, late) == (([], False), ([room], False))
    assert online_clients(db) == ["anna-0001"]


def test_a_process_taken_for_gone_records_itself_again_and_says_so(db):
    with database.transaction(db):
        _rooms, taken_for_gone = instances.beat(db, ME, NOW)

    row = db.execute("SELECT * FROM instances").fetchone()
    assert (row["id"], row["seen_at"]) == (ME.id, NOW)
    assert taken_for_gone is True


def test_a_second_server_on_the_same_database_stops_with_one_line(tmp_path):
    db_path = str(tmp_path / "poker.db")
    with running_app(db_path) as first:
        second = subprocess.run(
            [sys.executable, "app.py"],
            cwd=PROJECT,
            env={
                **os.environ,
                "FLASK_ENV": "development",
                "SECRET_KEY": "test-secret",
                "DB_PATH": db_path,
                "PORT": str(first.port + 1),
            },
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert second.returncode == 1
    (line,) = second.stdout.strip().splitlines()
    assert f"cannot start: another app process (pid {first.process.pid} " in line
    assert "MESSAGE_QUEUE" in line


def test_a_process_taken_for_gone_makes_its_clients_join_again(tmp_path):
    db_path = str(tmp_path / "poker.db")
    with running_app(db_path) as server:
        code = requests.post(f"{server.url}/api/rooms", json={"name": "Weg"}).json()
        team = [Participant(server.url, name).connect() for name in ("Anna", "Ben")]
        try:
            for member in team:
                member.join(code["code"])
            # what a peer does when this process stays silent too long
            db = database.connect(db_path)
            with database.transaction(db):
                instances.forget(
                    db,
                    [row["id"] for row in db.execute("SELECT id FROM instances")],
                    time.time(),
                )
            db.close()

            rejoined = [
                member.joined.get(timeout=instances.BEAT_SECONDS * 3) for member in team
            ]
            answer = team[0].call("vote", {"value": "5"})
        finally:
            for member in team:
                member.close()

    assert [a["participant_id"] for a in rejoined] == [m.participant_id for m in team]
    assert answer == {"ok": True, "vote": "5"}
