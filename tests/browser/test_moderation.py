"""Moderators, room rules, reminders, the countdown and the result's details."""

import re

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import enter
from tests.browser import new_round
from tests.browser import reveal
from tests.browser import row_of
from tests.browser import screenshot
from tests.browser import vote
from tests.live_clients import Participant

pytestmark = browser.needs_chromium

# Counts the audio contexts a page creates, to prove it stays silent.
COUNT_AUDIO = """
window.audioContexts = 0;
const RealAudioContext = window.AudioContext;
window.AudioContext = class extends RealAudioContext {
  constructor(...args) {
    super(...args);
    window.audioContexts += 1;
  }
};
"""
# This browser's clock runs an hour ahead of the server's.
CLOCK_AHEAD = """
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + 3600 * 1000;
"""


@pytest.fixture
def open_page(open_page):
    """Return a factory of pages that may run `script` before the page's own."""

    def open_(script=None, **options):
        page = open_page(**options)
        if script:
            page.add_init_script(script)
        return page

    return open_


@pytest.fixture
def others(server):
    """Return a factory of socket clients who join a room and vote from Python."""
    made = []

    def join(code, name):
        person = Participant(server.url, name).connect()
        person.join(code)
        made.append(person)
        return person

    yield join
    for person in made:
        person.close()


def cast(person, value):
    assert person.call("vote", {"value": value})["ok"]


def test_a_moderator_reserves_control_and_names_another_moderator(server, open_page):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    ben = open_page()
    enter(ben, server.url, code, "Ben")
    expect(anna.locator("#options-panel")).to_be_visible()
    expect(ben.locator("#options-panel")).to_be_hidden()
    expect(ben.locator("#reveal")).to_be_visible()
    control = anna.get_by_role("group", name="Wer darf aufdecken, neue Runden starten")
    expect(control).to_have_accessible_description(
        "Countdown, Backlog und Erinnerungen bleiben bei den Moderatoren."
    )

    anna.check("#options-form input[name=control][value=moderators]")
    expect(anna.locator("#message")).to_have_text("Raumregeln gespeichert.")
    expect(ben.locator("#reveal")).to_be_hidden()
    expect(ben.locator("#new-round")).to_be_hidden()
    expect(ben.locator("#story-controls")).to_be_hidden()
    expect(ben.locator("#deck-hint")).to_contain_text("die Moderatoren")
    # The confirmation passes; it does not linger over the rounds to come.
    expect(anna.locator("#message")).to_be_empty(timeout=10_000)

    row_of(anna, "Ben").get_by_role("button", name=re.compile("Zum Moderator")).click()
    expect(ben.locator("#options-panel")).to_be_visible()
    expect(ben.locator("#reveal")).to_be_visible()
    expect(row_of(anna, "Ben").locator(".role-badge")).to_have_text("Moderation")
    expect(row_of(anna, "Ben").locator(".moderator-toggle")).to_be_focused()
    screenshot(anna, "room-1280-de-moderator")


def test_a_reminder_reaches_the_waiting_voter_quietly(server, open_page):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    ben = open_page(script=COUNT_AUDIO)
    enter(ben, server.url, code, "Ben")
    vote(anna, "8")

    anna.click("#nudge")
    expect(anna.locator("#message")).to_have_text("Erinnerungen verschickt: 1.")
    hint = ben.get_by_role("status").filter(has_text="erinnert dich")
    expect(hint).to_have_text("Anna erinnert dich: Bitte wähle eine Karte.")
    expect(anna.locator("#nudge-hint")).to_be_empty()
    assert ben.evaluate("window.audioContexts") == 0

    vote(ben, "5")
    expect(ben.locator("#nudge-hint")).to_be_empty()

    ben.check("#nudge-sound")
    ben.locator("#deck .card[data-card='5']").click()
    expect(row_of(anna, "Ben")).to_have_attribute("data-voted", "false")
    anna.click("#nudge")
    expect(hint).to_be_visible()
    assert ben.evaluate("window.audioContexts") == 1


def test_every_browser_counts_down_to_the_servers_deadline(server, open_page):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    ben = open_page(script=CLOCK_AHEAD, viewport=browser.PHONE)
    enter(ben, server.url, code, "Ben")

    anna.select_option("#timer-seconds", "120")
    anna.click("#timer-start")
    for page in (anna, ben):
        expect(page.locator("#timer")).to_be_visible()
        expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(2:00|1:5\d)$"))
    seconds = [
        int(minutes) * 60 + int(rest)
        for minutes, rest in (
            page.locator("#timer-value").text_content().split(":")
            for page in (anna, ben)
        )
    ]
    assert abs(seconds[0] - seconds[1]) <= 1
    expect(anna.locator("#timer-start")).to_be_hidden()
    screenshot(ben, "room-375-de-countdown")

    anna.click("#timer-stop")
    expect(anna.locator("#message")).to_have_text("Countdown angehalten.")
    for page in (anna, ben):
        expect(page.locator("#timer")).to_be_hidden()


def test_the_result_shows_how_the_rounds_went(server, open_page, others):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")

    reveal(anna)
    expect(anna.locator("#result-empty")).to_have_text("Keine Stimmen abgegeben.")
    expect(anna.locator("#announcer")).to_contain_text("Keine Stimmen abgegeben.")
    new_round(anna)

    bob, cem = others(code, "Bob"), others(code, "Cem")
    cast(bob, "1")
    cast(cem, "13")
    vote(anna, "2")
    reveal(anna)
    discuss = anna.locator("#result-notes .note-discuss")
    expect(discuss).to_contain_text("Bob (1)")
    expect(discuss).to_contain_text("Cem (13)")
    expect(anna.locator("#stat-min-names")).to_have_text("Bob")
    expect(anna.locator("#distribution .bar-row")).to_have_count(6)
    expect(anna.locator("#result-consensus")).to_be_hidden()

    new_round(anna)
    cast(bob, "5")
    cast(cem, "5")
    vote(anna, "5")
    reveal(anna)
    expect(anna.locator("#result-consensus")).to_be_visible()
    expect(anna.locator("#result-round")).to_have_text("· Runde 3")
    notes = anna.locator("#result-notes")
    expect(notes).to_contain_text("Median von 2 auf 5 gestiegen")
    expect(notes).to_contain_text("näher beieinander")
    expect(anna.locator("#result-timing")).to_contain_text("Diese Runde dauerte")
    screenshot(anna, "room-1280-de-consensus")

    new_round(anna)
    cast(bob, "☕")
    cast(cem, "☕")
    vote(anna, "3")
    reveal(anna)
    expect(anna.locator("#result-notes .note-break")).to_contain_text("Pause")
    expect(anna.locator("#distribution-special .bar-row")).to_have_count(1)


def test_a_t_shirt_deck_shows_no_average(server, open_page, others):
    code = browser.api_room(server.url, deck="tshirt")
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    cast(others(code, "Bob"), "XL")
    vote(anna, "M")
    reveal(anna)

    expect(anna.locator("#stat-average-box")).to_be_hidden()
    expect(anna.locator("#stat-median")).to_have_text("L")
    expect(anna.locator("#result-suggestion")).to_have_text("L")
    expect(anna.locator("#stat-most-frequent")).to_have_text("M und XL")
    expect(anna.locator("#stat-spread")).to_have_text("2 Kartenstufen")
    rows = anna.locator("#distribution .bar-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_attribute("data-count", "0")


def test_an_anonymous_reveal_shows_values_without_names(server, open_page, others):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    anna.check("#options-form input[name=anonymous]")
    expect(anna.locator("#message")).to_have_text("Raumregeln gespeichert.")
    cast(others(code, "Bob"), "8")
    vote(anna, "3")
    reveal(anna)

    expect(anna.locator("#participants .participant-card")).to_have_count(0)
    expect(anna.locator("#anonymous-cards li")).to_have_text(["3", "8"])
    expect(anna.locator("#stat-min-names")).to_be_empty()
