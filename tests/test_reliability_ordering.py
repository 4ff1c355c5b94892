"""Against real app processes: one order per room, every vote counted once.

Each test runs on one process with SQLite, then on two processes behind
HAProxy on PostgreSQL and Redis.
"""

import collections
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import needs_tool
from tests.live_clients import Participant
from tests.proxies import HAPROXY
from tests.services import POSTGRES
from tests.services import REDIS_SERVER
from tests.stacks import OneProcess
from tests.stacks import TwoProcesses

RACES = 50
CROWD = 50
NUMERIC_CARDS = ("1", "2", "3", "5", "8", "13")
# The server refuses a connection's 21st event within a second; clients that
# send many events keep under it, as a browser that waits for its acks does.
EVENTS_PER_SECOND = 18


@pytest.fixture(
    scope="module",
    params=[
        "one process",
        "one process under gevent",
        pytest.param(
            "two processes",
            marks=[needs_tool(POSTGRES), needs_tool(REDIS_SERVER), needs_tool(HAPROXY)],
        ),
    ],
)
def server(request, tmp_path_factory):
    """The default deployment, under gevent, then two processes behind HAProxy."""
    folder = tmp_path_factory.mktemp("ordering")
    if request.param == "one process":
        stack = OneProcess(folder)
    elif request.param == "one process under gevent":
        stack = OneProcess(folder, env={"ASYNC_MODE": "gevent"})
    else:
        stack = TwoProcesses(folder, request.getfixturevalue("postgres"))
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture
def room(server):
    answer = server.http.post(f"{server.url}/api/rooms", json={"name": "Race"})
    assert answer.status_code == 201
    return answer.json()["code"]


@pytest.fixture
def people(server):
    """Open participants on demand; every one still open is closed afterwards."""
    opened = []

    def open_one(name, **kwargs):
        member = Participant(server.url, name, **server.client_options(), **kwargs)
        member.connect(transports=["websocket"])
        opened.append(member)
        return member

    yield open_one
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(Participant.close, opened))


class Pacer:
    """Keep one client under the server's event rate limit."""

    def __init__(self):
        self.sent = collections.deque()

    def wait_turn(self):
        now = time.monotonic()
        while self.sent and now - self.sent[0] > 1.05:
            self.sent.popleft()
        if len(self.sent) >= EVENTS_PER_SECOND:
            time.sleep(1.05 - (now - self.sent[0]))
        self.sent.append(time.monotonic())


def room_snapshot(server, code):
    answer = server.http.get(f"{server.url}/api/rooms/{code}", timeout=5)
    assert answer.status_code == 200
    return answer.json()


def settle(server, code, members):
    """Wait until every member holds the server's latest state; return that state."""
    version = room_snapshot(server, code)["version"]
    latest = [member.wait_for(lambda s: s["version"] >= version) for member in members]
    assert {state["version"] for state in latest} == {version}
    return latest


def without_clock(state):
    return {key: value for key, value in state.items() if key != "server_time"}


def votes_of(state):
    return {p["id"]: p["vote"] for p in state["participants"]}


def test_a_vote_racing_a_reveal_ends_the_same_for_everyone(
    server, room, people, figures
):
    team = [people(f"P{number}") for number in range(6)]
    for member in team:
        member.join(room)
    pacers = {member.participant_id: Pacer() for member in team}
    outcomes = collections.Counter()

    def call(member, event, payload=None):
        pacers[member.participant_id].wait_turn()
        return member.call(event, payload)

    for race in range(RACES):
        voter, revealer, starter = team[race % 6], team[(race + 2) % 6], team[-1]
        first, second = NUMERIC_CARDS[race % 3], NUMERIC_CARDS[3 + race % 3]
        assert call(voter, "vote", {"value": first}) == {"ok": True, "vote": first}
        acks = queue.Queue()

        def send_vote(voter=voter, second=second, acks=acks):
            pacers[voter.participant_id].wait_turn()
            voter.sio.emit(
                "vote", {"value": second}, callback=lambda a: acks.put(("vote", a))
            )

        def send_reveal(revealer=revealer, acks=acks):
            pacers[revealer.participant_id].wait_turn()
            revealer.sio.emit("reveal", {}, callback=lambda a: acks.put(("reveal", a)))

        for send in (send_vote, send_reveal)[:: 1 if race % 2 else -1]:
            send()
        answers = dict(acks.get(timeout=10) for _ in range(2))

        assert answers["reveal"] == {"ok": True}
        states = settle(server, room, team)
        assert all(state == states[0] for state in states[1:])
        assert without_clock(states[0]) == without_clock(room_snapshot(server, room))
        final = states[0]
        assert final["round"]["revealed"] is True
        if answers["vote"]["ok"]:
            assert answers["vote"] == {"ok": True, "vote": second}
            assert votes_of(final)[voter.participant_id] == second
            outcomes["vote counted"] += 1
        else:
            assert answers["vote"]["error"] == "already_revealed"
            assert votes_of(final)[voter.participant_id] == first
            outcomes["vote refused"] += 1
        assert final["stats"]["count"] == 1

        assert call(starter, "new_round") == {"ok": True}
        fresh = settle(server, room, team)
        assert fresh[0]["round"] == {"number": race + 2, "revealed": False}

    assert sum(outcomes.values()) == RACES
    figures(f"{RACES} vote/reveal races: {dict(outcomes)}")


def test_fifty_simultaneous_votes_are_each_counted_once(server, room, people):
    with ThreadPoolExecutor(max_workers=10) as pool:
        crowd = list(pool.map(lambda n: people(f"Crowd {n}"), range(CROWD)))
        list(pool.map(lambda member: member.join(room), crowd))
    cards = {
        member.participant_id: NUMERIC_CARDS[n % 6] for n, member in enumerate(crowd)
    }
    start = threading.Barrier(CROWD)

    def vote(member):
        start.wait(timeout=10)
        return member.call("vote", {"value": cards[member.participant_id]})

    with ThreadPoolExecutor(max_workers=CROWD) as pool:
        answers = list(pool.map(vote, crowd))
    assert [answer["ok"] for answer in answers] == [True] * CROWD
    assert crowd[0].call("reveal") == {"ok": True}

    revealed = [member.wait_for(lambda s: s["round"]["revealed"]) for member in crowd]
    stats = revealed[0]["stats"]
    assert stats["count"] == CROWD
    assert stats["distribution"] == dict(collections.Counter(cards.values()))
    assert votes_of(revealed[0]) == cards
    rows = server.query(
        "SELECT p.client_id, COUNT(*) FROM participants p JOIN rooms r"
        " ON r.id = p.room_id WHERE r.code = ? GROUP BY p.client_id",
        (room,),
    )
    counted = server.query(
        "SELECT COUNT(*) FROM votes WHERE round_id ="
        " (SELECT MAX(id) FROM rounds WHERE room_id ="
        " (SELECT id FROM rooms WHERE code = ?))",
        (room,),
    )[0][0]
    assert sorted(map(tuple, rows)) == sorted((m.client_id, 1) for m in crowd)
    assert counted == CROWD


def test_two_tabs_of_one_browser_are_one_participant(server, room, people):
    first_tab = people("Anna")
    second_tab = people("Anna", client_id=first_tab.client_id)

    one = first_tab.join(room)
    two = second_tab.join(room)

    assert one["participant_id"] == two["participant_id"]
    assert second_tab.call("vote", {"value": "5"}) == {"ok": True, "vote": "5"}
    voted = second_tab.wait_for(lambda s: s["participants"][0]["voted"])["version"]
    first_tab.close()
    state = second_tab.wait_for(lambda s: s["version"] > voted)
    (anna,) = state["participants"]
    assert (anna["id"], anna["name"], anna["online"]) == (
        one["participant_id"],
        "Anna",
        True,
    )
    assert second_tab.call("join", second_tab._join_payload())["my_vote"] == "5"


def test_two_people_with_the_same_name_are_two_participants(server, room, people):
    anna = people("Anna")
    other_anna = people("Anna")

    first = anna.join(room)["participant_id"]
    second = other_anna.join(room)["participant_id"]

    assert first != second
    state = anna.wait_for(lambda s: len(s["participants"]) == 2)
    assert [(p["id"], p["name"]) for p in state["participants"]] == [
        (first, "Anna"),
        (second, "Anna"),
    ]


def test_many_tabs_joining_at_once_make_no_duplicate(server, room, people):
    browsers = [f"tabs-{n:02d}-" + "x" * 8 for n in range(10)]
    tabs = [people(f"Tab {n % 10}", client_id=browsers[n % 10]) for n in range(30)]
    start = threading.Barrier(len(tabs))

    def join(member):
        start.wait(timeout=10)
        return member.join(room)["participant_id"]

    with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
        ids = list(pool.map(join, tabs))

    assert len(set(ids)) == 10
    for n, participant_id in enumerate(ids):
        assert participant_id == ids[n % 10]
    assert len(room_snapshot(server, room)["participants"]) == 10
