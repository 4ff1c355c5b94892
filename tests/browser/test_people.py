"""Who is who on screen: equal names told apart, tabs, and a page that lost its line."""

import re

from playwright.sync_api import expect

from tests import browser
from tests.browser import Cable
from tests.browser import enter
from tests.browser import people
from tests.browser import reveal
from tests.browser import row_of
from tests.browser import vote

pytestmark = browser.needs_chromium


def names_in(page):
    return page.locator("#participants .participant-name")


def test_two_people_with_the_same_name_are_told_apart(server, open_page):
    code = browser.api_room(server.url)
    first = open_page()
    enter(first, server.url, code, "Anna")
    second = open_page()
    enter(second, server.url, code, "Anna")
    screen = open_page(viewport=browser.PROJECTOR)
    screen.goto(f"{server.url}/r/{code}/praesentation")

    expect(names_in(first)).to_have_text(["Anna (du)", "Anna (2)"])
    expect(names_in(second)).to_have_text(["Anna", "Anna (2) (du)"])
    expect(names_in(screen)).to_have_text(["Anna", "Anna (2)"])
    ids = [
        page.locator("#participants .is-me").get_attribute("data-participant-id")
        for page in (first, second)
    ]
    assert ids[0] != ids[1]

    vote(first, "3")
    vote(second, "5")
    reveal(first)
    for page in (first, second, screen):
        expect(page.locator("#participants .participant-card")).to_have_text(["3", "5"])
    expect(screen.locator("#participants .participant")).to_have_count(2)


def test_the_same_browser_in_two_tabs_is_one_participant(server, open_page):
    code = browser.api_room(server.url)
    first = open_page()
    enter(first, server.url, code, "Anna")
    second = first.context.new_page()
    second.goto(f"{server.url}/r/{code}")
    browser.wait_joined(second)

    for page in (first, second):
        expect(names_in(page)).to_have_text(["Anna (du)"])
    vote(second, "8")
    expect(row_of(first, "Anna")).to_have_attribute("data-voted", "true")
    expect(first.locator("#participants .participant")).to_have_count(1)

    first.click("#leave")
    first.wait_for_url(f"{server.url}/")
    expect(second.locator("#message")).to_have_text(
        "Du hast den Raum in einem anderen Tab verlassen."
    )
    expect(second.locator("#table")).to_be_hidden()
    expect(second.locator("#join-panel")).to_be_visible()

    second.click("#name-submit")
    browser.wait_joined(second)
    expect(names_in(second)).to_have_text(["Anna (du)"])


def test_a_page_that_lost_its_connection_catches_up_without_a_reload(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    cable = Cable(anna)
    enter(anna, server.url, code, "Anna")
    me = anna.locator("#participants .is-me")
    my_id = me.get_attribute("data-participant-id")
    with people(server.url, code, {"Ben": None}) as (ben,):
        expect(names_in(anna)).to_have_text(["Anna (du)", "Ben"])
        anna.evaluate("window.loadedOnce = true")

        cable.cut()
        state = anna.locator("#connection-state")
        expect(state).not_to_have_attribute("data-state", "connected")
        expect(anna.locator("#table")).to_have_class(re.compile(r"\bis-stale\b"))
        expect(me).to_have_attribute("data-online", "false")
        assert ben.call("set_story", {"title": "Suche nach Kundennummer"})["ok"]
        assert ben.call("vote", {"value": "8"})["ok"]
        ben.wait_for(lambda snapshot: not snapshot["participants"][0]["online"])
        expect(anna.locator("#story-title")).to_have_text("Noch keine Story")

        cable.mend()
        expect(state).to_have_attribute("data-state", "connected", timeout=15_000)
        browser.wait_joined(anna)
        expect(me).to_have_attribute("data-online", "true")
        expect(anna.locator("#story-title")).to_have_text("Suche nach Kundennummer")
        expect(row_of(anna, "Ben")).to_have_attribute("data-voted", "true")
        expect(anna.locator("#vote-progress")).to_have_text("1 von 2 haben abgestimmt")
        expect(me).to_have_attribute("data-participant-id", my_id)
        assert anna.evaluate("window.loadedOnce") is True
        ben.wait_for(lambda snapshot: snapshot["participants"][0]["online"])


def test_the_vote_count_leaves_out_voters_gone_before_voting(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    progress = anna.locator("#vote-progress")
    with people(server.url, code, {"Ben": "5", "Carl": None, "Dora": "3"}) as seated:
        expect(progress).to_have_text("2 von 4 haben abgestimmt")

        for person in seated[1:]:
            person.close()

        expect(row_of(anna, "Carl")).to_have_attribute("data-online", "false")
        expect(progress).to_have_text("2 von 3 haben abgestimmt")
