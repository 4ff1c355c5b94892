"""The room page in headless Chromium: join, vote, reveal, rounds, roles, keys."""

import re

from playwright.sync_api import expect

from tests import browser
from tests.browser import card
from tests.browser import enter
from tests.browser import reveal
from tests.browser import row_of
from tests.browser import screenshot
from tests.browser import vote

pytestmark = browser.needs_chromium


def test_two_people_vote_and_both_see_the_revealed_cards_and_result(server, open_page):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    ben = open_page()
    enter(ben, server.url, code, "Ben")

    vote(anna, "3")
    vote(ben, "5")
    expect(row_of(anna, "Ben")).to_have_attribute("data-voted", "true")
    expect(anna.locator("#vote-progress")).to_have_text("2 von 2 haben abgestimmt")
    expect(row_of(anna, "Ben").locator(".participant-card")).to_have_count(0)
    reveal(anna)

    for page in (anna, ben):
        expect(page.locator("#result")).to_be_visible()
        expect(row_of(page, "Anna").locator(".participant-card")).to_have_text("3")
        expect(row_of(page, "Ben").locator(".participant-card")).to_have_text("5")
        expect(page.locator("#result-suggestion")).to_have_text("5")
        expect(page.locator("#stat-average")).to_have_text("4")
        expect(page.locator("#distribution .bar-row")).to_have_count(2)
        expect(page.locator("#distribution .is-suggestion")).to_have_attribute(
            "data-card", "5"
        )
    expect(ben.locator("#announcer")).to_contain_text("Karten aufgedeckt")
    expect(ben.locator("#announcer")).to_contain_text("Vorschlag: 5")
    screenshot(anna, "room-1280-de-light-revealed")


def test_a_vote_can_be_changed_and_withdrawn(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    ben = open_page()
    enter(ben, server.url, code, "Ben")

    vote(anna, "3")
    vote(anna, "8")
    expect(card(anna, "3")).to_have_attribute("aria-pressed", "false")
    expect(row_of(ben, "Anna")).to_have_attribute("data-voted", "true")

    card(anna, "8").click()
    expect(card(anna, "8")).to_have_attribute("aria-pressed", "false")
    expect(row_of(ben, "Anna")).to_have_attribute("data-voted", "false")
    expect(row_of(ben, "Anna").locator(".is-waiting")).to_have_text("noch keine Karte")


def test_a_new_round_clears_the_table(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    vote(anna, "2")
    reveal(anna)
    expect(card(anna, "5")).to_be_disabled()

    anna.click("#new-round")

    expect(anna.locator("#result")).to_be_hidden()
    expect(anna.locator("#round-number")).to_have_text("Runde 2")
    expect(card(anna, "5")).to_be_enabled()
    expect(card(anna, "2")).to_have_attribute("aria-pressed", "false")
    expect(row_of(anna, "Anna")).to_have_attribute("data-voted", "false")


def test_an_observer_watches_without_voting(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    olga = open_page()
    enter(olga, server.url, code, "Olga", role="observer")

    expect(card(olga, "5")).to_be_disabled()
    expect(olga.locator("#deck-hint")).to_contain_text("Beobachter")
    expect(row_of(anna, "Olga").locator(".is-watching")).to_have_text("schaut zu")
    vote(anna, "13")
    expect(olga.locator("#vote-progress")).to_have_text("1 von 1 haben abgestimmt")

    reveal(olga)
    expect(row_of(olga, "Anna").locator(".participant-card")).to_have_text("13")


def test_voting_and_revealing_work_with_the_keyboard_alone(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    keys = anna.keyboard

    for _step in range(60):
        keys.press("Tab")
        if anna.evaluate("document.activeElement.classList.contains('card')"):
            break
    focused = anna.locator("#deck .card:focus")
    expect(focused).to_have_attribute("data-card", "0")
    outline = focused.evaluate("node => getComputedStyle(node).outlineStyle")
    assert outline == "solid"

    keys.press("ArrowRight")
    keys.press("ArrowRight")
    expect(card(anna, "1")).to_be_focused()
    keys.press("Enter")
    expect(card(anna, "1")).to_have_attribute("aria-pressed", "true")

    keys.press("1")
    keys.press("3")
    expect(card(anna, "13")).to_have_attribute("aria-pressed", "true")
    keys.press("5")
    expect(card(anna, "5")).to_have_attribute("aria-pressed", "true")
    expect(card(anna, "5")).to_be_focused()
    expect(row_of(anna, "Anna")).to_have_attribute("data-voted", "true")

    anna.locator("#reveal").focus()
    keys.press("Enter")
    expect(anna.locator("#result")).to_be_visible()
    expect(anna.locator("#announcer")).to_contain_text("Vorschlag: 5")


def test_digit_keys_pick_by_place_in_a_deck_without_numbers(server, open_page):
    code = browser.api_room(server.url, deck="tshirt")
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    expect(anna.locator("#deck-hint")).to_contain_text("erste bis neunte")

    anna.keyboard.press("3")
    expect(card(anna, "M")).to_have_attribute("aria-pressed", "true")


def test_a_mixed_deck_counts_its_numbers_and_lists_its_labels_apart(server, open_page):
    cards = ["1", "2", "3", "XL", "?"]
    code = browser.api_room(server.url, deck="custom", cards=cards)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    with browser.people(server.url, code, {"Bob": "3", "Cem": "XL"}):
        vote(anna, "1")
        reveal(anna)

    expect(anna.locator("#stat-count")).to_have_text("2")
    expect(anna.locator("#stat-average")).to_have_text("2")
    expect(anna.locator("#result-suggestion")).to_have_text("2")
    rows = anna.locator("#distribution .bar-row")
    expect(rows.locator(".bar-label")).to_have_text(["1", "2", "3"])
    special = anna.locator("#distribution-special .bar-row")
    expect(special).to_have_count(1)
    expect(special).to_have_attribute("data-card", "XL")
    expect(special).to_have_attribute("data-count", "1")
    expect(special.locator(".tag")).to_have_count(0)
    expect(anna.locator("#special-votes")).to_be_visible()


def test_cards_have_accessible_names(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")

    expect(anna.get_by_role("button", name="Karte 13", exact=True)).to_have_count(1)
    coffee = anna.get_by_role("button", name=re.compile(r"^Karte ☕ \(bitte Pause"))
    expect(coffee).to_have_count(1)
    expect(anna.get_by_role("group", name="Deine Karte")).to_have_count(1)


def test_a_name_is_counted_in_characters_as_the_server_counts_it(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    anna.goto(f"{server.url}/r/{code}")

    anna.fill("#name-input", "🦄" * 41)
    anna.click("#name-submit")
    expect(anna.locator("#message")).to_have_text(
        "Bitte einen Namen mit 1 bis 40 Zeichen angeben."
    )
    expect(anna.locator("#join-panel")).to_be_visible()
    expect(anna.locator("#name-input")).to_be_focused()

    enter(anna, server.url, code, "🦄" * 40)
    expect(anna.locator("#participants .is-me .participant-name")).to_have_text(
        "🦄" * 40 + " (du)"
    )
    expect(anna.locator("#message")).to_be_empty()
