"""Socket.IO events through Flask-SocketIO's test client: every event, every error."""

import logging

import pytest

import live
import room_events
import rooms
from tests.conftest import BOTH

# Every test that builds the app runs on SQLite and on PostgreSQL.
DATABASES = BOTH


def join(sock, code, name="Anna", client_id="client-anna-0001", role="voter"):
    answer = sock.emit(
        "join",
        {"room": code, "name": name, "client_id": client_id, "role": role},
        callback=True,
    )
    assert answer["ok"], answer
    return answer


def states(sock):
    """Return the `state` payloads received since the last call, failing on others."""
    received = sock.get_received()
    assert [event["name"] for event in received] == ["state"] * len(received)
    return [event["args"][0] for event in received]


@pytest.fixture
def pair(make_socket, room_code):
    """Two participants, Anna and Ben, in one room, their inboxes drained."""
    anna, ben = make_socket(), make_socket()
    join(anna, room_code)
    join(ben, room_code, name="Ben", client_id="client-ben-00001")
    anna.get_received()
    ben.get_received()
    return anna, ben


def test_join_ack_carries_snapshot_and_own_vote(make_socket, room_code):
    sock = make_socket()

    answer = join(sock, room_code)

    assert set(answer) == {"ok", "participant_id", "snapshot", "my_vote"}
    assert answer["my_vote"] is None
    snapshot = answer["snapshot"]
    assert snapshot["room"]["code"] == room_code
    assert snapshot["room"]["deck"] == "fibonacci"
    assert snapshot["story"] is None
    assert snapshot["round"] == {"number": 1, "revealed": False}
    assert snapshot["stats"] is None
    assert snapshot["participants"] == [
        {
            "id": answer["participant_id"],
            "name": "Anna",
            "role": "voter",
            "moderator": True,
            "online": True,
            "voted": False,
            "vote": None,
        }
    ]


def test_join_tells_the_others_but_not_the_newcomer(make_socket, room_code):
    anna, ben = make_socket(), make_socket()
    join(anna, room_code)
    anna.get_received()

    join(ben, room_code, name="Ben", client_id="client-ben-00001")

    assert ben.get_received() == []
    (state,) = states(anna)
    assert [p["name"] for p in state["participants"]] == ["Anna", "Ben"]


def test_vote_is_hidden_from_everyone_until_reveal(pair):
    anna, ben = pair

    answer = anna.emit("vote", {"value": "5"}, callback=True)

    assert answer == {"ok": True, "vote": "5"}
    (seen_by_anna,) = states(anna)
    (seen_by_ben,) = states(ben)
    assert seen_by_anna == seen_by_ben
    assert [p["voted"] for p in seen_by_ben["participants"]] == [True, False]
    assert all(p["vote"] is None for p in seen_by_ben["participants"])
    assert seen_by_ben["stats"] is None
    assert "5" not in str(seen_by_ben["participants"])


def test_vote_change_and_withdraw(pair):
    anna, ben = pair

    anna.emit("vote", {"value": "5"}, callback=True)
    anna.emit("vote", {"value": "8"}, callback=True)
    withdrawn = anna.emit("vote", {"value": None}, callback=True)

    assert withdrawn == {"ok": True, "vote": None}
    final = states(ben)[-1]
    assert [p["voted"] for p in final["participants"]] == [False, False]


def test_reveal_shows_every_card_and_the_result(pair):
    anna, ben = pair
    anna.emit("vote", {"value": "3"}, callback=True)
    ben.emit("vote", {"value": "½"}, callback=True)
    anna.get_received()
    ben.get_received()

    assert ben.emit("reveal", {}, callback=True) == {"ok": True}

    (state,) = states(anna)
    assert states(ben) == [state]
    assert state["round"]["number"] == 1 and state["round"]["revealed"] is True
    assert {p["name"]: p["vote"] for p in state["participants"]} == {
        "Anna": "3",
        "Ben": "½",
    }
    stats = state["stats"]
    assert stats["count"] == 2
    assert stats["average"] == 1.8
    assert stats["median"] == 1.75
    assert (stats["min"], stats["max"]) == (0.5, 3.0)
    assert stats["distribution"] == {"½": 1, "3": 1}
    assert stats["consensus"] is False
    assert stats["suggestion"] == "2"


def test_special_cards_are_shown_but_not_counted(pair):
    anna, ben = pair
    anna.emit("vote", {"value": "8"}, callback=True)
    ben.emit("vote", {"value": "?"}, callback=True)

    anna.emit("reveal", {}, callback=True)

    stats = states(ben)[-1]["stats"]
    assert stats["count"] == 1
    assert stats["distribution"] == {"8": 1, "?": 1}
    assert (stats["median"], stats["suggestion"], stats["consensus"]) == (
        8.0,
        "8",
        False,
    )


def test_vote_after_reveal_is_refused(pair):
    anna, ben = pair
    anna.emit("reveal", {}, callback=True)
    anna.get_received()
    ben.get_received()

    answer = anna.emit("vote", {"value": "5"}, callback=True)

    assert answer["ok"] is False
    assert answer["error"] == "already_revealed"
    assert answer["message"]
    assert anna.get_received() == [] and ben.get_received() == []


def test_second_reveal_is_refused_and_broadcasts_nothing(pair):
    anna, ben = pair
    anna.emit("vote", {"value": "5"}, callback=True)
    assert anna.emit("reveal", {}, callback=True) == {"ok": True}
    anna.get_received()
    ben.get_received()

    answer = ben.emit("reveal", {}, callback=True)

    assert answer == {
        "ok": False,
        "error": "already_revealed",
        "message": "Die Karten sind schon aufgedeckt.",
    }
    assert anna.get_received() == []
    assert ben.get_received() == []


def test_a_crashing_handler_answers_server_error_and_the_room_goes_on(
    pair, monkeypatch, caplog
):
    anna, ben = pair

    def crash(db, room):
        raise RuntimeError("reveal kaputt")

    monkeypatch.setattr(rooms, "reveal", crash)

    answer = anna.emit("reveal", {}, callback=True)

    assert answer == {
        "ok": False,
        "error": "server_error",
        "message": "Ein Fehler ist aufgetreten.",
    }
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == ["event on_reveal failed"]
    assert failures[0].exc_info[0] is RuntimeError
    assert anna.get_received() == [] and ben.get_received() == []

    vote = ben.emit("vote", {"value": "3"}, callback=True)

    assert vote == {"ok": True, "vote": "3"}
    (seen_by_anna,) = states(anna)
    assert states(ben) == [seen_by_anna]
    assert seen_by_anna["round"] == {"number": 1, "revealed": False}
    assert [p["voted"] for p in seen_by_anna["participants"]] == [False, True]


def test_new_round_clears_votes_and_counts_up(pair):
    anna, ben = pair
    anna.emit("vote", {"value": "5"}, callback=True)
    anna.emit("reveal", {}, callback=True)
    anna.get_received()

    assert ben.emit("new_round", {}, callback=True) == {"ok": True}

    (state,) = states(anna)
    assert state["round"] == {"number": 2, "revealed": False}
    assert state["stats"] is None
    assert not any(p["voted"] for p in state["participants"])


def test_set_story_starts_the_first_round_of_a_new_story(pair):
    anna, ben = pair
    anna.emit("vote", {"value": "5"}, callback=True)
    ben.get_received()

    answer = anna.emit("set_story", {"title": "  Login per SSO  "}, callback=True)

    assert answer == {"ok": True}
    (state,) = states(ben)
    assert state["story"]["title"] == "Login per SSO"
    assert state["round"] == {"number": 1, "revealed": False}
    assert not any(p["voted"] for p in state["participants"])


def test_leave_removes_the_participant_from_the_list(pair):
    anna, ben = pair

    assert ben.emit("leave", {}, callback=True) == {"ok": True}

    (state,) = states(anna)
    assert [p["name"] for p in state["participants"]] == ["Anna"]
    assert ben.get_received() == []


def test_disconnect_marks_the_participant_offline(pair):
    anna, ben = pair

    ben.disconnect()

    (state,) = states(anna)
    assert {p["name"]: p["online"] for p in state["participants"]} == {
        "Anna": True,
        "Ben": False,
    }


def test_rejoin_with_same_client_id_is_the_same_participant(make_socket, room_code):
    first = make_socket()
    joined = join(first, room_code)
    first.emit("vote", {"value": "13"}, callback=True)
    first.disconnect()

    again = join(make_socket(), room_code, name="Anna B.")

    assert again["participant_id"] == joined["participant_id"]
    assert again["my_vote"] == "13"
    assert [p["name"] for p in again["snapshot"]["participants"]] == ["Anna B."]


def test_two_tabs_of_one_browser_are_one_participant(make_socket, room_code):
    tab1, tab2 = make_socket(), make_socket()
    join(tab1, room_code)
    join(tab2, room_code)

    tab1.disconnect()

    (state,) = states(tab2)
    assert len(state["participants"]) == 1
    assert state["participants"][0]["online"] is True


def test_leaving_in_one_tab_sends_the_other_tabs_away(make_socket, room_code):
    tab1, tab2 = make_socket(), make_socket()
    join(tab1, room_code)
    join(tab2, room_code)
    ben = make_socket()
    join(ben, room_code, name="Ben", client_id="client-ben-00001")
    tab2.get_received()

    assert tab1.emit("leave", {}, callback=True) == {"ok": True}

    (notice,) = tab2.get_received()
    assert notice["name"] == "removed"
    assert notice["args"][0]["reason"] == "left"
    ben.emit("vote", {"value": "5"}, callback=True)
    assert tab2.get_received() == []
    assert tab2.emit("vote", {"value": "3"}, callback=True)["error"] == "not_joined"


def test_a_join_that_the_disconnect_overtook_leaves_nobody_online(
    app, make_socket, room_code, monkeypatch
):
    """The connection closes while its join waits for the database (which
    PostgreSQL lets other events do), so its disconnect finds nothing yet."""
    anna = make_socket()
    join(anna, room_code)
    ghost = make_socket()
    real_join = rooms.join
    lost = []

    def join_then_lose_the_connection(db, room, client_id, name, role, sid, **extra):
        participant = real_join(db, room, client_id, name, role, sid, **extra)
        live.socketio.server.manager.pre_disconnect(sid, "/")
        lost.append(sid)
        return participant

    monkeypatch.setattr(rooms, "join", join_then_lose_the_connection)
    answer = ghost.emit(
        "join",
        {"room": room_code, "name": "Geist", "client_id": "client-ghost-001"},
        callback=True,
    )

    assert answer["error"] == "not_joined"
    assert lost and lost[0] not in room_events.joined_rooms
    seen = {p["name"]: p["online"] for p in states(anna)[-1]["participants"]}
    assert seen == {"Anna": True, "Geist": False}


def test_observer_cannot_vote(make_socket, room_code):
    sock = make_socket()
    join(sock, room_code, role="observer")

    answer = sock.emit("vote", {"value": "5"}, callback=True)

    assert answer["error"] == "not_allowed"


def test_rooms_are_isolated(make_socket, client, room_code):
    other_code = client.post("/api/rooms", json={"name": "Team Rot"}).get_json()["code"]
    here, there = make_socket(), make_socket()
    join(here, room_code)
    join(there, other_code, client_id="client-other-001")
    there.get_received()

    here.emit("vote", {"value": "5"}, callback=True)
    here.emit("reveal", {}, callback=True)

    assert there.get_received() == []


@pytest.mark.parametrize(
    ("event", "payload", "error"),
    [
        ("vote", {"value": "5"}, "not_joined"),
        ("reveal", {}, "not_joined"),
        ("new_round", {}, "not_joined"),
        ("set_story", {"title": "x"}, "not_joined"),
        ("leave", {}, "not_joined"),
        (
            "join",
            {"room": "ZZZZZZ", "name": "A", "client_id": "abcdefgh"},
            "room_not_found",
        ),
        (
            "join",
            {"room": "0O1lI0", "name": "A", "client_id": "abcdefgh"},
            "room_not_found",
        ),
        ("join", "not a dict", "invalid_payload"),
        ("join", None, "invalid_payload"),
        ("vote", ["5"], "invalid_payload"),
    ],
)
def test_errors_before_joining(make_socket, event, payload, error):
    sock = make_socket()

    answer = sock.emit(event, payload, callback=True)

    assert answer["ok"] is False
    assert answer["error"] == error
    assert answer["message"]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"name": "", "client_id": "client-anna-0001"}, "invalid_name"),
        ({"name": "x" * 41, "client_id": "client-anna-0001"}, "invalid_name"),
        ({"name": 7, "client_id": "client-anna-0001"}, "invalid_name"),
        ({"name": "Anna", "client_id": "short"}, "invalid_payload"),
        (
            {"name": "Anna", "client_id": "client-anna-0001", "role": "king"},
            "invalid_payload",
        ),
    ],
)
def test_join_refuses_bad_fields(make_socket, room_code, payload, error):
    sock = make_socket()

    answer = sock.emit("join", {"room": room_code, **payload}, callback=True)

    assert answer["error"] == error


@pytest.mark.parametrize(
    ("event", "payload", "error"),
    [
        ("vote", {"value": "7"}, "invalid_card"),
        ("vote", {"value": 5}, "invalid_payload"),
        ("vote", {"value": ["5"]}, "invalid_payload"),
        ("set_story", {"title": ""}, "invalid_title"),
        ("set_story", {"title": "x" * 201}, "invalid_title"),
        ("set_story", {"title": None}, "invalid_title"),
    ],
)
def test_bad_input_changes_nothing(pair, event, payload, error):
    anna, ben = pair

    answer = anna.emit(event, payload, callback=True)

    assert answer["error"] == error
    assert anna.get_received() == [] and ben.get_received() == []


def test_a_flooding_connection_is_rate_limited_and_the_room_goes_on(pair):
    anna, ben = pair

    answers = [anna.emit("vote", {"value": "5"}, callback=True) for _ in range(40)]

    refused = [a for a in answers if not a["ok"]]
    assert refused and {a["error"] for a in refused} == {"rate_limited"}
    assert ben.emit("vote", {"value": "3"}, callback=True)["ok"] is True
