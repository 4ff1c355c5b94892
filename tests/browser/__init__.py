"""Shared steps of the browser tests: Chromium, a real server, people in a room."""

import contextlib
import os
import re
from concurrent.futures import ThreadPoolExecutor

import requests
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from tests.conftest import SCREENSHOT_DIR
from tests.conftest import needs_tool
from tests.live_clients import Participant
from tests.servers import AppProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1920, "height": 1080}
SOCKET_IO = re.compile(r"/socket\.io/")

needs_chromium = needs_tool(CHROMIUM)


@contextlib.contextmanager
def chromium():
    """Run one headless Chromium for the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def running_server(tmp_path_factory, **options):
    """Run `python app.py` on a free port with its own database for the block."""
    folder = tmp_path_factory.mktemp("browser-server")
    server = AppProcess(str(folder / "poker.db"), **options).start()
    try:
        yield server
    finally:
        server.stop()


def new_page(browser, viewport=DESKTOP, language="de-DE", theme="light", **options):
    """Open a page in a fresh browser profile: its own storage, so its own person."""
    context = browser.new_context(
        viewport=viewport,
        locale=language,
        color_scheme=theme,
        service_workers="block",
        **options,
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def create_room(page, base_url, name="Team Blau"):
    """Create a room through the start page; this browser becomes its moderator."""
    page.goto(f"{base_url}/")
    page.fill("#room-name", name)
    page.click("#create-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    return page.url.rsplit("/", 1)[1]


def api_room(base_url, name="Team Blau", **fields):
    """Create a room through the API, so that nobody in it is a moderator."""
    answer = requests.post(
        f"{base_url}/api/rooms", json={"name": name, **fields}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["code"]


@contextlib.contextmanager
def people(base_url, code, votes):
    """Seat people from Python in the room, each with a vote ({name: card or None}).

    They connect side by side; they join one after the other, so the room
    lists them in the order given.
    """
    seated = [Participant(base_url, name) for name in votes]
    try:
        with ThreadPoolExecutor(max_workers=len(seated) or 1) as pool:
            list(pool.map(Participant.connect, seated))
        for person, value in zip(seated, votes.values(), strict=True):
            person.join(code)
            if value is not None:
                assert person.call("vote", {"value": value})["ok"]
        yield seated
    finally:
        for person in seated:
            if person.sio.connected:
                person.close()


def enter(page, base_url, code, name, role="voter"):
    """Open the room, give a name and a role, and wait until the page has joined."""
    if not page.url.endswith(f"/r/{code}"):
        page.goto(f"{base_url}/r/{code}")
    page.fill("#name-input", name)
    page.check(f"#name-form input[name=role][value={role}]")
    page.click("#name-submit")
    wait_joined(page)


def wait_joined(page):
    expect(page.locator("#connection-state")).to_have_attribute(
        "data-state", "connected"
    )
    expect(page.locator("#table")).not_to_have_class(re.compile(r"\bis-stale\b"))
    expect(page.locator("#participants .is-me")).to_have_count(1)


def card(page, value):
    return page.locator(f'#deck .card[data-card="{value}"]')


def row_of(page, name):
    """Return the participant row that shows `name`."""
    return page.locator("#participants .participant").filter(
        has=page.locator(".participant-name", has_text=name)
    )


def vote(page, value):
    """Click a card and wait until the server has confirmed it."""
    card(page, value).click()
    expect(card(page, value)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#participants .is-me")).to_have_attribute("data-voted", "true")


def reveal(page):
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()


def new_round(page):
    """Start a new round and wait until the server has cleared the table."""
    page.click("#new-round")
    expect(page.locator("#result")).to_be_hidden()


def screenshot(page, name, full_page=True):
    """Save a screenshot under SCREENSHOT_DIR and return its path."""
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
    page.screenshot(path=path, full_page=full_page, animations="disabled")
    return path


def horizontal_overflow(page):
    """Return how many pixels the page is wider than its viewport."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


# Each word of the node's text as a range; a word on two lines has two boxes.
_BROKEN_WORDS = """
node => {
  const text = node.textContent;
  const broken = [];
  for (const match of text.matchAll(/\\S+/g)) {
    const range = document.createRange();
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    let offset = 0;
    for (let part = walker.nextNode(); part; part = walker.nextNode()) {
      const end = offset + part.length;
      if (offset <= match.index && match.index + match[0].length <= end) {
        range.setStart(part, match.index - offset);
        range.setEnd(part, match.index - offset + match[0].length);
        if (range.getClientRects().length > 1) {
          broken.push(match[0]);
        }
      }
      offset = end;
    }
  }
  return broken;
}
"""


def broken_words(locator):
    """Return the words of the element's text that wrap onto a second line."""
    return locator.evaluate(_BROKEN_WORDS)


class Cable:
    """The WebSocket line of one page, which the test can cut and mend.

    Playwright's offline mode stops HTTP requests but not open WebSockets,
    so the page's sockets run through this route and are closed on both
    ends, as a dropped network would; while cut, new ones are refused.
    """

    def __init__(self, page):
        self.page = page
        self.lines = []
        self.connected = True
        page.route_web_socket(SOCKET_IO, self.plug)

    def plug(self, route):
        if not self.connected:
            route.close()
            return
        self.lines.append((route, route.connect_to_server()))

    def cut(self):
        self.connected = False
        self.page.context.set_offline(True)
        for route, server in self.lines:
            server.close()
            route.close()
        self.lines.clear()

    def mend(self):
        self.connected = True
        self.page.context.set_offline(False)
