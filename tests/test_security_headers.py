"""Security headers on every kind of answer, and client code that never parses HTML."""

import pathlib
import re

import pytest

PROJECT = pathlib.Path(__file__).resolve().parent.parent
STATIC = PROJECT / "static"
TEMPLATES = PROJECT / "templates"

# Each of these turns a string into markup, so user text must never reach them.
HTML_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)

PATHS = [
    "/",
    "/r/{code}",
    "/r/{code}/praesentation",
    "/admin",
    "/admin/",
    "/admin/login",
    "/anleitung",
    "/static/style.css",
    "/static/room/main.js",
    "/api/rooms/{code}",
    "/healthz",
    "/does-not-exist",
    "/api/does-not-exist",
]


def policy(header):
    """Split a Content-Security-Policy into {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def fetch(client, path):
    """GET `path` and close the answer, which streams for static files."""
    with client.get(path) as answer:
        return answer.status_code, answer.headers


def own_scripts():
    """Return the app's JavaScript files, without vendored or minified code."""
    return sorted(
        path
        for path in STATIC.rglob("*.js")
        if "vendor" not in path.relative_to(STATIC).parts
        and not path.name.endswith(".min.js")
    )


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(client, room_code, path):
    _status, headers = fetch(client, path.format(code=room_code))

    directives = policy(headers["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_paths_cover_pages_files_api_redirects_and_misses(client, room_code):
    statuses = {path: fetch(client, path.format(code=room_code))[0] for path in PATHS}

    assert statuses == {
        "/": 200,
        "/r/{code}": 200,
        "/r/{code}/praesentation": 200,
        "/admin": 308,
        "/admin/": 302,
        "/admin/login": 200,
        "/anleitung": 200,
        "/static/style.css": 200,
        "/static/room/main.js": 200,
        "/api/rooms/{code}": 200,
        "/healthz": 200,
        "/does-not-exist": 404,
        "/api/does-not-exist": 404,
    }


def test_the_scan_finds_the_app_scripts():
    names = {path.relative_to(STATIC).as_posix() for path in own_scripts()}

    assert {"admin.js", "home.js", "theme.js", "room/main.js", "room/text.js"} <= names
    assert not [name for name in names if name.startswith("vendor/")]


def test_client_code_never_turns_strings_into_html():
    hits = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for path in own_scripts()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_SINKS.search(line)
    ]

    assert hits == []


def test_templates_have_no_inline_script_the_policy_would_block():
    hits = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in SCRIPT_TAG.finditer(text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                hits.append(f"{path.relative_to(PROJECT)}: {match.group(0)}")
        hits += [
            f"{path.relative_to(PROJECT)}: {found.group(0)}"
            for found in EVENT_ATTRIBUTE.finditer(text)
        ]

    assert hits == []
