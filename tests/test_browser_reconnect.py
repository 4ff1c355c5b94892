"""The room page rides out a server restart: no reload, the same participant."""

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import card
from tests.browser import enter
from tests.browser import row_of
from tests.browser import vote

pytestmark = browser.needs_chromium


@pytest.fixture
def server(tmp_path_factory):
    with browser.running_server(tmp_path_factory) as running:
        yield running


def test_the_page_reconnects_after_a_server_restart_as_the_same_person(server):
    code = browser.api_room(server.url)
    with browser.chromium() as chromium:
        anna = browser.new_page(chromium, viewport=browser.PHONE)
        ben = browser.new_page(chromium)
        enter(anna, server.url, code, "Anna")
        enter(ben, server.url, code, "Ben")
        vote(anna, "5")
        me = anna.locator("#participants .is-me")
        my_id = me.get_attribute("data-participant-id")
        anna.evaluate("window.loadedOnce = true")

        server.stop()
        state = anna.locator("#connection-state")
        expect(state).to_have_attribute("data-state", "reconnecting")
        expect(anna.locator("#connection-text")).to_contain_text("Verbindung verloren")
        browser.screenshot(anna, "room-375-de-reconnecting")

        server.start()
        expect(state).to_have_attribute("data-state", "connected", timeout=15_000)
        browser.wait_joined(anna)
        expect(me).to_have_attribute("data-participant-id", my_id)
        expect(anna.locator("#participants .participant")).to_have_count(2)
        expect(card(anna, "5")).to_have_attribute("aria-pressed", "true")
        assert anna.evaluate("window.loadedOnce") is True
        expect(row_of(ben, "Anna")).to_have_attribute("data-voted", "true")
        expect(row_of(ben, "Anna")).to_have_attribute("data-online", "true")
