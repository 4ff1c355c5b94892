"""Dashboard story actions through the real HTTP routes, and what the room hears."""

import re

import pytest

import admin_common
import database
from tests.admin_client import add_story
from tests.admin_client import configure
from tests.admin_client import join
from tests.admin_client import login
from tests.admin_client import only_states
from tests.admin_client import post
from tests.admin_client import query
from tests.admin_client import stories
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
    sock = make_socket(app.test_client())
    join(sock, room_code)
    sock.get_received()
    return sock


def story_url(code, story_id, action=""):
    return f"/admin/rooms/{code}/stories/{story_id}" + (f"/{action}" if action else "")


def titles(app, code):
    return [story["title"] for story in stories(app, code)]


def selected_card(page):
    match = re.search(r'<option value="([^"]*)" selected>', page)
    return match.group(1) if match else None


def test_add_story_with_title_description_and_link(app, admin, anna, room_code):
    add_story(
        admin,
        app,
        room_code,
        "Login per SSO",
        description="Zeile eins\nZeile zwei",
        link="https://example.org/POK-1",
    )

    (story,) = stories(app, room_code)
    assert (story["title"], story["description"], story["link"]) == (
        "Login per SSO",
        "Zeile eins\nZeile zwei",
        "https://example.org/POK-1",
    )
    assert story["status"] == "open"
    assert len(only_states(anna)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Der Titel fehlt."),
        ({"title": "x" * 201}, "Der Titel ist länger als 200 Zeichen."),
        (
            {"title": "Böse", "link": "javascript:alert(1)"},
            "Der Link muss eine http- oder https-Adresse sein.",
        ),
    ],
)
def test_add_story_refuses_bad_input(app, admin, room_code, fields, message):
    post(admin, f"/admin/rooms/{room_code}/stories", fields)

    assert stories(app, room_code) == []
    assert message in admin.get(f"/admin/rooms/{room_code}").text


def test_links_render_as_links_only_for_http_and_https(app, admin, room_code):
    add_story(admin, app, room_code, "Mit Link", link="https://example.org/a")
    add_story(admin, app, room_code, "Alter Link")
    with app.app_context():
        database.get_db().execute(
            "UPDATE stories SET link = 'javascript:alert(1)' WHERE title = 'Alter Link'"
        )

    page = admin.get(f"/admin/rooms/{room_code}").text

    assert '<a href="https://example.org/a" target="_blank"' in page
    assert "javascript:" not in page


def test_edit_story_changes_it_and_the_room_sees_the_current_one(
    app, admin, anna, room_code
):
    story_id = add_story(admin, app, room_code, "Entwurf")
    post(admin, story_url(room_code, story_id, "current"))
    anna.get_received()

    post(
        admin,
        story_url(room_code, story_id),
        {"title": "Endfassung", "description": "Neu", "link": ""},
    )

    (story,) = stories(app, room_code)
    assert (story["title"], story["description"]) == ("Endfassung", "Neu")
    (state,) = only_states(anna)
    assert state["story"]["title"] == "Endfassung"
    assert state["story"]["description"] == "Neu"


def test_story_page_shows_the_form_filled_in(app, admin, room_code):
    story_id = add_story(admin, app, room_code, "Titel <mit> Zeichen")

    page = admin.get(story_url(room_code, story_id)).text

    assert 'value="Titel &lt;mit&gt; Zeichen"' in page
    assert (
        'data-confirm="Story „Titel &lt;mit&gt; Zeichen“ löschen?'
        " Ihre Runden bleiben in der Historie unter „Runden ohne Story“." in page
    )
    assert admin.get(story_url(room_code, story_id + 99)).status_code == 404


def test_delete_story_keeps_its_rounds_in_the_history(app, admin, room_code):
    story_id = add_story(admin, app, room_code, "Weg damit")
    post(admin, story_url(room_code, story_id, "current"))

    post(admin, story_url(room_code, story_id, "delete"))

    assert stories(app, room_code) == []
    rounds = query(app, "SELECT story_id FROM rounds ORDER BY id")
    assert rounds == [{"story_id": None}, {"story_id": None}]


def test_reorder_moves_a_story_up_and_down(app, admin, room_code):
    ids = [add_story(admin, app, room_code, title) for title in ("A", "B", "C")]

    post(admin, story_url(room_code, ids[2], "move"), {"direction": "up"})
    assert titles(app, room_code) == ["A", "C", "B"]
    post(admin, story_url(room_code, ids[0], "move"), {"direction": "down"})
    assert titles(app, room_code) == ["C", "A", "B"]
    post(admin, story_url(room_code, ids[2], "move"), {"direction": "up"})
    assert titles(app, room_code) == ["C", "A", "B"]
    refused = post(admin, story_url(room_code, ids[0], "move"), {"direction": "x"})
    assert refused.status_code == 400


def test_making_a_story_current_pushes_it_live(app, admin, anna, room_code):
    story_id = add_story(
        admin, app, room_code, "Login per SSO", link="https://example.org/1"
    )
    anna.get_received()

    answer = post(admin, story_url(room_code, story_id, "current"))

    assert answer.headers["Location"] == f"/admin/rooms/{room_code}"
    received = anna.get_received()
    assert len(received) == 1
    assert received[0]["name"] == "state"
    state = received[0]["args"][0]
    assert state["story"]["id"] == story_id
    assert state["story"]["title"] == "Login per SSO"
    assert state["story"]["link"] == "https://example.org/1"
    assert state["round"] == {"number": 1, "revealed": False}


def test_making_the_current_story_current_again_keeps_its_open_round(
    app, admin, room_code
):
    story_id = add_story(admin, app, room_code, "Schon dran")
    post(admin, story_url(room_code, story_id, "current"))

    post(admin, story_url(room_code, story_id, "current"))

    rounds = query(app, "SELECT story_id FROM rounds WHERE story_id IS NOT NULL")
    assert rounds == [{"story_id": story_id}]


def test_skip_marks_a_story_and_making_it_current_reopens_it(app, admin, room_code):
    story_id = add_story(admin, app, room_code, "Später")

    post(admin, story_url(room_code, story_id, "skip"))
    assert stories(app, room_code)[0]["status"] == "skipped"

    post(admin, story_url(room_code, story_id, "current"))
    assert stories(app, room_code)[0]["status"] == "open"


def test_skipping_the_current_story_moves_the_room_to_the_next_open_one(
    app, admin, anna, room_code
):
    first, done, skipped, after = (
        add_story(admin, app, room_code, title)
        for title in ("Erste", "Fertig", "Zweite", "Dritte")
    )
    post(admin, story_url(room_code, done, "estimate"), {"estimate": "3"})
    post(admin, story_url(room_code, skipped, "skip"))
    post(admin, story_url(room_code, first, "current"))
    anna.get_received()

    answer = post(admin, story_url(room_code, first, "skip"))

    assert answer.status_code == 302
    (state,) = only_states(anna)
    assert state["story"]["id"] == after
    assert state["round"] == {"number": 1, "revealed": False}
    assert [s["status"] for s in stories(app, room_code)] == [
        "skipped",
        "estimated",
        "skipped",
        "open",
    ]


def test_skipping_the_last_open_story_leaves_a_round_without_story(
    app, admin, anna, room_code
):
    story_id = add_story(admin, app, room_code, "Einzige")
    post(admin, story_url(room_code, story_id, "current"))
    anna.emit("vote", {"value": "5"}, callback=True)
    anna.get_received()

    post(admin, story_url(room_code, story_id, "skip"))

    (state,) = only_states(anna)
    assert state["story"] is None
    assert state["round"] == {"number": 2, "revealed": False}
    assert [p["voted"] for p in state["participants"]] == [False]
    rounds = query(app, "SELECT story_id, revealed FROM rounds ORDER BY id")
    assert rounds == [
        {"story_id": None, "revealed": 0},
        {"story_id": story_id, "revealed": 0},
        {"story_id": None, "revealed": 0},
    ]


def test_skipping_another_story_leaves_the_current_one(app, admin, anna, room_code):
    current, other = (add_story(admin, app, room_code, t) for t in ("Jetzt", "Später"))
    post(admin, story_url(room_code, current, "current"))
    anna.get_received()

    post(admin, story_url(room_code, other, "skip"))

    (state,) = only_states(anna)
    assert state["story"]["id"] == current


def test_final_estimate_is_prefilled_with_the_last_suggestion(
    app, admin, anna, make_socket, room_code
):
    ben = make_socket(app.test_client())
    join(ben, room_code, name="Ben", client_id="client-ben-00001")
    story_id = add_story(admin, app, room_code, "Schätzen")
    post(admin, story_url(room_code, story_id, "current"))
    anna.emit("vote", {"value": "3"}, callback=True)
    ben.emit("vote", {"value": "5"}, callback=True)
    anna.emit("reveal", {}, callback=True)

    story_page = admin.get(story_url(room_code, story_id)).text
    room_page = admin.get(f"/admin/rooms/{room_code}").text

    (round_,) = query(app, "SELECT result FROM rounds WHERE story_id = ?", (story_id,))
    assert '"suggestion": "5"' in round_["result"]
    assert selected_card(story_page) == "5"
    assert selected_card(room_page) == "5"
    assert "Vorschlag aus der letzten aufgedeckten Runde: <strong>5</strong>" in (
        story_page
    )


def test_without_a_revealed_round_no_card_is_chosen_for_the_admin(
    app, admin, room_code
):
    story_id = add_story(admin, app, room_code, "Neu")
    post(admin, story_url(room_code, story_id, "current"))

    for page in (
        admin.get(story_url(room_code, story_id)).text,
        admin.get(f"/admin/rooms/{room_code}").text,
    ):
        assert selected_card(page) == ""
        assert '<option value="" selected>Karte wählen …</option>' in page
        assert re.search(r'<select id="estimate" name="estimate"[^>]* required', page)


def test_final_estimate_records_the_card_and_who_set_it(app, admin, anna, room_code):
    story_id = add_story(admin, app, room_code, "Fertig")
    anna.get_received()

    post(admin, story_url(room_code, story_id, "estimate"), {"estimate": "8"})

    (story,) = stories(app, room_code)
    assert (story["status"], story["final_estimate"], story["estimated_by"]) == (
        "estimated",
        "8",
        "chefin",
    )
    assert story["estimated_at"] is not None
    assert len(only_states(anna)) == 1
    assert selected_card(admin.get(story_url(room_code, story_id)).text) == "8"


@pytest.mark.parametrize("card", ["7", "?", "☕", ""])
def test_final_estimate_must_be_a_card_of_the_deck(app, admin, room_code, card):
    story_id = add_story(admin, app, room_code, "Fertig")

    post(admin, story_url(room_code, story_id, "estimate"), {"estimate": card})

    (story,) = stories(app, room_code)
    assert (story["status"], story["final_estimate"]) == ("open", None)
    assert (
        "Bitte eine Karte aus dem Deck" in admin.get(f"/admin/rooms/{room_code}").text
    )


def test_actions_on_a_story_of_another_room_are_refused(app, admin, room_code):
    other = admin.post("/api/rooms", json={"name": "Anderer Raum"}).get_json()["code"]
    story_id = add_story(admin, app, other, "Fremd")

    post(admin, story_url(room_code, story_id, "delete"))

    assert titles(app, other) == ["Fremd"]
    assert (
        "Diese Story gibt es hier nicht." in admin.get(f"/admin/rooms/{room_code}").text
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (4.4, "4 s"), (59.6, "1:00 min"), (105, "1:45 min")],
)
def test_durations_read_as_seconds_or_minutes(seconds, shown):
    assert admin_common.duration(seconds) == shown
