"""The user guide at /anleitung: rendered, sanitised, linked, prefix-aware."""

import os
import re

import pytest

import guide
from app import create_app


@pytest.fixture
def own_guide(tmp_path, monkeypatch):
    """Serve a Markdown file of the test's own instead of BENUTZERANLEITUNG.md."""
    path = tmp_path / "guide.md"
    monkeypatch.setattr(guide, "GUIDE_PATH", str(path))
    return path


@pytest.fixture
def prefixed_client(tmp_path):
    app = create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "test-secret",
            "DB_PATH": str(tmp_path / "prefixed.db"),
            "ASYNC_MODE": "threading",
            "TESTING": True,
            "URL_PREFIX": "/poker",
        }
    )
    return app.test_client()


def hrefs(page):
    return re.findall(r'href="([^"]*)"', page)


def test_guide_page_renders_the_markdown_inside_the_site_layout(client):
    answer = client.get("/anleitung")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert '<h1 id="benutzeranleitung-planning-poker">' in page
    assert '<h2 id="fur-teammitglieder">Für Teammitglieder</h2>' in page
    assert '<h2 id="fur-den-admin">Für den Admin</h2>' in page
    assert "<strong>Teammitglieder</strong>" in page
    assert 'class="site-header"' in page


def test_guide_covers_every_topic_of_team_members_and_admin():
    with open(guide.GUIDE_PATH, encoding="utf-8") as source:
        text = source.read()

    for topic in (
        "### Einem Raum beitreten",
        "### Abstimmen",
        "### Aufdecken",
        "### Neue Runde",
        "Beobachter",
        "### Anmelden und Abmelden",
        "### Storys vorbereiten",
        "### Storys aus CSV importieren",
        "### Ergebnisse exportieren",
        "### Endgültige Schätzung festhalten",
        "### Moderieren",
        "### Präsentationsansicht und QR-Code",
    ):
        assert topic in text


def test_guide_strips_scripts_handlers_and_unsafe_links(client, own_guide):
    own_guide.write_text(
        "# Titel\n\n"
        "<script>alert('x')</script>\n\n"
        '<p onclick="alert(1)">Absatz</p>\n\n'
        '<img src="x" onerror="alert(2)">\n\n'
        "[böser Link](javascript:alert(3)) [guter Link](https://example.org/a)\n",
        encoding="utf-8",
    )

    page = client.get("/anleitung").get_data(as_text=True)

    assert "alert" not in page
    assert "<img" not in page
    assert "<p>Absatz</p>" in page
    assert '<a rel="noopener noreferrer">böser Link</a>' in page
    assert (
        '<a href="https://example.org/a" rel="noopener noreferrer">guter Link</a>'
        in page
    )


def test_guide_links_and_the_layout_follow_the_path_prefix(prefixed_client):
    answer = prefixed_client.get("/poker/anleitung")

    links = hrefs(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert "/poker/admin" in links
    assert "/poker/" in links
    assert "/poker/anleitung" in links
    assert not [link for link in links if link.startswith("/") and "/poker" not in link]
    assert prefixed_client.get("/anleitung").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/does-not-exist",
        "/r/{code}",
        "/r/{code}/praesentation",
        "/admin/login",
        "/anleitung",
    ],
)
def test_every_page_links_to_the_guide(client, room_code, path):
    answer = client.get(path.format(code=room_code))

    assert "/anleitung" in hrefs(answer.get_data(as_text=True))


def test_an_edited_guide_is_served_without_a_restart(client, own_guide):
    own_guide.write_text("# Erste Fassung\n", encoding="utf-8")
    first = client.get("/anleitung").get_data(as_text=True)
    own_guide.write_text("# Zweite Fassung\n", encoding="utf-8")
    stat = os.stat(own_guide)
    os.utime(own_guide, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    second = client.get("/anleitung").get_data(as_text=True)

    assert "Erste Fassung" in first
    assert "Zweite Fassung" in second and "Erste Fassung" not in second
