"""Against a real `python app.py`: crashes, dropped connections, a busy database."""

import os
import queue
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.live_clients import CARDS
from tests.live_clients import SHORT_ACK
from tests.live_clients import Participant
from tests.live_clients import Voter
from tests.servers import PROJECT
from tests.servers import AppProcess

ASYNC_MODES = ["eventlet", "gevent"]


@pytest.fixture(scope="module", params=ASYNC_MODES)
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    env = {"ASYNC_MODE": request.param}
    process = AppProcess(str(folder / "poker.db"), env=env).start()
    yield process
    process.stop()


def create_room(server, name="Fault"):
    answer = requests.post(f"{server.url}/api/rooms", json={"name": name}, timeout=10)
    assert answer.status_code == 201
    return answer.json()["code"]


@pytest.fixture
def people():
    """Open participants on demand; every one still open is closed afterwards."""
    opened = []

    def open_one(server, name, **kwargs):
        member = Participant(server.url, name, **kwargs).connect(
            transports=["websocket"]
        )
        opened.append(member)
        return member

    yield open_one
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(Participant.close, opened))


def stored_votes(db_path, code):
    """Check the file's integrity, then return {participant id: card} of the round."""
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return dict(
            db.execute(
                "SELECT participant_id, value FROM votes WHERE round_id ="
                " (SELECT MAX(id) FROM rounds WHERE room_id ="
                " (SELECT id FROM rooms WHERE code = ?))",
                (code,),
            ).fetchall()
        )
    finally:
        db.close()


def wait_until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.mark.parametrize("async_mode", ASYNC_MODES)
def test_kill_9_keeps_every_acknowledged_vote_and_clients_carry_on(
    tmp_path, people, async_mode, figures
):
    env = {"ASYNC_MODE": async_mode}
    server = AppProcess(str(tmp_path / "poker.db"), env=env).start()
    running, stopping = threading.Event(), threading.Event()
    voters = []
    try:
        code = create_room(server)
        team = [people(server, f"Voter {n}") for n in range(20)]
        for member in team:
            member.join(code)
        voters = [Voter(member, running, stopping) for member in team]
        running.set()
        for voter in voters:
            voter.start()
        wait_until(lambda: sum(voter.acked() for voter in voters) >= 150)

        running.clear()
        server.kill()
        for voter in voters:
            assert voter.idle.wait(SHORT_ACK * 3)
        at_crash = stored_votes(server.db_path, code)
        for voter in voters:
            assert at_crash.get(voter.member.participant_id) in voter.possible_values()
            assert all(o is None or o["ok"] for _v, o in voter.log), voter.log
        acked_before = [voter.acked() for voter in voters]

        server.start()
        for member in team:
            answer = member.joined.get(timeout=30)
            assert answer["ok"], answer
            assert answer["participant_id"] == member.participant_id
            assert answer["my_vote"] == at_crash.get(member.participant_id)
        running.set()
        wait_until(
            lambda: all(
                voter.acked() >= before + 3
                for voter, before in zip(voters, acked_before, strict=True)
            )
        )
        stopping.set()
        for voter in voters:
            voter.join(SHORT_ACK * 3)
            assert not voter.is_alive()
    finally:
        stopping.set()
        running.set()
        server.stop()

    after = stored_votes(server.db_path, code)
    for voter in voters:
        assert after[voter.member.participant_id] in voter.possible_values()
    figures(
        f"kill -9 with 20 voters: {sum(acked_before)} votes acked before the crash,"
        f" {sum(v.acked() for v in voters) - sum(acked_before)} after the restart"
    )


def test_a_dropped_connection_rejoins_and_sees_what_changed_meanwhile(server, people):
    code = create_room(server)
    anna, ben, cem = (people(server, name) for name in ("Anna", "Ben", "Cem"))
    for member in (anna, ben, cem):
        member.join(code)

    for attempt in range(3):
        title = f"Changed while Cem was away {attempt}"
        changed = threading.Event()

        def meanwhile(*reason, title=title, changed=changed):
            # runs in Cem's client after the drop, before it reconnects
            cem._on_disconnect(*reason)
            if changed.is_set():
                return
            assert ben.call("set_story", {"title": title}) == {"ok": True}
            assert anna.call("vote", {"value": "8"})["ok"]
            changed.set()

        cem.sio.on("disconnect", meanwhile)
        cem.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)

        answer = cem.joined.get(timeout=15)
        assert changed.is_set()
        assert answer["ok"] and answer["participant_id"] == cem.participant_id
        snapshot = answer["snapshot"]
        assert snapshot["story"]["title"] == title
        assert {p["name"]: p["voted"] for p in snapshot["participants"]} == {
            "Anna": True,
            "Ben": False,
            "Cem": False,
        }
        assert anna.call("vote", {"value": "3"})["ok"]
        seen = snapshot["version"]
        live = cem.wait_for(lambda s, seen=seen: s["version"] > seen)
        assert live["story"]["title"] == title
        assert all(p["online"] for p in live["participants"])


def timed_ack(answers):
    """Return an ack callback that puts (answer, seconds since now) on `answers`."""
    sent = time.monotonic()
    return lambda answer: answers.put((answer, time.monotonic() - sent))


def test_database_is_locked_never_reaches_a_user(server, people, figures):
    code = create_room(server)
    crowd = [people(server, f"Burst {n}") for n in range(20)]
    for member in crowd:
        member.join(code)
    room_id = room_row_id(server.db_path, code)
    stop = threading.Event()
    admin_commits = []
    admin_errors = []

    def admin_edits():
        """Like a long admin edit: hold the write lock 200 ms, then let go briefly."""
        db = sqlite3.connect(server.db_path, timeout=10, isolation_level=None)
        try:
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                now = time.time()
                db.executemany(
                    "INSERT INTO stories (room_id, title, position, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    [(room_id, f"Imported {n}", 1000 + n, now) for n in range(300)],
                )
                stop.wait(0.2)
                db.execute("COMMIT")
                admin_commits.append(now)
                stop.wait(0.05)
        except sqlite3.Error as problem:
            admin_errors.append(problem)
        finally:
            db.close()

    admin = threading.Thread(target=admin_edits, daemon=True)
    admin.start()
    acks = queue.Queue()
    try:
        for burst in range(3):
            burst_start = time.monotonic()
            for n, member in enumerate(crowd):
                member.sio.emit(
                    "vote",
                    {"value": CARDS[(n + burst) % len(CARDS)]},
                    callback=timed_ack(acks),
                )
            created = requests.post(
                f"{server.url}/api/rooms", json={"name": f"During {burst}"}, timeout=10
            )
            assert created.status_code == 201
            stop.wait(max(0.0, 1.0 - (time.monotonic() - burst_start)))
        answers = [acks.get(timeout=15) for _ in range(60)]
    finally:
        stop.set()
        admin.join(10)

    assert admin_errors == []
    assert len(admin_commits) >= 5
    refused = [answer for answer, _seconds in answers if not answer["ok"]]
    assert refused == []
    slowest = max(seconds for _answer, seconds in answers)
    figures(
        f"60 votes in 3 bursts while {len(admin_commits)} admin transactions held"
        f" the write lock: 0 errors, slowest ack {slowest * 1000:.0f} ms"
    )


def room_row_id(db_path, code):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT id FROM rooms WHERE code = ?", (code,)).fetchone()[0]
    finally:
        db.close()


def test_the_timer_task_keeps_ticking_while_twenty_clients_vote(
    server, people, figures
):
    code = create_room(server)
    team = [people(server, f"Ticker {n}") for n in range(20)]
    for member in team:
        member.join(code)
    running, stopping = threading.Event(), threading.Event()
    voters = [Voter(member, running, stopping) for member in team]
    running.set()
    for voter in voters:
        voter.start()

    try:
        wait_until(lambda: all(voter.acked() for voter in voters))
        before = requests.get(f"{server.url}/healthz", timeout=5).json()
        started = time.monotonic()
        acked_before = [voter.acked() for voter in voters]
        stopping.wait(3)
        after = requests.get(f"{server.url}/healthz", timeout=5).json()
        elapsed = time.monotonic() - started
        acked = [
            voter.acked() - n for voter, n in zip(voters, acked_before, strict=True)
        ]
    finally:
        stopping.set()
        for voter in voters:
            voter.join(SHORT_ACK * 3)

    ticks = after["background_ticks"] - before["background_ticks"]
    expected = elapsed / 0.25
    figures(
        f"background ticks: {ticks} in {elapsed:.2f} s (expected about"
        f" {expected:.0f}) while 20 clients cast {sum(acked)} votes,"
        f" at least {min(acked)} each"
    )
    # the load is real: every client kept voting the whole time (how fast
    # depends on the machine, so that is a figure, not a condition)
    assert min(acked) >= 1
    assert ticks >= 0.6 * expected


@pytest.mark.parametrize("locked", ["folder", "file"])
def test_an_unwritable_database_stops_start_up_with_one_clear_line(locked):
    # a folder the unprivileged user can reach, unlike pytest's private tmp_path
    outer = tempfile.mkdtemp(prefix="poker-readonly-")
    os.chmod(outer, 0o755)
    folder = os.path.join(outer, "data")
    os.mkdir(folder)
    path = os.path.join(folder, "poker.db")
    if locked == "file":
        sqlite3.connect(path).close()
        os.chmod(path, 0o444)
        os.chmod(folder, 0o777)
    else:
        os.chmod(folder, 0o555)
    command = [sys.executable, "app.py"]
    if os.geteuid() == 0:
        # root writes anywhere: run as the unprivileged user a container would use
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command += [sys.executable, "app.py"]
    env = dict(os.environ, FLASK_ENV="development", DB_PATH=path, PORT="1")

    try:
        result = subprocess.run(
            command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        os.chmod(folder, 0o755)
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
        os.rmdir(outer)

    assert result.returncode == 1
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if "CRITICAL" in line]
    assert len(lines) == 1, output
    assert "not writable" in lines[0] and folder in lines[0]
    assert "Traceback" not in output
