"""The room page rides out a server restart or crash: no reload, the same person."""

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import card
from tests.browser import enter
from tests.browser import row_of
from tests.browser import vote
from tests.servers import AppProcess

pytestmark = browser.needs_chromium

LOST = {"de": "Verbindung verloren", "en": "Connection lost"}


@pytest.fixture
def server(tmp_path_factory):
    """A server of each test's own: the test stops it and starts it again."""
    with browser.running_server(tmp_path_factory) as running:
        yield running


@pytest.mark.parametrize(
    ("end", "shot"),
    [(AppProcess.stop, ""), (AppProcess.kill, "-after-kill")],
    ids=["sigterm", "sigkill"],
)
def test_the_page_reconnects_after_a_server_restart_as_the_same_person(
    server, end, shot
):
    """The server stops cleanly or is killed as in a crash, then starts again."""
    code = browser.api_room(server.url)
    with browser.chromium() as chromium:
        anna = browser.new_page(chromium, viewport=browser.PHONE)
        ben = browser.new_page(chromium, language="en-US", theme="dark")
        pages = {"375-de-light": (anna, "de"), "1280-en-dark": (ben, "en")}
        enter(anna, server.url, code, "Anna")
        enter(ben, server.url, code, "Ben")
        vote(anna, "5")
        ids = {}
        for label, (page, _language) in pages.items():
            me = page.locator("#participants .is-me")
            ids[label] = me.get_attribute("data-participant-id")
            page.evaluate("window.loadedOnce = true")

        end(server)
        for label, (page, language) in pages.items():
            state = page.locator("#connection-state")
            expect(state).to_have_attribute("data-state", "reconnecting")
            expect(page.locator("#connection-text")).to_contain_text(LOST[language])
            browser.screenshot(page, f"room-{label}-reconnecting{shot}")

        server.start()
        for label, (page, _language) in pages.items():
            state = page.locator("#connection-state")
            expect(state).to_have_attribute("data-state", "connected", timeout=15_000)
            browser.wait_joined(page)
            me = page.locator("#participants .is-me")
            expect(me).to_have_attribute("data-participant-id", ids[label])
            expect(page.locator("#participants .participant")).to_have_count(2)
            assert page.evaluate("window.loadedOnce") is True
            browser.screenshot(page, f"room-{label}-reconnected{shot}")
        expect(card(anna, "5")).to_have_attribute("aria-pressed", "true")
        expect(row_of(ben, "Anna")).to_have_attribute("data-voted", "true")
        expect(row_of(ben, "Anna")).to_have_attribute("data-online", "true")
