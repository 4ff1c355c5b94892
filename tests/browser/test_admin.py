"""The dashboard in headless Chromium: destructive actions ask first."""

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from tests import browser
from tests.browser import broken_words
from tests.browser import enter
from tests.browser import screenshot

pytestmark = browser.needs_chromium

ADMIN_PASSWORD = "ein-langes-test-passwort"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "ADMIN_USERNAME": "admin",
        "ADMIN_PASSWORD_HASH": generate_password_hash(ADMIN_PASSWORD),
    }
    with browser.running_server(tmp_path_factory, env=env) as running:
        yield running


@pytest.fixture
def admin_page(server, open_page):
    page = open_page()
    page.goto(f"{server.url}/admin/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/admin/")
    return page


@pytest.mark.parametrize(
    ("button", "question"),
    [
        ("Raum löschen", "mit allen Storys und Ergebnissen endgültig löschen?"),
        ("Archivieren", "archivieren?"),
    ],
)
def test_deleting_or_archiving_a_room_asks_and_a_no_changes_nothing(
    server, admin_page, button, question
):
    code = browser.api_room(server.url, name="Team Vorsicht")
    admin_page.goto(f"{server.url}/admin/rooms/{code}")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    admin_page.once("dialog", lambda dialog: answer(dialog, accept=False))
    admin_page.get_by_role("button", name=button).click()

    expect(admin_page).to_have_url(f"{server.url}/admin/rooms/{code}")
    assert asked == [f"Raum „Team Vorsicht“ {question}"]
    room = requests.get(f"{server.url}/api/rooms/{code}", timeout=5)
    assert room.status_code == 200

    admin_page.once("dialog", lambda dialog: answer(dialog, accept=True))
    admin_page.get_by_role("button", name=button).click()

    done = "ist gelöscht" if button == "Raum löschen" else "ist archiviert"
    expect(admin_page.locator(".alert-success")).to_contain_text(done)
    assert len(asked) == 2
    if button == "Raum löschen":
        gone = requests.get(f"{server.url}/api/rooms/{code}", timeout=5)
        assert gone.status_code == 404
    else:
        expect(admin_page.get_by_role("button", name="Archivieren")).to_have_count(0)


def test_the_live_participant_list_tells_same_name_people_apart(server, admin_page):
    code = browser.api_room(server.url, name="Team Doppelt")
    admin_page.goto(f"{server.url}/admin/rooms/{code}")
    expect(admin_page.locator("#live-state")).to_have_attribute("data-state", "live")

    with browser.people(server.url, code, {"Anna": "3", "anna": None}):
        names = admin_page.locator("#participant-list .admin-person-name")
        expect(names).to_have_text(["Anna", "anna (2)"])
        remove = admin_page.locator("#participant-list form").nth(1)
        expect(remove).to_have_attribute(
            "data-confirm", "anna (2) aus dem Raum entfernen?"
        )


def test_a_person_in_a_deleted_room_is_told_and_not_offered_to_rejoin(
    server, admin_page, open_page
):
    code = browser.api_room(server.url, name="Team Abriss")
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    admin_page.goto(f"{server.url}/admin/rooms/{code}")

    admin_page.once("dialog", lambda dialog: dialog.accept())
    admin_page.get_by_role("button", name="Raum löschen").click()

    expect(anna.locator("#message")).to_have_text("Dieser Raum wurde gelöscht.")
    expect(anna.locator("#table")).to_be_hidden()
    expect(anna.locator("#join-panel")).to_be_hidden()


def test_the_online_state_stays_one_word_beside_a_long_name(server, admin_page):
    code = browser.api_room(server.url, name="Team Lang")
    admin_page.goto(f"{server.url}/admin/rooms/{code}")
    names = {"Maximiliane Müller-Lüdenscheidt-Oberweiß": "5", "Bo": None}

    with browser.people(server.url, code, names):
        presence = admin_page.locator("#participant-list .admin-presence")
        expect(presence).to_have_text(["online", "online"])
        for viewport in (browser.DESKTOP, browser.PHONE):
            admin_page.set_viewport_size(viewport)
            for state in presence.all():
                assert broken_words(state) == [], viewport
        screenshot(admin_page, "admin-room-375-de-long-name")


def test_the_vote_count_waits_only_for_voters_still_here(server, admin_page):
    code = browser.api_room(server.url, name="Team Zählung")
    with browser.people(server.url, code, {"Anna": None}) as (anna,):
        assert anna.call("set_story", {"title": "Suche"})["ok"]
    status = admin_page.locator("#round-status")

    with browser.people(server.url, code, {"Ben": "5", "Carl": None}) as seated:
        admin_page.goto(f"{server.url}/admin/rooms/{code}")
        expect(status).to_contain_text("1 von 2 haben abgestimmt")
        seated[1].close()
        expect(status).to_contain_text("1 von 1 haben abgestimmt")
        admin_page.reload()
        expect(status).to_contain_text("1 von 1 haben abgestimmt")
