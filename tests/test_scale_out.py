"""Two app processes on PostgreSQL and Redis behind HAProxy, all real, on loopback."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import needs_tool
from tests.live_clients import SHORT_ACK
from tests.live_clients import Participant
from tests.live_clients import TLSParticipant
from tests.live_clients import Voter
from tests.proxies import HAPROXY
from tests.proxies import NGINX
from tests.proxies import make_certificate
from tests.proxies import running_proxy
from tests.services import POSTGRES
from tests.services import REDIS_SERVER
from tests.stacks import SCALE_EXAMPLE_HOSTS
from tests.stacks import TwoProcesses

pytestmark = [needs_tool(POSTGRES), needs_tool(REDIS_SERVER), needs_tool(HAPROXY)]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_certificate(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def stack(tmp_path, postgres):
    stack = TwoProcesses(tmp_path, postgres)
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture
def people():
    """Open participants on demand; every one still open is closed afterwards."""
    opened = []

    def open_one(stack, name, **connect_options):
        member = Participant(stack.url, name, **stack.client_options())
        member.connect(**({"transports": ["websocket"]} | connect_options))
        opened.append(member)
        return member

    yield open_one
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(Participant.close, opened))


def new_room(stack, name="Team Skaliert"):
    answer = stack.http.post(f"{stack.url}/api/rooms", json={"name": name}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


def without_clock(state):
    return {key: value for key, value in state.items() if key != "server_time"}


def wait_until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_people_on_different_processes_see_each_others_votes_and_one_reveal(
    stack, people
):
    code = new_room(stack)
    team = [people(stack, f"Person {n}") for n in range(6)]
    for member in team:
        member.join(code)
    places = [stack.instance_of(member.sio.get_sid()) for member in team]

    for n, member in enumerate(team):
        assert member.call("vote", {"value": ("3", "5")[n % 2]})["ok"]
    for member in team:
        member.wait_for(lambda s: all(p["voted"] for p in s["participants"]))
    assert team[0].call("reveal") == {"ok": True}
    revealed = [member.wait_for(lambda s: s["round"]["revealed"]) for member in team]

    assert sorted(set(places)) == [0, 1]
    assert all(without_clock(s) == without_clock(revealed[0]) for s in revealed)
    assert revealed[0]["stats"]["count"] == 6
    assert revealed[0]["stats"]["distribution"] == {"3": 3, "5": 3}


def test_a_browser_on_long_polling_keeps_to_one_process_by_cookie(stack, people):
    code = new_room(stack)
    anna = people(stack, "Anna", transports=["polling"])
    ben = people(stack, "Ben")

    anna.join(code)
    ben.join(code)
    for _turn in range(5):
        assert anna.call("vote", {"value": "8"}) == {"ok": True, "vote": "8"}
    seen = ben.wait_for(lambda s: any(p["voted"] for p in s["participants"]))

    assert anna.sio.transport() == "polling"
    assert "POKER_BACKEND" in anna.sio.eio.http.cookies
    assert [p["name"] for p in seen["participants"] if p["voted"]] == ["Anna"]


def test_killing_one_process_moves_its_people_to_the_other_and_loses_no_vote(
    stack, people, figures
):
    code = new_room(stack)
    team = [people(stack, f"Voter {n}") for n in range(20)]
    for member in team:
        member.join(code)
    on_first = [
        member for member in team if stack.instance_of(member.sio.get_sid()) == 0
    ]
    assert 0 < len(on_first) < len(team)
    running, stopping = threading.Event(), threading.Event()
    voters = [Voter(member, running, stopping) for member in team]
    try:
        running.set()
        for voter in voters:
            voter.start()
        wait_until(lambda: sum(voter.acked() for voter in voters) >= 100)

        stack.apps[0].kill()
        for member in on_first:
            answer = member.joined.get(timeout=30)
            assert answer["ok"], answer
            assert answer["participant_id"] == member.participant_id
        acked_at_rejoin = [voter.acked() for voter in voters]
        wait_until(
            lambda: all(
                voter.acked() >= before + 3
                for voter, before in zip(voters, acked_at_rejoin, strict=True)
            )
        )
    finally:
        stopping.set()
        running.set()
    for voter in voters:
        voter.join(SHORT_ACK * 3)
        assert not voter.is_alive()

    assert {stack.instance_of(member.sio.get_sid()) for member in team} == {1}
    stored = dict(
        stack.query(
            "SELECT participant_id, value FROM votes WHERE round_id ="
            " (SELECT MAX(id) FROM rounds WHERE room_id ="
            " (SELECT id FROM rooms WHERE code = ?))",
            (code,),
        )
    )
    for voter in voters:
        assert stored[voter.member.participant_id] in voter.possible_values()
        assert all(o is None or o["ok"] for _v, o in voter.log), voter.log
    latest = team[0].wait_for(lambda s: len(s["participants"]) == 20)
    assert all(p["online"] for p in latest["participants"])
    figures(
        f"scale-out kill -9: {len(on_first)} of 20 moved to the other process,"
        f" {sum(v.acked() for v in voters)} votes acked, none lost"
    )


@pytest.mark.parametrize(
    ("kind", "example"),
    [
        ("haproxy", "haproxy-scale.cfg"),
        pytest.param("nginx", "nginx-scale.conf", marks=needs_tool(NGINX)),
    ],
)
def test_the_tls_examples_for_several_hosts_reach_both_processes(
    stack, tls, tmp_path, kind, example
):
    """The examples for app processes on several hosts, with TLS in the proxy."""
    ports = (app.port for app in stack.apps)
    upstreams = dict(zip(SCALE_EXAMPLE_HOSTS, ports, strict=True))
    with running_proxy(kind, example, str(tmp_path), tls, upstreams) as proxy:
        code = new_room(stack, "TLS")
        page = stack.http.get(f"{proxy.url}/r/{code}", verify=tls["cert"])
        team = []
        try:
            for name in ("Anna", "Ben", "Cem", "Dora"):
                member = TLSParticipant(proxy.url, name, cert=tls["cert"])
                team.append(member.connect(transports=["websocket"]))
                member.join(code)
            answer = team[0].call("vote", {"value": "13"})
            seen = team[-1].wait_for(
                lambda s: (
                    [p["voted"] for p in s["participants"]]
                    == [True, False, False, False]
                )
            )
            places = {stack.instance_of(m.sio.get_sid()) for m in team}
        finally:
            for member in team:
                member.close()

    assert page.status_code == 200
    assert answer == {"ok": True, "vote": "13"}
    assert seen["room"]["code"] == code
    if kind == "haproxy":
        assert places == {0, 1}
    else:
        # nginx pins by client address: every loopback client to one process
        assert len(places) == 1
