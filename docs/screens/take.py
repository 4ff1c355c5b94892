"""Take the README screenshots: `.venv/bin/python -m docs.screens.take`.

Starts the app with a throw-away database, seats a small team from Python,
and saves viewport PNGs of the room and the presentation view beside this file.
"""

import pathlib
import tempfile

from playwright.sync_api import expect

from tests import browser
from tests.servers import AppProcess

HERE = pathlib.Path(__file__).resolve().parent
TEAM = {"Bob": "3", "Cem": "5", "Dörte Ünal": "5", "Emil": "8"}
STORY = "Login per SSO für Partnerfirmen"


def save(page, name):
    page.screenshot(path=str(HERE / f"{name}.png"), animations="disabled")


def take(chromium, base_url):
    code = browser.api_room(base_url, name="Team Blau · Sprint 42")
    seats = dict.fromkeys(TEAM)
    with browser.people(base_url, code, seats) as team:
        # A new story starts a new round, so the team votes after it is set.
        assert team[0].call("set_story", {"title": STORY})["ok"]
        for person in team[:-2]:
            assert person.call("vote", {"value": TEAM[person.name]})["ok"]
        emma = browser.new_page(chromium, language="en-US")
        anna = browser.new_page(chromium, viewport=browser.PHONE)
        jonas = browser.new_page(chromium, theme="dark")
        screen = browser.new_page(chromium, viewport=browser.PROJECTOR)
        for page, name in ((emma, "Emma"), (anna, "Anna"), (jonas, "Jonas")):
            browser.enter(page, base_url, code, name)
        screen.goto(f"{base_url}/r/{code}/praesentation")

        browser.vote(jonas, "3")
        browser.vote(anna, "5")
        browser.vote(emma, "5")
        emma.mouse.move(0, 0)
        save(emma, "room-1280-en-voting")

        for person in team[-2:]:
            assert person.call("vote", {"value": TEAM[person.name]})["ok"]
        expect(emma.locator("#vote-progress")).to_have_text("7 of 7 have voted")
        browser.reveal(jonas)
        for page in (anna, emma, screen):
            expect(page.locator("#result")).to_be_visible()
        jonas.mouse.move(0, 0)
        save(jonas, "room-1280-de-dark-revealed")
        save(screen, "presentation-1920-de-revealed")
        anna.locator("#result").scroll_into_view_if_needed()
        save(anna, "room-375-de-light-result")


def main():
    with tempfile.TemporaryDirectory() as folder:
        server = AppProcess(str(pathlib.Path(folder) / "poker.db")).start()
        try:
            with browser.chromium() as chromium:
                take(chromium, server.url)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
