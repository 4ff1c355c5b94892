"""Hostile text in every field is shown literally and never runs, in Chromium.

Each payload goes into a room name, a participant name, a story title (set
over Socket.IO), a description and a link (the admin's story form) and the
cells of an imported CSV file, and every page that shows them is opened.
The pages bypass the Content Security Policy: it alone would stop inline
scripts, so bypassing it proves that the escaping holds by itself.
"""

import contextlib
import csv
import io
import re
import sqlite3

import pytest
from playwright.sync_api import expect

import guide
from tests import admin_client
from tests import browser
from tests.browser import enter
from tests.browser import people
from tests.live_clients import Participant

pytestmark = browser.needs_chromium

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=alert(1)>',
    "</script><script>window.__xss=1</script>",
    "'><iframe src=javascript:alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "&lt;b&gt;fett&lt;/b&gt; &amp;",
    "Zoë " + "🦄" * 36,
]
WATCHER = "Beobachterin"
# Reports markup that escaped the escaping: handlers, inline scripts, frames,
# and `javascript:` addresses in any attribute that a click or a load follows.
FIND_INJECTED = """
() => {
  const ADDRESSES = ["href", "src", "action", "formaction", "xlink:href", "data"];
  const found = [];
  for (const node of document.querySelectorAll("*")) {
    const tag = node.localName;
    if (["iframe", "svg", "object", "embed"].includes(tag)) found.push(tag);
    if (tag === "script" && !node.src && node.type !== "application/json") {
      found.push("inline script");
    }
    for (const { name, value } of node.attributes) {
      const address = value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(`${tag}[${name}]`);
      if (ADDRESSES.includes(name) && address.startsWith("javascript:")) {
        found.push(`${tag}[${name}=${value}]`);
      }
    }
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "ADMIN_USERNAME": admin_client.USERNAME,
        "ADMIN_PASSWORD_HASH": admin_client.PASSWORD_HASH,
    }
    with browser.running_server(tmp_path_factory, env=env) as running:
        yield running


@pytest.fixture
def dialogs():
    """Every alert, confirm or prompt any page of the test opened."""
    return []


@pytest.fixture
def open_page(open_page, dialogs):
    """Return a factory of pages, each its own person, whose dialogs are recorded."""

    def record(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open_():
        page = open_page(bypass_csp=True)
        page.on("dialog", record)
        return page

    return open_


@pytest.fixture
def admin(server, open_page):
    """A page logged in to the dashboard."""
    page = open_page()
    page.goto(f"{server.url}/admin/login")
    page.fill("#username", admin_client.USERNAME)
    page.fill("#password", admin_client.PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/admin/")
    return page


class Tally:
    """Count each (payload, page) that passed and report them below the results."""

    def __init__(self):
        self.passed = []

    def append(self, combination):
        self.passed.append(combination)

    def pytest_terminal_summary(self, terminalreporter):
        payloads = len({payload for payload, _page in self.passed})
        pages = len({page for _payload, page in self.passed})
        terminalreporter.write_line(
            f"XSS: {len(self.passed)} payload×page combinations shown literally,"
            f" no script ran ({payloads} payloads × {pages} pages)"
        )


@pytest.fixture(scope="module")
def checked(request):
    """The module's tally; pytest calls its summary hook after the last test."""
    tally = Tally()
    request.config.pluginmanager.register(tally)
    return tally


def assert_harmless(page, dialogs, payload, places):
    """Each place shows exactly the payload; no script ran and no markup got in."""
    for place in places:
        expect(place).to_have_text(payload)
    if "7*7" in payload:
        expect(page.get_by_text("49", exact=True)).to_have_count(0)

    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(FIND_INJECTED) == []
    assert dialogs == []


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def import_stories(admin, base_url, code, rows):
    """Upload a CSV file in the dashboard and return the page with its preview."""
    admin.goto(f"{base_url}/admin/rooms/{code}/import")
    admin.set_input_files(
        "#file", {"name": "stories.csv", "mimeType": "text/csv", "buffer": rows}
    )
    admin.click("#upload button[type=submit]")
    expect(admin.locator("#preview")).to_be_visible()
    return admin


def edit_story(admin, story_url, description, link):
    admin.goto(story_url)
    admin.fill("#story-description", description)
    admin.fill("#story-link", link)
    admin.click("#edit-story button[type=submit]")


def other_person(page, scope):
    """Return the name in `scope`'s participant rows that is not the watcher's."""
    rows = page.locator(scope).filter(has_not_text=WATCHER)
    return rows.locator(".participant-name, .admin-person-name")


def guide_page(page, base_url, client, tmp_path, monkeypatch, payload):
    """Serve the app's guide page, rendered from Markdown that holds the payload.

    The running server reads its own guide file, so the page comes from the
    test's app and is handed to Chromium under the server's address.
    """
    source = tmp_path / "guide.md"
    source.write_text(
        f"# Anleitung\n\n```text\n{payload}\n```\n\n{payload}\n", encoding="utf-8"
    )
    monkeypatch.setattr(guide, "GUIDE_PATH", str(source))
    answer = client.get("/anleitung")
    assert answer.status_code == 200
    page.route(
        f"{base_url}/anleitung",
        lambda route: route.fulfill(
            status=200, headers=dict(answer.headers), body=answer.get_data()
        ),
    )
    page.goto(f"{base_url}/anleitung")
    return page


def test_the_detector_notices_a_script_that_runs(server, open_page, dialogs):
    page = open_page()
    page.goto(f"{server.url}/anleitung")

    with page.expect_event("dialog"):
        page.set_content('<img src=x onerror="window.__xss=1"><svg onload=alert(7)>')

    page.wait_for_function("window.__xss === 1")
    assert page.evaluate(FIND_INJECTED) == ["img[onerror]", "svg", "svg[onload]"]
    assert dialogs == ["alert: 7"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_every_field_is_shown_literally_on_every_page(
    server, open_page, admin, dialogs, checked, client, tmp_path, monkeypatch, payload
):
    link = f"https://example.org/story?q={payload}"
    imported_link = f"https://example.org/import?q={payload}"
    code = browser.api_room(server.url, name=payload)
    person = Participant(server.url, payload).connect()
    try:
        person.join(code)
        assert person.call("set_story", {"title": payload})["ok"]

        admin.goto(f"{server.url}/admin/rooms/{code}")
        story_id = admin.locator("#story-list .admin-story").get_attribute(
            "data-story-id"
        )
        story_url = f"{server.url}/admin/rooms/{code}/stories/{story_id}"
        edit_story(admin, story_url, payload, link)
        expect(admin.locator(".alert-success")).to_have_text(
            "Die Story ist gespeichert."
        )

        rows = csv_file(
            [["Titel", "Beschreibung", "Link", "Referenz"]]
            + [[payload, payload, imported_link, payload]]
        )
        preview = import_stories(admin, server.url, code, rows)
        cells = preview.locator("#preview-rows tbody tr td")
        assert_harmless(preview, dialogs, payload, [cells.nth(i) for i in (1, 2, 3)])
        expect(cells.nth(4)).to_have_text(imported_link)
        checked.append((payload, "import preview"))
        preview.click("#confirm-import button[type=submit]")
        expect(admin.locator(".alert-success")).to_have_text("1 Storys importiert.")

        room = open_page()
        enter(room, server.url, code, WATCHER, role="observer")
        story_places = [
            room.locator(selector)
            for selector in ("#room-name", "#story-title", "#story-description")
        ]
        places = [*story_places, other_person(room, "#participants .participant")]
        expect(room).to_have_title(f"{payload} – Planning Poker")
        expect(room.locator("#story-link")).to_have_attribute("href", link)
        assert_harmless(room, dialogs, payload, places)
        checked.append((payload, "room"))

        assert person.call("vote", {"value": "5"})["ok"]
        assert person.call("reveal")["ok"]
        expect(room.locator("#result")).to_be_visible()
        expect(room.locator("#participants .participant-card")).to_have_text("5")
        names = [room.locator("#stat-min-names"), room.locator("#stat-max-names")]
        assert_harmless(room, dialogs, payload, [*places, *names])
        checked.append((payload, "room revealed"))
    finally:
        person.close()

    screen = open_page()
    screen.goto(f"{server.url}/r/{code}/praesentation")
    expect(screen.locator("#connection-state")).to_have_attribute(
        "data-state", "connected"
    )
    expect(screen.locator("#result")).to_be_visible()
    expect(screen.locator(".present-head .eyebrow")).to_have_text(
        f"{payload} · Raum {code}"
    )
    expect(screen).to_have_title(f"Präsentation: {payload} – Planning Poker")
    places = [
        screen.locator("#story-title"),
        screen.locator("#story-description"),
        other_person(screen, "#participants .participant"),
        screen.locator("#stat-min-names"),
    ]
    assert_harmless(screen, dialogs, payload, places)
    checked.append((payload, "presentation"))

    admin.goto(f"{server.url}/admin/")
    listed = admin.locator(f'tr[data-room-code="{code}"] td[data-label=Raum] a')
    assert_harmless(admin, dialogs, payload, [listed])
    checked.append((payload, "admin rooms"))

    admin.goto(f"{server.url}/admin/rooms/{code}")
    expect(admin.locator("#live-state")).to_have_attribute("data-state", "live")
    stories = admin.locator("#story-list .admin-story")
    expect(stories).to_have_count(2)
    expect(stories.nth(0).locator(".admin-story-title a")).to_have_attribute(
        "href", link
    )
    expect(admin.locator("#rename-name")).to_have_value(payload)
    places = [
        admin.locator("#room-title"),
        admin.locator("#current-story-title"),
        other_person(admin, "#participant-list .admin-person"),
    ]
    for story in (stories.nth(0), stories.nth(1)):
        places.append(story.locator(".admin-story-title a"))
        places.append(story.locator(".admin-story-description"))
    places.append(stories.nth(1).locator(".admin-code"))
    assert_harmless(admin, dialogs, payload, places)
    checked.append((payload, "admin room"))

    admin.goto(story_url)
    expect(admin).to_have_title(f"Admin: {payload} – Planning Poker")
    expect(admin.locator("#story-title")).to_have_value(payload)
    expect(admin.locator("#story-description")).to_have_value(payload)
    expect(admin.locator("#story-link")).to_have_value(link)
    places = [
        admin.locator(".admin-head h1"),
        admin.locator(".admin-votes tbody td").nth(0),
    ]
    assert_harmless(admin, dialogs, payload, places)
    checked.append((payload, "admin story"))

    admin.goto(f"{server.url}/admin/rooms/{code}/history")
    entries = admin.locator(".admin-history-entry")
    expect(entries).to_have_count(2)
    places = [
        entries.nth(0).locator("h2"),
        entries.nth(0).locator(".admin-votes tbody td").nth(0),
        entries.nth(1).locator("h2"),
    ]
    assert_harmless(admin, dialogs, payload, places)
    checked.append((payload, "admin history"))

    page = guide_page(open_page(), server.url, client, tmp_path, monkeypatch, payload)
    assert_harmless(page, dialogs, payload, [page.locator("#guide pre code")])
    checked.append((payload, "guide"))


HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]
LINK_REFUSED = "Der Link muss eine http- oder https-Adresse sein."


def test_hostile_links_are_refused_by_the_story_form_and_the_import(
    server, admin, dialogs
):
    code = browser.api_room(server.url)
    room_url = f"{server.url}/admin/rooms/{code}"

    for link in HOSTILE_LINKS:
        admin.goto(room_url)
        admin.fill("#add-story #story-title", "Mit bösem Link")
        admin.fill("#add-story #story-link", link)
        admin.click("#add-story button[type=submit]")
        expect(admin.locator(".alert-error")).to_have_text(LINK_REFUSED)
        expect(admin.locator("#story-list")).to_have_count(0)

    rows = [["Titel", "Link"]] + [
        [f"Story {i}", link] for i, link in enumerate(HOSTILE_LINKS)
    ]
    preview = import_stories(admin, server.url, code, csv_file(rows))
    expected = [
        f"Zeile {line}: {LINK_REFUSED}" for line in range(2, 2 + len(HOSTILE_LINKS))
    ]
    expect(preview.locator("#problems li")).to_have_text(expected)
    expect(preview.locator("#confirm-import")).to_have_count(0)
    assert preview.evaluate(FIND_INJECTED) == []
    assert dialogs == []


def test_a_javascript_link_that_got_into_the_database_is_never_a_link(
    server, open_page, admin, dialogs
):
    code = browser.api_room(server.url)
    with people(server.url, code, {"Anna": None}) as (anna,):
        assert anna.call("set_story", {"title": "Von Hand verlinkt"})["ok"]
    # as a hand edit or an import from an older version could leave it
    with contextlib.closing(sqlite3.connect(server.db_path, timeout=10)) as db:
        with db:
            db.execute("UPDATE stories SET link = 'javascript:alert(1)'")

    room = open_page()
    enter(room, server.url, code, WATCHER, role="observer")
    screen = open_page()
    screen.goto(f"{server.url}/r/{code}/praesentation")
    expect(screen.locator("#connection-state")).to_have_attribute(
        "data-state", "connected"
    )
    admin.goto(f"{server.url}/admin/rooms/{code}")

    for page in (room, screen):
        expect(page.locator("#story-title")).to_have_text("Von Hand verlinkt")
        expect(page.locator("#story-link-line")).to_be_hidden()
        expect(page.locator("#story-link")).not_to_have_attribute(
            "href", re.compile(".")
        )
    expect(admin.locator(".admin-story-title")).to_have_text("Von Hand verlinkt")
    expect(admin.locator(".admin-story-title a")).to_have_count(0)
    for page in (room, screen, admin):
        assert page.evaluate(FIND_INJECTED) == []
    assert dialogs == []
