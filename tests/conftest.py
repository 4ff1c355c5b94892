"""The fixture ladder: app on a temp-file database, HTTP client, Socket.IO clients."""

import itertools
import os
import threading
import time

import pytest
from hypothesis import settings

import database
from app import create_app
from live import socketio
from tests.services import POSTGRES
from tests.services import running_postgres

SCREENSHOT_DIR = os.environ.get(
    "SCREENSHOT_DIR",
    os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-output", "screens"),
)
FIGURES_PATH = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "test-output", "figures.txt"
)
_STARTED = time.time()
_FIGURES = []

# CI tries the same inputs on every run, so a red build points at a change
# and not at chance; a developer's run keeps drawing new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
_DATABASE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A PostgreSQL server on loopback for the whole run, started on first use."""
    with running_postgres(tmp_path_factory.mktemp("postgres")) as cluster:
        yield cluster


@pytest.fixture
def database_url(request):
    """An empty PostgreSQL database of its own for one test; dropped afterwards."""
    cluster = request.getfixturevalue("postgres")
    name = f"test_{next(_DATABASE_NUMBERS)}"
    url = cluster.create_database(name)
    yield url
    cluster.drop_database(name)


@pytest.fixture
def backend(request):
    """Which database the app uses: SQLite unless the test module asks for more.

    A module that sets `DATABASES = BOTH` runs each of its tests that uses
    the app on SQLite and on PostgreSQL.
    """
    return getattr(request, "param", "sqlite")


def pytest_generate_tests(metafunc):
    databases = getattr(metafunc.module, "DATABASES", None)
    if databases and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", databases, indirect=True)


@pytest.fixture
def app(tmp_path, backend, request):
    config = {
        "ENV": "development",
        "SECRET_KEY": "test-secret",
        "DB_PATH": str(tmp_path / "poker.db"),
        "ASYNC_MODE": "threading",
        "TESTING": True,
        "WTF_CSRF_ENABLED": True,
        # states go out at once, so tests see exactly one per change
        "BROADCAST_WINDOW": 0,
    }
    if backend == "postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    app = create_app(config)
    yield app
    database.close_idle(app)


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


@pytest.fixture
def figures(request):
    """Return a function that records a figure the test measured.

    Timings are no pass/fail criteria; the run's summary lists them instead,
    and test-output/figures.txt keeps them.
    """

    def add(text):
        _FIGURES.append(f"{request.node.name}: {text}")

    return add


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures and where the browser screenshots are."""
    if _FIGURES:
        terminalreporter.write_sep("-", "measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
        os.makedirs(os.path.dirname(FIGURES_PATH), exist_ok=True)
        with open(FIGURES_PATH, "w", encoding="utf-8") as report:
            report.write("\n".join(_FIGURES) + "\n")
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


# Parametrises the `backend` fixture: a module's tests run on both databases.
BOTH = [
    "sqlite",
    pytest.param("postgresql", marks=needs_tool(POSTGRES)),
]
