"""Layout, themes, languages, motion, the presentation view and the load budget."""

import pytest
import requests
from playwright.sync_api import expect

from tests import browser
from tests.browser import broken_words
from tests.browser import enter
from tests.browser import horizontal_overflow
from tests.browser import reveal
from tests.browser import row_of
from tests.browser import screenshot
from tests.browser import vote

pytestmark = browser.needs_chromium

FIRST_LOAD_BUDGET_BYTES = 200 * 1024
# Long names with and without spaces, umlauts and emoji; 40 characters at most.
NAMES = [
    "Maximiliane Müller-Lüdenscheidt-Oberweiß",
    "Xaverius_the_very_long_name_no_spaces_xx",
    "Çağla 🦄🎉",
    "Bob",
    "Dörte Ünal",
    *(f"Person {number}" for number in range(6, 20)),
]
VALUES = ["1", "2", "3", "5", "8", "13", "?", "☕"]
# Storage that throws on access, as with blocked cookies or some private modes.
BLOCK_STORAGE = """
Object.defineProperty(window, "localStorage", {
  get() {
    throw new DOMException("The storage is blocked.", "SecurityError");
  },
});
"""


def went_wrong(request):
    """Tell whether a request failed; leaving a page may cancel it (ERR_ABORTED)."""
    if request.failure:
        return "ERR_ABORTED" not in request.failure
    return request.response().status >= 400


@pytest.fixture
def full_room(server):
    """A room with 19 people from Python who have all voted."""
    code = browser.api_room(server.url, name="Sprint 42 – ein langer Raumname")
    votes = {name: VALUES[n % len(VALUES)] for n, name in enumerate(NAMES)}
    with browser.people(server.url, code, votes):
        yield code


def test_twenty_people_fit_a_phone_and_a_meeting_room_screen(
    server, open_page, full_room
):
    anna = open_page(viewport=browser.PHONE)
    enter(anna, server.url, full_room, "Anna")
    expect(anna.locator("#participants .participant")).to_have_count(20)
    vote(anna, "5")
    assert horizontal_overflow(anna) == 0
    for box in (anna.locator("#deck .card").nth(n).bounding_box() for n in range(13)):
        assert box["width"] >= 44 and box["height"] >= 44
        assert box["x"] >= 0 and box["x"] + box["width"] <= browser.PHONE["width"]

    reveal(anna)
    expect(anna.locator("#participants .participant-card")).to_have_count(20)
    expect(anna.locator("#stat-spread")).to_have_text("5 Kartenstufen")
    assert broken_words(anna.locator("#stat-spread")) == []
    assert horizontal_overflow(anna) == 0
    for name in NAMES[:3]:
        row = row_of(anna, name)
        expect(row.locator(".participant-card")).to_be_visible()
        card_box = row.locator(".participant-card").bounding_box()
        row_box = row.bounding_box()
        assert card_box["x"] + card_box["width"] <= row_box["x"] + row_box["width"]
    screenshot(anna, "room-375-de-20-people-revealed")
    anna.locator("#result").scroll_into_view_if_needed()
    screenshot(anna, "room-375-de-result", full_page=False)

    anna.set_viewport_size(browser.PROJECTOR)
    assert horizontal_overflow(anna) == 0
    screenshot(anna, "room-1920-de-20-people-revealed")


def boxes_overlap(first, second):
    return (
        first["x"] < second["x"] + second["width"]
        and second["x"] < first["x"] + first["width"]
        and first["y"] < second["y"] + second["height"]
        and second["y"] < first["y"] + first["height"]
    )


def test_a_moderators_buttons_and_the_vote_badges_share_each_row_without_overlap(
    server, open_page
):
    anna = open_page()
    code = browser.create_room(anna, server.url)
    enter(anna, server.url, code, "Anna")
    votes = {"Moderatorin": "5", "Bernd": None, NAMES[1]: "8"}
    with browser.people(server.url, code, votes):
        expect(anna.locator("#participants .moderator-toggle")).to_have_count(3)
        # the last state, with both votes, is drawn: no row is redrawn meanwhile
        expect(anna.locator("#participants .is-voted")).to_have_count(2)
        for viewport in (browser.DESKTOP, browser.PHONE):
            anna.set_viewport_size(viewport)
            for name in votes:
                row = row_of(anna, name)
                button = row.locator(".moderator-toggle").bounding_box()
                badge = row.locator(".participant-vote").bounding_box()
                row_box = row.bounding_box()
                assert not boxes_overlap(button, badge), (viewport, name)
                assert button["x"] + button["width"] <= row_box["x"] + row_box["width"]
            assert (
                broken_words(row_of(anna, "Moderatorin").locator(".participant-name"))
                == []
            )
            assert horizontal_overflow(anna) == 0
        screenshot(anna, "room-375-de-moderator-rows")

        screen = open_page(viewport=browser.PROJECTOR)
        screen.goto(f"{server.url}/r/{code}/praesentation")
        expect(screen.locator("#participants .participant")).to_have_count(4)
        for name in ("Anna", "Moderatorin", "Bernd"):
            assert broken_words(row_of(screen, name).locator(".participant-name")) == []
        reveal(anna)
        expect(screen.locator("#result")).to_be_visible()
        for name in ("Anna", "Moderatorin", "Bernd"):
            assert broken_words(row_of(screen, name).locator(".participant-name")) == []
        screenshot(screen, "presentation-1920-de-names")


# How much wider the placeholder is than the room its field leaves for text.
PLACEHOLDER_OVERFLOW = """
field => {
  const context = document.createElement("canvas").getContext("2d");
  const style = getComputedStyle(field);
  context.font = style.font;
  const room = field.clientWidth
    - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(field.placeholder).width - room;
}
"""


@pytest.mark.parametrize("language", ["de-DE", "en-US"])
def test_the_story_fields_example_shows_whole_on_a_phone(server, open_page, language):
    code = browser.api_room(server.url)
    anna = open_page(viewport=browser.PHONE, language=language)
    enter(anna, server.url, code, "Anna")

    assert anna.locator("#story-input").evaluate(PLACEHOLDER_OVERFLOW) <= 0


def test_the_dark_theme_is_chosen_and_remembered(server, open_page):
    code = browser.api_room(server.url)
    anna = open_page()
    enter(anna, server.url, code, "Anna")
    html = anna.locator("html")
    toggle = anna.locator("#theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    anna.reload()
    browser.wait_joined(anna)
    expect(html).to_have_attribute("data-theme", "dark")
    background = anna.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 27)"
    vote(anna, "8")
    reveal(anna)
    screenshot(anna, "room-1280-de-dark-revealed")


def test_the_theme_toggle_works_where_storage_is_blocked(server, open_page):
    page = open_page()
    page.add_init_script(BLOCK_STORAGE)
    page.goto(f"{server.url}/")
    assert page.evaluate("() => { try { localStorage; } catch { return 1; } }") == 1
    html = page.locator("html")
    toggle = page.locator("#theme-toggle")

    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(html).to_have_attribute("data-theme", "light")
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_the_system_dark_setting_applies_without_a_choice(server, open_page):
    page = open_page(theme="dark")
    page.goto(f"{server.url}/")
    expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 27)"
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "home-1280-de-system-dark")


def test_english_comes_from_the_browser_and_numbers_follow_the_language(
    server, open_page
):
    code = browser.api_room(server.url)
    emma = open_page(viewport=browser.PHONE, language="en-US")
    enter(emma, server.url, code, "Emma")
    expect(emma.locator("html")).to_have_attribute("lang", "en")
    expect(emma.locator("#reveal")).to_have_text("Reveal")
    jonas = open_page()
    enter(jonas, server.url, code, "Jonas")
    vote(emma, "2")
    vote(jonas, "3")
    reveal(emma)

    expect(emma.locator("#stat-average")).to_have_text("2.5")
    expect(jonas.locator("#stat-average")).to_have_text("2,5")
    expect(emma.locator("#announcer")).to_contain_text("Cards revealed.")
    screenshot(emma, "room-375-en-revealed")


def test_the_language_switch_is_remembered(server, open_page):
    page = open_page(language="en-US")
    page.goto(f"{server.url}/")
    expect(page.locator("h1")).to_have_text("Estimate together, reveal together.")

    page.click(".language-link[hreflang=de]")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto(f"{server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(".language-link[hreflang=de]")).to_have_attribute(
        "aria-current", "true"
    )


@pytest.mark.parametrize(
    ("motion", "animation"), [("reduce", "none"), (None, "card-flip")]
)
def test_the_card_flip_is_skipped_for_reduced_motion(
    server, open_page, motion, animation
):
    code = browser.api_room(server.url)
    page = open_page(reduced_motion=motion or "no-preference")
    enter(page, server.url, code, "Anna")
    vote(page, "3")
    reveal(page)
    flipped = row_of(page, "Anna").locator(".participant-card")
    assert flipped.evaluate("node => getComputedStyle(node).animationName") == animation


def test_the_room_loads_within_the_byte_budget_and_only_from_the_app(server, open_page):
    code = browser.api_room(server.url)
    page = open_page()
    requests_made = []
    page.on("requestfinished", lambda request: requests_made.append(request))
    page.on("requestfailed", lambda request: requests_made.append(request))

    enter(page, server.url, code, "Anna")
    page.goto(f"{server.url}/r/{code}/praesentation")
    expect(page.locator("#connection-state")).to_have_attribute(
        "data-state", "connected"
    )
    for path in ("/", "/anleitung"):
        page.goto(f"{server.url}{path}")

    outside = [
        request.url
        for request in requests_made
        if not request.url.startswith((server.url + "/", "data:"))
    ]
    assert outside == []
    assert [request.url for request in requests_made if went_wrong(request)] == []


def test_the_room_page_first_load_stays_small(server, open_page):
    code = browser.api_room(server.url)
    page = open_page()
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request))

    enter(page, server.url, code, "Anna")
    sizes = [request.sizes() for request in loaded]
    total = sum(
        size["responseBodySize"] + size["responseHeadersSize"] for size in sizes
    )
    print(f"room page first load: {total} bytes in {len(loaded)} requests")
    assert any(request.url.endswith("socket.io.min.js") for request in loaded)
    assert total <= FIRST_LOAD_BUDGET_BYTES


def test_the_presentation_view_follows_the_room_without_joining_it(server, open_page):
    code = browser.api_room(server.url)
    votes = {"Bob": "3", "Cem": "5", "Dörte Ünal": "5", "Emil": None}
    with browser.people(server.url, code, votes):
        screen = open_page(viewport=browser.PROJECTOR)
        screen.goto(f"{server.url}/r/{code}/praesentation")
        connection = screen.locator("#connection-state")
        expect(connection).to_have_attribute("data-state", "connected")
        expect(screen.locator("#participants .participant")).to_have_count(4)
        expect(screen.locator("#vote-progress")).to_have_text(
            "3 von 4 haben abgestimmt"
        )
        expect(screen.locator(".deck")).to_have_count(0)
        qr_width = screen.locator(".present-qr").evaluate("image => image.naturalWidth")
        assert qr_width > 0

        anna = open_page()
        enter(anna, server.url, code, "Anna")
        expect(screen.locator("#participants .participant")).to_have_count(5)
        vote(anna, "8")
        expect(row_of(screen, "Anna")).to_have_attribute("data-voted", "true")
        api = requests.get(f"{server.url}/api/rooms/{code}", timeout=10).json()
        assert len(api["participants"]) == 5

        reveal(anna)
        expect(screen.locator("#result")).to_be_visible()
        expect(row_of(screen, "Anna").locator(".participant-card")).to_have_text("8")
        expect(screen.locator("#stat-spread")).to_have_text("2 Kartenstufen")
        assert broken_words(screen.locator("#stat-spread")) == []
        screenshot(screen, "presentation-1920-de-revealed")


def test_the_qr_code_is_an_svg_of_the_room_link(server):
    code = browser.api_room(server.url)
    answer = requests.get(f"{server.url}/r/{code}/qr.svg", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")
    assert requests.get(f"{server.url}/r/AAAAAA/qr.svg", timeout=10).status_code == 404
