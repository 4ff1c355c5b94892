"""Dashboard room actions through the real HTTP routes, and what the room hears."""

import contextlib
import json
import re
import time

import pytest

import database
import live
import voting_logic
from admin_common import local_time
from tests.admin_client import add_story
from tests.admin_client import configure
from tests.admin_client import join
from tests.admin_client import login
from tests.admin_client import only_states
from tests.admin_client import post
from tests.admin_client import query
from tests.conftest import BOTH

# Every test that builds the app runs on SQLite and on PostgreSQL.
DATABASES = BOTH


@pytest.fixture
def app(app):
    return configure(app)


@pytest.fixture
def admin(client):
    assert login(client).status_code == 302
    return client


@pytest.fixture
def anna(app, make_socket, room_code):
    """A voter in the room, on her own browser, her inbox drained."""
    sock = make_socket(app.test_client())
    join(sock, room_code)
    sock.get_received()
    return sock


def room_row(app, code):
    (row,) = query(app, "SELECT * FROM rooms WHERE code = ?", (code,))
    return row


def test_room_list_shows_online_people_stories_and_last_activity(
    app, admin, anna, room_code
):
    add_story(admin, app, room_code, "Erste Story")
    last_activity = room_row(app, room_code)["last_activity"]

    page = admin.get("/admin/").get_data(as_text=True)

    row = page[page.index(f'data-room-code="{room_code}"') :]
    row = row[: row.index("</tr>")]
    assert "Team Blau" in row
    assert '<td class="admin-number" data-label="Online">1</td>' in row
    stories = '<td class="admin-number" data-label="Storys">1 <span class="hint">'
    assert stories + "(0 geschätzt)</span></td>" in row
    assert local_time(last_activity) in row


def test_create_room_from_the_dashboard(app, admin):
    answer = post(admin, "/admin/rooms", {"name": "Sprint 42", "deck": "tshirt"})

    (room,) = query(app, "SELECT code, name, deck FROM rooms")
    assert answer.headers["Location"] == f"/admin/rooms/{room['code']}"
    assert (room["name"], room["deck"]) == ("Sprint 42", "tshirt")
    assert "Der Raum ist angelegt." in admin.get(answer.headers["Location"]).text


def test_create_room_refuses_an_empty_name(app, admin):
    answer = post(admin, "/admin/rooms", {"name": "  ", "deck": "fibonacci"})

    assert answer.headers["Location"] == "/admin/"
    assert query(app, "SELECT id FROM rooms") == []
    assert "Bitte einen Raumnamen" in admin.get("/admin/").text


def test_rename_reaches_everyone_in_the_room(app, admin, anna, room_code):
    answer = post(admin, f"/admin/rooms/{room_code}/name", {"name": "Team Grün"})

    assert answer.status_code == 302
    assert room_row(app, room_code)["name"] == "Team Grün"
    (state,) = only_states(anna)
    assert state["room"]["name"] == "Team Grün"


def test_changing_the_deck_during_an_open_round_starts_a_new_round(
    app, admin, anna, room_code
):
    anna.emit("vote", {"value": "5"}, callback=True)
    anna.get_received()

    answer = post(admin, f"/admin/rooms/{room_code}/deck", {"deck": "tshirt"})

    assert answer.status_code == 302
    (state,) = only_states(anna)
    assert state["room"]["deck"] == "tshirt"
    assert state["room"]["cards"] == ["XS", "S", "M", "L", "XL", "XXL", "?"]
    assert state["round"] == {"number": 2, "revealed": False}
    assert [p["voted"] for p in state["participants"]] == [False]
    assert "Das Deck ist geändert." in admin.get(answer.headers["Location"]).text
    rounds = query(app, "SELECT number, revealed, result FROM rounds ORDER BY id")
    assert rounds == [
        {"number": 1, "revealed": 0, "result": None},
        {"number": 2, "revealed": 0, "result": None},
    ]


def test_changing_the_deck_after_an_anonymous_reveal_starts_a_new_round(
    app, admin, anna, make_socket, room_code
):
    moderator = make_socket(admin)
    join(moderator, room_code, name="Chefin", client_id="client-chefin-01")
    moderator.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    anna.emit("vote", {"value": "13"}, callback=True)
    moderator.emit("reveal", {}, callback=True)
    anna.get_received()

    answer = post(admin, f"/admin/rooms/{room_code}/deck", {"deck": "tshirt"})

    assert answer.status_code == 302
    (state,) = only_states(anna)
    assert state["round"] == {"number": 2, "revealed": False}
    assert (state["stats"], "votes" in state) == (None, False)
    assert admin.get(f"/api/rooms/{room_code}").status_code == 200
    assert admin.get(f"/r/{room_code}").status_code == 200
    rounds = query(app, "SELECT number, revealed, result FROM rounds ORDER BY id")
    assert [(r["number"], r["revealed"]) for r in rounds] == [(1, 1), (2, 0)]
    assert json.loads(rounds[0]["result"])["suggestion"] == "13"
    history = admin.get(f"/admin/rooms/{room_code}/history").text
    assert "Vorschlag <strong>13</strong>" in history


def test_a_revealed_anonymous_round_of_an_older_deck_still_shows(
    app, admin, anna, make_socket, room_code
):
    moderator = make_socket(admin)
    join(moderator, room_code, name="Chefin", client_id="client-chefin-01")
    moderator.emit("set_options", {"options": {"anonymous": True}}, callback=True)
    anna.emit("vote", {"value": "13"}, callback=True)
    moderator.emit("vote", {"value": "?"}, callback=True)
    moderator.emit("reveal", {}, callback=True)
    # a room left like this by a deck change before new rounds were started
    with changing(app) as db:
        db.execute(
            "UPDATE rooms SET deck = 'tshirt', cards = ? WHERE code = ?",
            (json.dumps(["XS", "M", "?"]), room_code),
        )

    answer = admin.get(f"/api/rooms/{room_code}")

    assert answer.status_code == 200
    assert answer.get_json()["votes"] == ["?", "13"]
    assert admin.get(f"/r/{room_code}").status_code == 200


def test_changing_to_a_custom_deck_and_refusing_a_bad_one(app, admin, room_code):
    post(admin, f"/admin/rooms/{room_code}/deck", {"deck": "custom", "cards": "1 2 3"})
    assert room_row(app, room_code)["deck"] == "custom"

    post(admin, f"/admin/rooms/{room_code}/deck", {"deck": "custom", "cards": "1 1"})

    room = room_row(app, room_code)
    assert (room["deck"], room["cards"]) == ("custom", '["1", "2", "3"]')
    assert "kommt doppelt vor" in admin.get(f"/admin/rooms/{room_code}").text


def test_archive_and_restore(app, admin, room_code):
    post(admin, f"/admin/rooms/{room_code}/archive", {"archived": "1"})
    assert room_row(app, room_code)["archived"] == 1
    page = admin.get("/admin/").text
    assert page.index("Archivierte Räume") < page.index(room_code)

    post(admin, f"/admin/rooms/{room_code}/archive", {"archived": "0"})
    assert room_row(app, room_code)["archived"] == 0
    assert "Archivierte Räume" not in admin.get("/admin/").text


def test_delete_room_removes_it_and_tells_everyone_in_it(app, admin, anna, room_code):
    add_story(admin, app, room_code, "Wird mit gelöscht")
    anna.get_received()

    answer = post(admin, f"/admin/rooms/{room_code}/delete")

    assert answer.headers["Location"] == "/admin/"
    assert query(app, "SELECT id FROM rooms") == []
    assert query(app, "SELECT id FROM stories") == []
    assert query(app, "SELECT id FROM participants") == []
    assert anna.get_received() == [
        {
            "name": "removed",
            "args": [{"reason": "deleted", "message": "Dieser Raum wurde gelöscht."}],
            "namespace": "/",
        }
    ]
    assert admin.get(f"/admin/rooms/{room_code}").status_code == 404


def test_a_state_still_planned_when_the_room_is_deleted_goes_nowhere(
    app, admin, anna, make_socket, room_code
):
    app.config["BROADCAST_WINDOW"] = 0.05
    ben = make_socket(app.test_client())
    join(ben, room_code, name="Ben", client_id="client-ben-00001")
    assert anna.emit("vote", {"value": "5"}, callback=True)["ok"]

    post(admin, f"/admin/rooms/{room_code}/delete")
    time.sleep(0.2)  # the planned send wakes up and finds the room gone

    assert room_code not in live._broadcasts
    stale = anna.emit("vote", {"value": "8"}, callback=True)
    assert stale["error"] == "room_not_found"
    assert room_code not in live._room_locks


def test_remove_participant_tells_them_and_updates_the_others(
    app, admin, anna, make_socket, room_code
):
    ben = make_socket(app.test_client())
    ben_id = join(ben, room_code, name="Ben", client_id="client-ben-00001")[
        "participant_id"
    ]
    anna.get_received()
    ben.get_received()

    answer = post(admin, f"/admin/rooms/{room_code}/participants/{ben_id}/remove")

    assert answer.status_code == 302
    assert ben.get_received() == [
        {
            "name": "removed",
            "args": [
                {"reason": "removed", "message": "Du wurdest aus dem Raum entfernt."}
            ],
            "namespace": "/",
        }
    ]
    (state,) = only_states(anna)
    assert [p["name"] for p in state["participants"]] == ["Anna"]
    assert "Ben" not in admin.get(f"/admin/rooms/{room_code}").text


def test_removing_someone_of_another_room_tells_nobody_and_changes_nothing(
    app, admin, anna, make_socket, room_code
):
    other = admin.post("/api/rooms", json={"name": "Team Rot"}).get_json()["code"]
    ben = make_socket(app.test_client())
    ben_id = join(ben, other, name="Ben", client_id="client-ben-00001")[
        "participant_id"
    ]
    anna.get_received()
    ben.get_received()
    before = query(app, "SELECT * FROM participants ORDER BY id")

    answer = post(admin, f"/admin/rooms/{room_code}/participants/{ben_id}/remove")

    assert answer.status_code == 404
    assert ben.get_received() == anna.get_received() == []
    assert query(app, "SELECT * FROM participants ORDER BY id") == before
    assert ben.emit("vote", {"value": "3"}, callback=True)["ok"] is True


def test_room_page_lists_the_participants(admin, anna, room_code):
    page = admin.get(f"/admin/rooms/{room_code}").text

    assert 'class="admin-person-name" data-field="name">Anna</span>' in page
    assert "/participants/" in page


def test_the_vote_count_leaves_out_voters_gone_before_voting(
    app, admin, anna, make_socket, room_code
):
    story_id = add_story(admin, app, room_code, "Suche")
    post(admin, f"/admin/rooms/{room_code}/stories/{story_id}/current")
    ben = make_socket(app.test_client())
    join(ben, room_code, name="Ben", client_id="client-ben-00001")
    anna.emit("vote", {"value": "3"}, callback=True)

    before = admin.get(f"/admin/rooms/{room_code}").text
    ben.disconnect()
    after = admin.get(f"/admin/rooms/{room_code}").text

    assert re.search(r"1 von 2\s+haben abgestimmt", before)
    assert re.search(r"1 von 1\s+haben abgestimmt", after)


def test_admin_watch_follows_the_room_without_joining_it(
    app, admin, anna, make_socket, room_code
):
    watcher = make_socket(admin)

    answer = watcher.emit("admin_watch", {"room": room_code}, callback=True)
    anna.emit("vote", {"value": "3"}, callback=True)

    assert answer["ok"] is True
    assert [p["name"] for p in answer["snapshot"]["participants"]] == ["Anna"]
    (state,) = only_states(watcher)
    assert [p["voted"] for p in state["participants"]] == [True]
    assert [p["vote"] for p in state["participants"]] == [None]
    assert len(query(app, "SELECT id FROM participants")) == 1


def test_admin_watch_is_refused_without_admin_session(app, make_socket, room_code):
    stranger = make_socket(app.test_client())

    answer = stranger.emit("admin_watch", {"room": room_code}, callback=True)

    assert answer["error"] == "not_allowed"
    assert stranger.get_received() == []


def test_history_lists_every_round_with_votes_times_and_the_final_estimate(
    app, admin, anna, make_socket, room_code
):
    story_id = add_story(admin, app, room_code, "Login per SSO")
    post(admin, f"/admin/rooms/{room_code}/stories/{story_id}/current")
    anna.emit("vote", {"value": "8"}, callback=True)
    anna.emit("reveal", {}, callback=True)
    anna.emit("new_round", {}, callback=True)
    anna.emit("vote", {"value": "5"}, callback=True)
    anna.emit("reveal", {}, callback=True)
    post(
        admin,
        f"/admin/rooms/{room_code}/stories/{story_id}/estimate",
        {"estimate": "5"},
    )

    page = admin.get(f"/admin/rooms/{room_code}/history").text

    votes = query(app, "SELECT value, cast_at FROM votes ORDER BY cast_at")
    assert [vote["value"] for vote in votes] == ["8", "5"]
    assert page.index("Runde 1") < page.index("Runde 2")
    for vote in votes:
        cell = f'<td class="admin-vote">{vote["value"]}</td>'
        assert cell in page
        assert local_time(vote["cast_at"], seconds=True) in page
    assert page.count("<td>Anna</td>") == 2
    (story,) = query(app, "SELECT estimated_at FROM stories")
    assert "Endgültige Schätzung <strong>5</strong>" in page
    assert f"festgehalten von chefin am {local_time(story['estimated_at'])}" in page


def test_history_keeps_unrevealed_cards_hidden(app, admin, anna, room_code):
    story_id = add_story(admin, app, room_code, "Noch offen")
    post(admin, f"/admin/rooms/{room_code}/stories/{story_id}/current")
    anna.emit("vote", {"value": "13"}, callback=True)

    page = admin.get(f"/admin/rooms/{room_code}/history").text

    assert "nicht aufgedeckt (1 Stimme)" in page
    assert '<td class="admin-vote">' not in page


def test_same_name_people_are_told_apart_on_the_participant_list(
    app, admin, anna, make_socket, room_code
):
    other_anna = make_socket(app.test_client())
    join(other_anna, room_code, name="anna", client_id="client-anna-0002")

    page = admin.get(f"/admin/rooms/{room_code}").text

    names = re.findall(r'data-field="name">([^<]+)</span>', page)
    assert names == ["Anna", "anna (2)"]
    assert 'data-confirm="anna (2) aus dem Raum entfernen?"' in page


def test_same_name_people_are_told_apart_in_the_history_and_the_export(
    app, admin, anna, make_socket, room_code
):
    other_anna = make_socket(app.test_client())
    join(other_anna, room_code, name="Anna", client_id="client-anna-0002")
    anna.emit("vote", {"value": "3"}, callback=True)
    other_anna.emit("vote", {"value": "8"}, callback=True)
    anna.emit("reveal", {}, callback=True)
    anna.emit("leave", {}, callback=True)

    page = admin.get(f"/admin/rooms/{room_code}/history").text
    export = admin.get(f"/admin/rooms/{room_code}/export.json").get_json()

    assert re.findall(r"<td>(Anna[^<]*)</td>", page) == ["Anna", "Anna (2)"]
    (round_,) = export["rounds_without_story"]
    assert [(v["name"], v["value"]) for v in round_["votes"]] == [
        ("Anna", "3"),
        ("Anna (2)", "8"),
    ]


@contextlib.contextmanager
def changing(app):
    """A connection of its own to the app's database, in one write transaction."""
    db = database.connect(database.target(app.config))
    try:
        with database.transaction(db):
            yield db
    finally:
        db.close()


def fill_backlog(app, code, stories, loose_rounds=0):
    """Give the room numbered stories and revealed rounds without story."""
    result = json.dumps(voting_logic.summarize(("1", "2"), [("Anna", "1")]))
    with changing(app) as db:
        (room_id,) = db.execute(
            "SELECT id FROM rooms WHERE code = ?", (code,)
        ).fetchone()
        db.executemany(
            "INSERT INTO stories (room_id, title, position, created_at)"
            " VALUES (?, ?, ?, 0)",
            [(room_id, f"Story {n:03d}", n) for n in range(1, stories + 1)],
        )
        db.executemany(
            "INSERT INTO rounds (room_id, number, revealed, result, started_at,"
            " revealed_at) VALUES (?, ?, 1, ?, ?, ?)",
            [(room_id, n, result, n, n) for n in range(2, loose_rounds + 2)],
        )


def story_titles(page):
    return re.findall(r"Story (\d{3})", page)


@pytest.mark.parametrize(
    ("asked", "first", "last", "back", "on"),
    [
        ("", 1, 50, False, True),
        ("?page=2", 51, 100, True, True),
        ("?page=9", 101, 120, True, False),
        ("?page=x", 1, 50, False, True),
    ],
)
def test_the_room_page_shows_fifty_stories_a_page(
    app, admin, room_code, asked, first, last, back, on
):
    fill_backlog(app, room_code, 120)

    page = admin.get(f"/admin/rooms/{room_code}{asked}").text

    shown = [int(number) for number in story_titles(page)]
    assert shown == list(range(first, last + 1))
    current = (first - 1) // 50 + 1
    assert page.count(f"Seite {current} von 3") == 2
    assert ("← Zurück" in page, "Weiter →" in page) == (back, on)


def test_the_current_story_shows_on_every_page_of_stories(app, admin, room_code):
    fill_backlog(app, room_code, 60)
    (story,) = query(app, "SELECT id FROM stories WHERE title = 'Story 060'")
    post(admin, f"/admin/rooms/{room_code}/stories/{story['id']}/current")

    page = admin.get(f"/admin/rooms/{room_code}").text

    assert (
        '<p id="current-story-title" class="admin-current-title">Story 060</p>' in page
    )
    assert f"/stories/{story['id']}/estimate" in page
    assert "Story 051" not in page


def test_story_forms_bring_the_admin_back_to_their_page(app, admin, room_code):
    fill_backlog(app, room_code, 60)
    page = admin.get(f"/admin/rooms/{room_code}?page=2").text
    (story_id,) = re.findall(r'/stories/(\d+)/skip\?page=2"', page)[:1]

    answer = post(admin, f"/admin/rooms/{room_code}/stories/{story_id}/skip?page=2")

    assert answer.headers["Location"] == f"/admin/rooms/{room_code}?page=2#stories"


def test_history_pages_hold_fifty_stories_then_the_rounds_without_story(
    app, admin, room_code
):
    fill_backlog(app, room_code, 120, loose_rounds=60)
    history = f"/admin/rooms/{room_code}/history"

    pages = [admin.get(f"{history}?page={n}").text for n in (1, 2, 3, 4)]

    assert [story_titles(page)[:1] + story_titles(page)[-1:] for page in pages] == [
        ["001", "050"],
        ["051", "100"],
        ["101", "120"],
        [],
    ]
    rounds = [re.findall(r"<strong>Runde (\d+)</strong>", page) for page in pages]
    assert [len(found) for found in rounds] == [0, 0, 30, 30]
    assert rounds[2][0] == "2" and rounds[3][-1] == "61"
    assert ["Runden ohne Story" in page for page in pages] == [
        False,
        False,
        True,
        True,
    ]
    assert "Seite 4 von 4" in pages[3] and "Weiter →" not in pages[3]
    assert admin.get(f"{history}?page=0").text == admin.get(history).text
