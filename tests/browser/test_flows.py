"""The core flows on a phone and on a desktop, in both themes and both languages."""

import re

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import Cable
from tests.browser import broken_words
from tests.browser import card
from tests.browser import enter
from tests.browser import horizontal_overflow
from tests.browser import new_round
from tests.browser import people
from tests.browser import row_of
from tests.browser import screenshot
from tests.browser import vote

pytestmark = browser.needs_chromium

# Four runs meet every pair of width, language and theme once, so each
# language and each theme is seen at 375 px and at 1280 px.
SETUPS = [
    pytest.param((browser.PHONE, "de", "dark"), id="375-de-dark"),
    pytest.param((browser.PHONE, "en", "light"), id="375-en-light"),
    pytest.param((browser.DESKTOP, "de", "light"), id="1280-de-light"),
    pytest.param((browser.DESKTOP, "en", "dark"), id="1280-en-dark"),
]
LOCALES = {"de": "de-DE", "en": "en-US"}
BACKGROUNDS = {"light": "rgb(244, 245, 249)", "dark": "rgb(17, 20, 27)"}
TEXTS = {
    "de": {
        "one_of_two": "1 von 2 haben abgestimmt",
        "two_of_two": "2 von 2 haben abgestimmt",
        "waiting": "noch keine Karte",
        "revealed": "Karten aufgedeckt.",
        "average": "2,5",
        "median": "Median 2,5",
        "copied": "Link kopiert.",
        "round_two": "Runde 2",
        "stopped": "Countdown angehalten.",
        "observer": "Als Beobachter schaust du zu",
        "watching": "schaut zu",
        "offline": "Offline",
    },
    "en": {
        "one_of_two": "1 of 2 have voted",
        "two_of_two": "2 of 2 have voted",
        "waiting": "no card yet",
        "revealed": "Cards revealed.",
        "average": "2.5",
        "median": "Median 2.5",
        "copied": "Link copied.",
        "round_two": "Round 2",
        "stopped": "Countdown stopped.",
        "observer": "As an observer you watch",
        "watching": "watching",
        "offline": "Offline",
    },
}


@pytest.fixture(params=SETUPS)
def setup(request, chromium):
    """Open pages with one width, language and theme; name screenshots after it."""
    viewport, language, theme = request.param
    label = f"{viewport['width']}-{language}-{theme}"
    contexts = []

    def open_(**options):
        page = browser.new_page(
            chromium,
            viewport=viewport,
            language=LOCALES[language],
            theme=theme,
            permissions=["clipboard-read", "clipboard-write"],
            **options,
        )
        contexts.append(page.context)
        return page

    def shot(page, state, full_page=True):
        assert horizontal_overflow(page) == 0
        screenshot(page, f"flow-{label}-{state}", full_page=full_page)

    yield {"open": open_, "shot": shot, "text": TEXTS[language], "theme": theme}
    for context in contexts:
        context.close()


def focus_first_card(page):
    """Tab from the top of the page until a card of the deck has the focus."""
    for _step in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('card')"):
            return page.locator("#deck .card:focus")
    raise AssertionError("no card of the deck took the focus")


def test_join_vote_change_withdraw_and_reveal_by_keyboard(server, setup):
    text, shot = setup["text"], setup["shot"]
    anna = setup["open"]()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    background = anna.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == BACKGROUNDS[setup["theme"]]
    shot(anna, "joined")

    with people(server.url, code, {"Ben": None}) as (ben,):
        focused = focus_first_card(anna)
        expect(focused).to_have_attribute("data-card", "0")
        assert (
            focused.evaluate("node => getComputedStyle(node).outlineStyle") == "solid"
        )
        for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft"):
            anna.keyboard.press(key)
        expect(card(anna, "1")).to_be_focused()
        anna.keyboard.press("ArrowRight")
        expect(card(anna, "2")).to_be_focused()
        anna.keyboard.press("Enter")
        expect(card(anna, "2")).to_have_attribute("aria-pressed", "true")
        expect(anna.locator("#vote-progress")).to_have_text(text["one_of_two"])
        shot(anna, "voted-by-keyboard")

        vote(anna, "8")
        expect(card(anna, "2")).to_have_attribute("aria-pressed", "false")
        card(anna, "8").click()
        expect(card(anna, "8")).to_have_attribute("aria-pressed", "false")
        expect(row_of(anna, "Anna")).to_have_attribute("data-voted", "false")
        expect(row_of(anna, "Anna").locator(".is-waiting")).to_have_text(
            text["waiting"]
        )
        ben.wait_for(lambda state: not state["participants"][0]["voted"])
        shot(anna, "withdrawn")

        anna.keyboard.press("2")
        expect(card(anna, "2")).to_have_attribute("aria-pressed", "true")
        expect(card(anna, "2")).to_be_focused()
        assert ben.call("vote", {"value": "3"})["ok"]
        expect(anna.locator("#vote-progress")).to_have_text(text["two_of_two"])

        anna.locator("#reveal").focus()
        anna.keyboard.press("Enter")
        expect(anna.locator("#result")).to_be_visible()
        expect(anna.locator("#announcer")).to_contain_text(text["revealed"])
        expect(row_of(anna, "Ben").locator(".participant-card")).to_have_text("3")
        expect(anna.locator("#stat-average")).to_have_text(text["average"])
        expect(anna.locator("#distribution .median-marker")).to_have_text(
            text["median"]
        )
        expect(anna.locator("#distribution .is-suggestion")).to_have_attribute(
            "data-card", "3"
        )
        for stat in ("#stat-most-frequent", "#stat-spread"):
            assert broken_words(anna.locator(stat)) == []
        shot(anna, "revealed")
        anna.locator("#result").scroll_into_view_if_needed()
        shot(anna, "result", full_page=False)


def test_copy_link_new_round_timer_observer_and_offline(server, setup):
    text, shot = setup["text"], setup["shot"]
    anna = setup["open"]()
    cable = Cable(anna)
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")

    anna.click("#copy-link")
    expect(anna.locator("#message")).to_have_text(text["copied"])
    copied = anna.evaluate("navigator.clipboard.readText()")
    assert copied == anna.locator("#share-link").input_value()
    assert copied.endswith(f"/r/{code}")

    vote(anna, "5")
    browser.reveal(anna)
    new_round(anna)
    expect(anna.locator("#round-number")).to_have_text(text["round_two"])
    expect(card(anna, "5")).to_be_enabled()
    expect(card(anna, "5")).to_have_attribute("aria-pressed", "false")
    expect(row_of(anna, "Anna")).to_have_attribute("data-voted", "false")
    shot(anna, "new-round")

    olga = setup["open"]()
    enter(olga, server.url, code, "Olga", role="observer")
    expect(card(olga, "5")).to_be_disabled()
    expect(olga.locator("#deck-hint")).to_contain_text(text["observer"])
    expect(row_of(anna, "Olga").locator(".is-watching")).to_have_text(text["watching"])

    anna.select_option("#timer-seconds", "120")
    anna.click("#timer-start")
    for page in (anna, olga):
        expect(page.locator("#timer")).to_be_visible()
        expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(2:00|1:5\d)$"))
    shot(olga, "observer-countdown")
    anna.click("#timer-stop")
    expect(anna.locator("#message")).to_have_text(text["stopped"])
    expect(olga.locator("#timer")).to_be_hidden()

    cable.cut()
    state = anna.locator("#connection-state")
    expect(state).to_have_attribute("data-state", "offline")
    expect(anna.locator("#connection-text")).to_have_text(text["offline"])
    expect(anna.locator("#table")).to_have_class(re.compile(r"\bis-stale\b"))
    shot(anna, "offline")
    cable.mend()
    expect(state).to_have_attribute("data-state", "connected", timeout=15_000)
    browser.wait_joined(anna)
