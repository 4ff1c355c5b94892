"""Against a real `python app.py`: three clients estimate, the server restarts."""

import pytest
import requests

from tests.live_clients import Participant
from tests.servers import AppProcess


@pytest.fixture(params=["eventlet", "gevent"])
def server(request, tmp_path):
    process = AppProcess(str(tmp_path / "poker.db"), env={"ASYNC_MODE": request.param})
    process.start()
    yield process
    process.stop()


def revealed(state):
    return state["round"]["revealed"]


def test_three_clients_vote_reveal_and_survive_a_restart(server):
    code = requests.post(f"{server.url}/api/rooms", json={"name": "Live"}).json()[
        "code"
    ]
    team = [Participant(server.url, name).connect() for name in ("Anna", "Ben", "Cem")]
    for member in team:
        member.join(code)

    for member, card in zip(team, ("3", "5", "5"), strict=True):
        assert member.call("vote", {"value": card}) == {"ok": True, "vote": card}
    assert team[0].call("reveal")["ok"]

    results = [member.wait_for(revealed) for member in team]
    assert (
        results[0]["participants"]
        == results[1]["participants"]
        == results[2]["participants"]
    )
    assert results[0]["stats"] == results[1]["stats"] == results[2]["stats"]
    assert {p["name"]: p["vote"] for p in results[0]["participants"]} == {
        "Anna": "3",
        "Ben": "5",
        "Cem": "5",
    }
    assert results[0]["stats"]["median"] == 5.0
    before = results[0]

    server.stop()
    server.start()

    for member in team:
        answer = member.joined.get(timeout=30)
        assert answer["ok"], answer
        assert answer["participant_id"] == member.participant_id
    after = team[0].wait_for(
        lambda state: (
            all(p["online"] for p in state["participants"])
            and len(state["participants"]) == 3
        )
    )
    assert [(p["id"], p["name"], p["vote"]) for p in after["participants"]] == [
        (p["id"], p["name"], p["vote"]) for p in before["participants"]
    ]
    assert after["stats"] == before["stats"]
    for member in team:
        member.close()


def test_hidden_votes_stay_hidden_after_a_restart(server):
    code = requests.post(f"{server.url}/api/rooms", json={"name": "Live"}).json()[
        "code"
    ]
    anna = Participant(server.url, "Anna").connect()
    anna.join(code)
    anna.call("vote", {"value": "8"})

    server.stop()
    server.start()

    answer = anna.joined.get(timeout=30)
    assert answer["my_vote"] == "8"
    assert answer["snapshot"]["round"]["revealed"] is False
    assert [p["vote"] for p in answer["snapshot"]["participants"]] == [None]
    assert [p["voted"] for p in answer["snapshot"]["participants"]] == [True]
    anna.close()
