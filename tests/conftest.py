"""The fixture ladder: app on a temp-file database, HTTP client, Socket.IO clients."""

import os
import threading
import time

import pytest

from app import create_app
from live import socketio

SCREENSHOT_DIR = os.environ.get(
    "SCREENSHOT_DIR",
    os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-output", "screens"),
)
_STARTED = time.time()


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "test-secret",
            "DB_PATH": str(tmp_path / "poker.db"),
            "ASYNC_MODE": "threading",
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            # states go out at once, so tests see exactly one per change
            "BROADCAST_WINDOW": 0,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_socket(app, client):
    """Return a factory of Socket.IO test clients that share the browser's cookies."""
    made = []

    def make(http_client=None):
        sock = socketio.test_client(app, flask_test_client=http_client or client)
        made.append(sock)
        return sock

    yield make
    for sock in made:
        if sock.is_connected():
            sock.disconnect()


@pytest.fixture
def room_code(client):
    answer = client.post("/api/rooms", json={"name": "Team Blau"})
    assert answer.status_code == 201
    return answer.get_json()["code"]


@pytest.fixture(scope="module", autouse=True)
def no_client_left_running():
    """Fail the module that leaves a Socket.IO client reconnecting in the background.

    Such a thread outlives its test, reconnects to whatever takes the port
    next, and draws from `random` while later tests run.
    """
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [t.name for t in threading.enumerate() if "_handle_reconnect" in t.name]
        if not left:
            return
        time.sleep(0.05)
    pytest.fail(f"Socket.IO clients still reconnecting: {left}")


def pytest_terminal_summary(terminalreporter):
    """Print where this run's browser screenshots are, if it took any."""
    if not os.path.isdir(SCREENSHOT_DIR):
        return
    names = os.listdir(SCREENSHOT_DIR)
    paths = [os.path.join(SCREENSHOT_DIR, name) for name in names]
    if any(os.path.getmtime(path) >= _STARTED for path in paths):
        terminalreporter.write_line(f"screenshots: {SCREENSHOT_DIR}")


def needs_tool(path):
    """Skip a test when a system tool is missing, except in CI where it must exist."""
    if os.path.exists(path) or os.environ.get("CI"):
        return pytest.mark.skipif(False, reason="")
    return pytest.mark.skip(reason=f"{path} is not installed (CI installs it)")
