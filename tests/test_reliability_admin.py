"""The admin's work never stalls voting: large exports and edits during bursts.

A real `python app.py` with an admin login; the admin goes through the
dashboard's own HTTP routes while real Socket.IO clients keep voting.
"""

import json
import re
import sqlite3
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import database
import voting_logic
from tests.admin_client import PASSWORD
from tests.admin_client import PASSWORD_HASH
from tests.admin_client import USERNAME
from tests.live_clients import Participant
from tests.servers import AppProcess

CARDS = ("1", "2", "3", "5", "8", "13")
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BIG_STORIES = 2000
ROUNDS_PER_STORY = 2
VOTERS_PER_ROUND = 10


@pytest.fixture(scope="module", params=["eventlet", "gevent"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin-load")
    process = AppProcess(
        str(folder / "poker.db"),
        env={
            "ADMIN_USERNAME": USERNAME,
            "ADMIN_PASSWORD_HASH": PASSWORD_HASH,
            "ASYNC_MODE": request.param,
        },
    ).start()
    yield process
    process.stop()


@pytest.fixture
def admin(server):
    """A requests session logged in to the dashboard, as the admin's browser."""
    browser = requests.Session()
    answer = post_form(
        browser,
        server,
        "/admin/login",
        "/admin/login",
        username=USERNAME,
        password=PASSWORD,
    )
    assert answer.status_code == 302, answer.text
    yield browser
    browser.close()


@pytest.fixture
def people(server):
    opened = []

    def open_one(name):
        member = Participant(server.url, name).connect(transports=["websocket"])
        opened.append(member)
        return member

    yield open_one
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(Participant.close, opened))


def post_form(browser, server, page, action, **fields):
    """Post a form of `page` with that page's CSRF token and the Referer it sends."""
    html = browser.get(f"{server.url}{page}", timeout=10).text
    fields["csrf_token"] = CSRF_TOKEN.search(html).group(1)
    return browser.post(
        f"{server.url}{action}",
        data=fields,
        headers={"Referer": f"{server.url}{page}"},
        allow_redirects=False,
        timeout=30,
    )


def create_room(server, name):
    answer = requests.post(f"{server.url}/api/rooms", json={"name": name}, timeout=10)
    assert answer.status_code == 201
    return answer.json()["code"]


def fill_history(db_path, code):
    """Give the room a long backlog, each story with revealed rounds of votes."""
    cards = voting_logic.resolve_deck("fibonacci", None)
    votes = [(f"Person {n}", CARDS[n % len(CARDS)]) for n in range(VOTERS_PER_ROUND)]
    result = json.dumps(voting_logic.summarize(cards, votes))
    now = time.time()
    db = database.connect(db_path)
    try:
        with database.transaction(db):
            (room_id,) = db.execute(
                "SELECT id FROM rooms WHERE code = ?", (code,)
            ).fetchone()
            people = [
                db.execute(
                    "INSERT INTO participants (room_id, client_id, name, role,"
                    " present, joined_at, last_seen)"
                    " VALUES (?, ?, ?, 'voter', 0, ?, ?) RETURNING id",
                    (room_id, f"history-{n:04d}", name, now, now),
                ).fetchone()[0]
                for n, (name, _card) in enumerate(votes)
            ]
            for position in range(BIG_STORIES):
                (story_id,) = db.execute(
                    "INSERT INTO stories (room_id, title, description, position,"
                    " status, created_at) VALUES (?, ?, ?, ?, 'estimated', ?)"
                    " RETURNING id",
                    (room_id, f"Story {position}", "Beschreibung " * 20, position, now),
                ).fetchone()
                for number in range(1, ROUNDS_PER_STORY + 1):
                    (round_id,) = db.execute(
                        "INSERT INTO rounds (room_id, story_id, number, revealed,"
                        " result, started_at, first_vote_at, revealed_at)"
                        " VALUES (?, ?, ?, 1, ?, ?, ?, ?) RETURNING id",
                        (room_id, story_id, number, result, now, now, now + 30),
                    ).fetchone()
                    db.executemany(
                        "INSERT INTO votes (round_id, participant_id, value, cast_at)"
                        " VALUES (?, ?, ?, ?)",
                        [
                            (round_id, person, card, now)
                            for person, (_name, card) in zip(people, votes, strict=True)
                        ],
                    )
    finally:
        db.close()


def milliseconds(seconds):
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms,"
        f" p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


def vote_steadily(member, stop, latencies, refused):
    """Vote a card every 100 ms until `stop`, timing each ack."""
    turn = 0
    while not stop.is_set():
        card = CARDS[turn % len(CARDS)]
        sent = time.monotonic()
        answer = member.call("vote", {"value": card})
        latencies.append(time.monotonic() - sent)
        if answer != {"ok": True, "vote": card}:
            refused.append(answer)
        turn += 1
        stop.wait(0.1)


def test_votes_are_acked_while_a_large_export_runs(server, admin, people, figures):
    big = create_room(server, "Großer Backlog")
    fill_history(server.db_path, big)
    code = create_room(server, "Daily")
    voters = [people(f"Voter {n}") for n in range(3)]
    for voter in voters:
        voter.join(code)

    calm, during, refused = [], [], []
    stop = threading.Event()
    threads = [
        threading.Thread(target=vote_steadily, args=(voter, stop, calm, refused))
        for voter in voters
    ]
    for thread in threads:
        thread.start()
    stop.wait(1.5)
    stop.set()
    for thread in threads:
        thread.join(10)

    stop = threading.Event()
    threads = [
        threading.Thread(target=vote_steadily, args=(voter, stop, during, refused))
        for voter in voters
    ]
    for thread in threads:
        thread.start()
    exports = []
    try:
        for kind in ("json", "csv", "json"):
            started = time.monotonic()
            answer = admin.get(
                f"{server.url}/admin/rooms/{big}/export.{kind}", timeout=60
            )
            exports.append((kind, time.monotonic() - started, len(answer.content)))
            assert answer.status_code == 200
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)

    document = json.loads(
        admin.get(f"{server.url}/admin/rooms/{big}/export.json", timeout=60).text
    )
    assert len(document["stories"]) == BIG_STORIES
    assert refused == []
    assert during, "the voters kept voting while the exports ran"
    sizes = ", ".join(
        f"{kind} {size / 1e6:.1f} MB in {seconds:.2f} s"
        for kind, seconds, size in exports
    )
    figures(
        f"export of {BIG_STORIES} stories x {ROUNDS_PER_STORY} rounds x"
        f" {VOTERS_PER_ROUND} votes: {sizes}\n"
        f"vote acks before: {milliseconds(calm)} ({len(calm)} votes);"
        f" during the exports: {milliseconds(during)} ({len(during)} votes)"
    )


def test_admin_edits_through_the_dashboard_during_vote_bursts(
    server, admin, people, figures
):
    code = create_room(server, "Burst")
    crowd = [people(f"Burst {n}") for n in range(20)]
    for member in crowd:
        member.join(code)
    page = f"/admin/rooms/{code}"
    stop = threading.Event()
    edits, edit_errors = [], []

    def edit_backlog():
        """Add stories and rename the room, as an admin clicking through."""
        number = 0
        while not stop.is_set():
            added = post_form(
                admin, server, page, f"{page}/stories", title=f"Neu {number}"
            )
            renamed = post_form(
                admin, server, page, f"{page}/name", name=f"Burst {number}"
            )
            for answer in (added, renamed):
                if answer.status_code != 302:
                    edit_errors.append((answer.status_code, answer.text[:200]))
            edits.append(number)
            number += 1

    editor = threading.Thread(target=edit_backlog)
    editor.start()
    acks = []
    try:
        for burst in range(3):
            started = time.monotonic()
            cards = [CARDS[(n + burst) % len(CARDS)] for n in range(len(crowd))]
            with ThreadPoolExecutor(max_workers=20) as pool:
                acks += pool.map(
                    lambda member, card: member.call("vote", {"value": card}),
                    crowd,
                    cards,
                )
            stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))
    finally:
        stop.set()
        editor.join(30)

    assert edit_errors == []
    assert len(edits) >= 3
    assert [answer for answer in acks if not answer["ok"]] == []
    assert len(acks) == 60
    stored = sqlite3.connect(server.db_path)
    try:
        (titles,) = stored.execute(
            "SELECT COUNT(*) FROM stories s JOIN rooms r ON r.id = s.room_id"
            " WHERE r.code = ?",
            (code,),
        ).fetchone()
    finally:
        stored.close()
    assert titles == len(edits)
    figures(
        f"60 votes in 3 bursts of 20 while the admin saved {2 * len(edits)}"
        " dashboard forms: 0 errors"
    )
