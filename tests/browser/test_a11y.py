"""axe-core finds no serious or critical accessibility problem on any page."""

import os

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from tests import browser
from tests.browser import enter
from tests.browser import people
from tests.browser import reveal
from tests.browser import vote

pytestmark = browser.needs_chromium

AXE_SOURCE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
TESTS = os.path.dirname(os.path.dirname(__file__))
STORIES_CSV = os.path.join(TESTS, "data", "stories-plain.csv")
ADMIN_PASSWORD = "ein-langes-test-passwort"
BLOCKING = ("serious", "critical")
RUN_AXE = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    nodes: violation.nodes.map((node) => node.target.join(" ")).slice(0, 5),
  }));
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    hashed = generate_password_hash(ADMIN_PASSWORD)
    env = {"ADMIN_PASSWORD_HASH": hashed, "ADMIN_USERNAME": "admin"}
    with browser.running_server(tmp_path_factory, env=env) as running:
        yield running


@pytest.fixture
def open_page(open_page):
    """Return a factory of pages that may run axe: the test injects its script."""
    return lambda **options: open_page(bypass_csp=True, **options)


def blocking_violations(page):
    """Run axe-core in the page; return its serious and critical findings."""
    with open(AXE_SOURCE, encoding="utf-8") as source:
        page.add_script_tag(content=source.read())
    found = page.evaluate(RUN_AXE)
    return [violation for violation in found if violation["impact"] in BLOCKING]


@pytest.mark.parametrize(
    "path", ["/", "/anleitung", "/admin/login", "/r/AAAAAA", "/gibt-es-nicht"]
)
def test_static_pages_pass_the_audit(server, open_page, path):
    page = open_page()
    page.goto(f"{server.url}{path}")

    assert blocking_violations(page) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_room_passes_the_audit_before_and_after_reveal(server, open_page, theme):
    page = open_page(theme=theme)
    code = browser.create_room(page, server.url)
    enter(page, server.url, code, "Anna")
    vote(page, "5")
    page.click(".qr-details summary")
    expect(page.locator(".qr-image")).to_be_visible()
    assert blocking_violations(page) == []

    reveal(page)
    assert blocking_violations(page) == []


def test_the_presentation_view_passes_the_audit(server, open_page):
    voter = open_page()
    code = browser.api_room(server.url)
    enter(voter, server.url, code, "Anna")
    vote(voter, "3")
    screen = open_page(viewport=browser.PROJECTOR)
    screen.goto(f"{server.url}/r/{code}/praesentation")
    expect(screen.locator("#participants .participant")).to_have_count(1)
    assert blocking_violations(screen) == []

    reveal(voter)
    expect(screen.locator("#result")).to_be_visible()
    assert blocking_violations(screen) == []


def test_the_admin_pages_pass_the_audit_and_load_only_from_the_app(server, open_page):
    code = browser.api_room(server.url, name="Admin-Prüfraum")
    with people(server.url, code, {"Bob": "3", "Cem": "8"}) as (bob, _cem):
        assert bob.call("reveal")["ok"]
    page = open_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.url}/admin/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/admin/")
    assert blocking_violations(page) == []

    room = f"{server.url}/admin/rooms/{code}"
    page.goto(room)
    page.fill("#add-story #story-title", "Suche nach Kundennummer")
    page.click("#add-story button[type=submit]")
    edit_link = page.locator("#story-list .admin-story").get_by_role("link")
    expect(edit_link).to_have_count(1)
    assert blocking_violations(page) == []

    edit_link.click()
    expect(page.locator("#story-title")).to_have_value("Suche nach Kundennummer")
    assert blocking_violations(page) == []

    page.goto(f"{room}/history")
    expect(page.locator("main")).to_contain_text("Bob")
    assert blocking_violations(page) == []

    page.goto(f"{room}/import")
    assert blocking_violations(page) == []
    page.set_input_files("#file", STORIES_CSV)
    page.click("#upload button[type=submit]")
    expect(page.locator("#preview")).to_be_visible()
    assert blocking_violations(page) == []

    page.goto(f"{server.url}/admin/rooms/AAAAAA")
    assert blocking_violations(page) == []
    outside = [url for url in requested if not url.startswith(server.url + "/")]
    assert outside == []
