"""Roles, room options, timer and rounds through the Socket.IO test client."""

import json

import pytest

import background
import database
import room_events
import room_history
import rooms
from tests.conftest import BOTH
from tests.test_live_events import join
from tests.test_live_events import states

# Every test that builds the app runs on SQLite and on PostgreSQL.
DATABASES = BOTH


@pytest.fixture
def guest(app, make_socket):
    """A second browser, which did not create the room."""

    def make():
        return make_socket(app.test_client())

    return make


@pytest.fixture
def team(make_socket, guest, room_code):
    """Mo (the room's creator, so a moderator), Vera (voter), Otto (observer)."""
    mo, vera, otto = make_socket(), guest(), guest()
    join(mo, room_code, name="Mo", client_id="client-mo-000001")
    join(vera, room_code, name="Vera", client_id="client-vera-0001")
    join(otto, room_code, name="Otto", client_id="client-otto-0001", role="observer")
    for sock in (mo, vera, otto):
        sock.get_received()
    return mo, vera, otto


def ids(state):
    return {p["name"]: p["id"] for p in state["participants"]}


def test_the_creator_is_moderator_and_a_guest_is_not(team):
    mo, _vera, _otto = team

    mo.emit("vote", {"value": "1"}, callback=True)

    state = states(mo)[-1]
    assert {p["name"]: p["moderator"] for p in state["participants"]} == {
        "Mo": True,
        "Vera": False,
        "Otto": False,
    }


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("set_options", {"options": {"anonymous": True}}),
        ("set_moderator", {"participant_id": 1, "moderator": False}),
    ],
)
def test_a_voter_is_denied_moderator_actions_and_nothing_changes(team, event, payload):
    mo, vera, otto = team

    answer = vera.emit(event, payload, callback=True)

    assert answer["ok"] is False and answer["error"] == "not_allowed"
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


def test_options_are_pushed_live_to_everyone(team):
    mo, vera, otto = team

    answer = mo.emit(
        "set_options", {"options": {"control": "moderators"}}, callback=True
    )

    assert answer == {"ok": True}
    for sock in (mo, vera, otto):
        (state,) = states(sock)
        assert state["room"]["options"]["control"] == "moderators"


@pytest.mark.parametrize(
    "options",
    [{"control": "nobody"}, {"auto_reveal": "yes"}, {"colour": True}, ["x"]],
)
def test_bad_options_are_refused(team, options):
    mo, vera, _otto = team

    answer = mo.emit("set_options", {"options": options}, callback=True)

    assert answer["ok"] is False
    assert mo.get_received() == vera.get_received() == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("reveal", {}),
        ("new_round", {}),
        ("set_story", {"title": "Neu"}),
        ("next_story", {}),
        ("start_timer", {"seconds": 60}),
        ("stop_timer", {}),
        ("nudge", {}),
    ],
)
def test_moderators_only_control_refuses_voters(team, event, payload):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"control": "moderators"}}, callback=True)
    for sock in team:
        sock.get_received()

    answer = vera.emit(event, payload, callback=True)

    assert answer["error"] == "not_allowed"
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


def test_a_named_moderator_may_control_the_room(team, client, room_code):
    mo, vera, _otto = team
    vera_id = ids(client.get(f"/api/rooms/{room_code}").get_json())["Vera"]
    mo.emit("set_options", {"options": {"control": "moderators"}}, callback=True)

    answer = mo.emit(
        "set_moderator", {"participant_id": vera_id, "moderator": True}, callback=True
    )

    assert answer == {"ok": True}
    assert vera.emit("reveal", {}, callback=True) == {"ok": True}


def test_auto_reveal_when_every_online_voter_has_voted(team):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"auto_reveal": True}}, callback=True)
    mo.emit("vote", {"value": "3"}, callback=True)
    assert states(otto)[-1]["round"]["revealed"] is False

    vera.emit("vote", {"value": "5"}, callback=True)

    state = states(otto)[-1]
    assert state["round"]["revealed"] is True
    assert state["stats"]["count"] == 2


def test_observers_can_be_kept_from_seeing_who_voted(team):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"observers_see_votes": False}}, callback=True)
    for sock in team:
        sock.get_received()

    vera.emit("vote", {"value": "5"}, callback=True)

    (seen_by_otto,) = states(otto)
    (seen_by_vera,) = states(vera)
    assert {p["voted"] for p in seen_by_otto["participants"]} == {None}
    assert ids(seen_by_vera) and [p["voted"] for p in seen_by_vera["participants"]] == [
        False,
        True,
        False,
    ]


def test_anonymous_reveal_shows_values_without_names(team):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    mo.emit("vote", {"value": "8"}, callback=True)
    vera.emit("vote", {"value": "1"}, callback=True)

    mo.emit("reveal", {}, callback=True)

    state = states(otto)[-1]
    assert state["votes"] == ["1", "8"]
    assert {p["vote"] for p in state["participants"]} == {None}
    assert state["stats"]["min_voters"] == state["stats"]["max_voters"] == []
    assert state["stats"]["discuss"] is None
    assert "Vera" not in str(state["stats"])


def test_nudge_reaches_only_voters_who_have_not_voted(team):
    mo, vera, otto = team
    mo.emit("vote", {"value": "3"}, callback=True)
    for sock in team:
        sock.get_received()

    answer = mo.emit("nudge", {}, callback=True)

    assert answer == {"ok": True, "nudged": 1}
    assert [(e["name"], e["args"][0]) for e in vera.get_received()] == [
        ("nudge", {"from": "Mo"})
    ]
    assert mo.get_received() == otto.get_received() == []


def test_next_story_takes_the_first_open_story_of_the_backlog(app, team, room_code):
    mo, vera, _otto = team
    with app.app_context():
        db = database.get_db()
        room_id = db.execute(
            "SELECT id FROM rooms WHERE code = ?", (room_code,)
        ).fetchone()[0]
        for position, (title, status) in enumerate(
            [("Erledigt", "estimated"), ("Export", "open"), ("Import", "open")], 1
        ):
            db.execute(
                "INSERT INTO stories (room_id, title, position, status, created_at)"
                " VALUES (?, ?, ?, ?, 0)",
                (room_id, title, position, status),
            )

    assert mo.emit("next_story", {}, callback=True) == {"ok": True}
    assert states(vera)[-1]["story"]["title"] == "Export"
    mo.emit("next_story", {}, callback=True)
    assert states(vera)[-1]["story"]["title"] == "Import"
    mo.emit("next_story", {}, callback=True)
    assert states(vera)[-1]["story"]["title"] == "Export"
    with app.app_context():
        database.get_db().execute("UPDATE stories SET status = 'estimated'")
    assert mo.emit("next_story", {}, callback=True)["error"] == "no_open_story"


@pytest.mark.parametrize("seconds", [29, 601, "60", True, None, 60.5])
def test_timer_length_is_checked(team, seconds):
    mo, _vera, _otto = team

    answer = mo.emit("start_timer", {"seconds": seconds}, callback=True)

    assert answer["error"] == "invalid_timer"


@pytest.fixture
def frozen_clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(room_events, "clock", lambda: now[0])
    return now


def test_timer_deadline_is_shared_and_ends_at_zero(app, team, frozen_clock):
    mo, vera, _otto = team

    mo.emit("start_timer", {"seconds": 90}, callback=True)

    (state,) = states(vera)
    assert state["timer"] == {"deadline": frozen_clock[0] + 90, "seconds": 90}
    with app.test_request_context():
        background.end_expired_timers(frozen_clock[0] + 89)
        assert states(vera) == []
        background.end_expired_timers(frozen_clock[0] + 90)
    (ended,) = states(vera)
    assert ended["timer"] is None
    assert ended["round"]["revealed"] is False


def test_timer_reveals_at_zero_when_the_room_says_so(app, team, frozen_clock):
    mo, vera, _otto = team
    mo.emit("set_options", {"options": {"timer_reveals": True}}, callback=True)
    vera.emit("vote", {"value": "5"}, callback=True)
    mo.emit("start_timer", {"seconds": 30}, callback=True)
    vera.get_received()

    with app.test_request_context():
        background.end_expired_timers(frozen_clock[0] + 31)

    (state,) = states(vera)
    assert state["round"]["revealed"] is True
    assert state["stats"]["count"] == 1


def test_stop_timer_clears_the_deadline(team, frozen_clock):
    mo, vera, _otto = team
    mo.emit("start_timer", {"seconds": 60}, callback=True)

    assert mo.emit("stop_timer", {}, callback=True) == {"ok": True}

    assert states(vera)[-1]["timer"] is None


def test_a_new_round_keeps_history_and_shows_how_the_result_moved(app, team, room_code):
    mo, vera, _otto = team
    mo.emit("set_story", {"title": "Suche"}, callback=True)
    mo.emit("vote", {"value": "2"}, callback=True)
    vera.emit("vote", {"value": "13"}, callback=True)
    mo.emit("reveal", {}, callback=True)
    first = states(vera)[-1]
    assert first["stats"]["discuss"] == {"low": ["Mo"], "high": ["Vera"]}
    assert "change" not in first["round"]

    mo.emit("new_round", {}, callback=True)
    mo.emit("vote", {"value": "5"}, callback=True)
    vera.emit("vote", {"value": "5"}, callback=True)
    mo.emit("reveal", {}, callback=True)

    second = states(vera)[-1]
    assert second["round"]["number"] == 2
    assert second["round"]["change"]["direction"] == "down"
    assert second["stats"]["consensus"] is True
    assert second["story"]["rounds_revealed"] == 2
    assert second["round"]["seconds"] >= 0
    with app.app_context():
        rounds = (
            database.get_db()
            .execute(
                "SELECT r.number, COUNT(v.value) FROM rounds r"
                " JOIN stories s ON s.id = r.story_id"
                " LEFT JOIN votes v ON v.round_id = r.id GROUP BY r.id ORDER BY r.id"
            )
            .fetchall()
        )
    assert [tuple(row) for row in rounds] == [(1, 2), (2, 2)]


def test_a_reveal_without_votes_is_allowed(team):
    mo, vera, _otto = team

    assert mo.emit("reveal", {}, callback=True) == {"ok": True}

    stats = states(vera)[-1]["stats"]
    assert (stats["count"], stats["total"], stats["suggestion"]) == (0, 0, None)


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("next_story", {}),
        ("start_timer", {"seconds": 60}),
        ("stop_timer", {}),
        ("nudge", {}),
    ],
)
def test_backlog_timer_and_nudge_are_for_moderators_even_when_everyone_controls(
    team, event, payload
):
    mo, vera, otto = team

    answer = vera.emit(event, payload, callback=True)

    assert answer["ok"] is False and answer["error"] == "not_allowed"
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


@pytest.mark.parametrize(
    "goes",
    [
        lambda sock: sock.emit("leave", {}, callback=True),
        lambda sock: sock.disconnect(),
        lambda sock: join(
            sock,
            sock.room_code,
            name="Vera",
            client_id="client-vera-0001",
            role="observer",
        ),
    ],
    ids=["leaves", "disconnects", "turns-observer"],
)
def test_auto_reveal_when_the_last_waiting_voter_goes(team, room_code, goes):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"auto_reveal": True}}, callback=True)
    mo.emit("vote", {"value": "3"}, callback=True)
    assert states(otto)[-1]["round"]["revealed"] is False
    vera.room_code = room_code

    goes(vera)

    state = states(otto)[-1]
    assert state["round"]["revealed"] is True
    assert state["stats"]["count"] == 1


def test_turning_auto_reveal_on_when_everyone_has_voted_reveals(team):
    mo, vera, otto = team
    mo.emit("vote", {"value": "3"}, callback=True)
    vera.emit("vote", {"value": "5"}, callback=True)
    assert states(otto)[-1]["round"]["revealed"] is False

    mo.emit("set_options", {"options": {"auto_reveal": True}}, callback=True)

    assert states(otto)[-1]["round"]["revealed"] is True


def test_the_history_keeps_how_long_each_round_and_story_took(
    app, client, team, room_code, monkeypatch
):
    mo, vera, _otto = team
    now = [1_800_000_000.0]
    monkeypatch.setattr(rooms, "clock", lambda: now[0])
    mo.emit("set_story", {"title": "Suche"}, callback=True)
    for first, last in ((10, 70), (200, 245)):
        now[0] += first
        mo.emit("vote", {"value": "2"}, callback=True)
        now[0] += last - first
        vera.emit("vote", {"value": "3"}, callback=True)
        mo.emit("reveal", {}, callback=True)
        mo.emit("new_round", {}, callback=True)

    with app.app_context():
        db = database.get_db()
        (entry,) = room_history.history(db, rooms.find_room(db, room_code)["id"])
    assert [r["seconds"] for r in entry["rounds"] if r["revealed"]] == [60.0, 45.0]
    assert entry["seconds"] == 105.0


def test_turning_anonymous_off_after_reveal_shows_no_names(team):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    mo.emit("vote", {"value": "8"}, callback=True)
    vera.emit("vote", {"value": "1"}, callback=True)
    mo.emit("reveal", {}, callback=True)
    for sock in team:
        sock.get_received()

    answer = mo.emit("set_options", {"options": {"anonymous": False}}, callback=True)

    assert answer == {"ok": True}
    (state,) = states(otto)
    assert state["room"]["options"]["anonymous"] is False
    assert {p["vote"] for p in state["participants"]} == {None}
    assert state["votes"] == ["1", "8"]
    assert state["stats"]["min_voters"] == state["stats"]["max_voters"] == []
    assert "anonymous" not in state["stats"]
    assert "Vera" not in str(state["stats"])


def test_after_anonymous_is_off_the_next_round_shows_names(team):
    mo, vera, otto = team
    mo.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    mo.emit("reveal", {}, callback=True)
    mo.emit("set_options", {"options": {"anonymous": False}}, callback=True)
    mo.emit("new_round", {}, callback=True)
    vera.emit("vote", {"value": "3"}, callback=True)

    mo.emit("reveal", {}, callback=True)

    state = states(otto)[-1]
    assert {p["name"]: p["vote"] for p in state["participants"]} == {
        "Mo": None,
        "Vera": "3",
        "Otto": None,
    }
    assert state["stats"]["min_voters"] == ["Vera"]
    assert "votes" not in state


def test_turning_anonymous_on_after_reveal_hides_the_names(team):
    mo, vera, otto = team
    vera.emit("vote", {"value": "5"}, callback=True)
    mo.emit("reveal", {}, callback=True)

    mo.emit("set_options", {"options": {"anonymous": True}}, callback=True)

    state = states(otto)[-1]
    assert {p["vote"] for p in state["participants"]} == {None}
    assert state["votes"] == ["5"]


def test_nudge_after_reveal_reaches_nobody(team):
    mo, vera, otto = team
    mo.emit("vote", {"value": "3"}, callback=True)
    mo.emit("reveal", {}, callback=True)
    for sock in team:
        sock.get_received()

    answer = mo.emit("nudge", {}, callback=True)

    assert answer == {"ok": True, "nudged": 0}
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


def hide_votes_from_observers(team):
    mo, vera, _otto = team
    mo.emit("set_options", {"options": {"observers_see_votes": False}}, callback=True)
    vera.emit("vote", {"value": "5"}, callback=True)


def test_the_api_shows_the_observer_view(team, client, room_code):
    hide_votes_from_observers(team)

    state = client.get(f"/api/rooms/{room_code}").get_json()

    assert [p["voted"] for p in state["participants"]] == [None, None, None]
    assert {p["vote"] for p in state["participants"]} == {None}


def test_the_room_page_embeds_the_observer_view(team, client, room_code):
    hide_votes_from_observers(team)

    page = client.get(f"/r/{room_code}").get_data(as_text=True)

    embedded = page.split('id="room-snapshot">')[1].split("</script>")[0]
    state = json.loads(embedded)
    assert [p["name"] for p in state["participants"]] == ["Mo", "Vera", "Otto"]
    assert [p["voted"] for p in state["participants"]] == [None, None, None]


def test_with_observers_seeing_votes_the_api_shows_who_voted(team, client, room_code):
    _mo, vera, _otto = team
    vera.emit("vote", {"value": "5"}, callback=True)

    state = client.get(f"/api/rooms/{room_code}").get_json()

    assert [p["voted"] for p in state["participants"]] == [False, True, False]


def test_taking_the_moderator_role_away(team, client, room_code):
    mo, vera, otto = team
    vera_id = ids(client.get(f"/api/rooms/{room_code}").get_json())["Vera"]
    mo.emit("set_moderator", {"participant_id": vera_id}, callback=True)
    for sock in team:
        sock.get_received()

    answer = mo.emit(
        "set_moderator", {"participant_id": vera_id, "moderator": False}, callback=True
    )

    assert answer == {"ok": True}
    for sock in team:
        (state,) = states(sock)
        assert {p["name"]: p["moderator"] for p in state["participants"]} == {
            "Mo": True,
            "Vera": False,
            "Otto": False,
        }
    refused = vera.emit("start_timer", {"seconds": 60}, callback=True)
    assert refused["error"] == "not_allowed"
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


def test_set_moderator_for_someone_of_another_room_is_not_found(team, guest, client):
    mo, vera, otto = team
    other_code = client.post("/api/rooms", json={"name": "Anderswo"}).get_json()["code"]
    stranger = guest()
    stranger_id = join(stranger, other_code, name="Sam", client_id="client-sam-00001")[
        "participant_id"
    ]

    answer = mo.emit(
        "set_moderator",
        {"participant_id": stranger_id, "moderator": True},
        callback=True,
    )

    assert answer == {
        "ok": False,
        "error": "not_found",
        "message": "Diese Person ist nicht im Raum.",
    }
    assert mo.get_received() == vera.get_received() == otto.get_received() == []
    assert stranger.get_received() == []
    other = client.get(f"/api/rooms/{other_code}").get_json()
    assert [p["moderator"] for p in other["participants"]] == [False]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"participant_id": "2"},
        {"participant_id": True},
        {"participant_id": 2.0},
        {"participant_id": None},
        {"participant_id": 2, "moderator": "ja"},
        {"participant_id": 2, "moderator": 1},
        {"participant_id": 2, "moderator": None},
    ],
)
def test_set_moderator_with_a_bad_payload_is_refused(team, payload):
    mo, vera, otto = team

    answer = mo.emit("set_moderator", payload, callback=True)

    assert answer == {
        "ok": False,
        "error": "invalid_payload",
        "message": "Die Anfrage ist ungültig.",
    }
    assert mo.get_received() == vera.get_received() == otto.get_received() == []


def moderators(sock):
    return [p["name"] for p in states(sock)[-1]["participants"] if p["moderator"]]


def test_when_the_last_moderator_leaves_the_first_one_online_takes_over(team):
    mo, vera, otto = team
    vera.disconnect()
    otto.get_received()

    assert mo.emit("leave", {}, callback=True)["ok"] is True

    assert moderators(otto) == ["Otto"]
    answer = otto.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    assert answer["ok"] is True


def test_a_moderator_leaving_keeps_the_others_as_they_are(team, client, room_code):
    mo, _vera, otto = team
    vera_id = ids(client.get(f"/api/rooms/{room_code}").get_json())["Vera"]
    mo.emit(
        "set_moderator", {"participant_id": vera_id, "moderator": True}, callback=True
    )
    otto.get_received()

    mo.emit("leave", {}, callback=True)

    assert moderators(otto) == ["Vera"]


@pytest.fixture
def room_clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(rooms, "clock", lambda: now[0])
    return now


def test_people_gone_for_hours_without_a_card_leave_the_list(
    team, guest, client, room_code, room_clock
):
    mo, vera, otto = team
    vera.emit("vote", {"value": "5"}, callback=True)
    vera.disconnect()
    otto.disconnect()
    room_clock[0] += rooms.GONE_AFTER_SECONDS + 1
    mo.disconnect()

    nina = guest()
    join(nina, room_code, name="Nina", client_id="client-nina-0001")

    room = client.get(f"/api/rooms/{room_code}").get_json()
    assert [p["name"] for p in room["participants"]] == ["Mo", "Vera", "Nina"]


def test_a_newcomer_takes_over_from_a_moderator_gone_for_hours(
    team, guest, client, room_code, room_clock
):
    mo, vera, otto = team
    for sock in (mo, vera, otto):
        sock.disconnect()
    room_clock[0] += rooms.GONE_AFTER_SECONDS + 1

    nina = guest()
    join(nina, room_code, name="Nina", client_id="client-nina-0001")

    room = client.get(f"/api/rooms/{room_code}").get_json()
    assert [(p["name"], p["moderator"]) for p in room["participants"]] == [
        ("Nina", True)
    ]
