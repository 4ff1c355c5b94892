"""The example nginx and HAProxy configurations in front of a real app process.

Each proxy runs on 127.0.0.1 with TLS (a self-signed certificate), its
timeouts scaled from an hour down to PROXY_TIMEOUT seconds, and the app's
ping interval scaled down with it.
"""

import contextlib
import re
import threading
import time

import pytest
import requests
from werkzeug.security import generate_password_hash

from tests.conftest import needs_tool
from tests.live_clients import TLSParticipant
from tests.proxies import HAPROXY
from tests.proxies import NGINX
from tests.proxies import make_certificate
from tests.proxies import running_proxy
from tests.servers import free_port
from tests.servers import running_app

PROXY_TIMEOUT = 2
EXAMPLES = {
    "nginx": ("nginx.conf", "nginx-prefix.conf"),
    "haproxy": ("haproxy.cfg", "haproxy-prefix.cfg"),
}
KINDS = [
    pytest.param("nginx", marks=needs_tool(NGINX)),
    pytest.param("haproxy", marks=needs_tool(HAPROXY)),
]
# Behind one proxy; pings well inside the proxy's idle limit; an admin to fail
# logging in as, since failed logins are logged with the client's address.
APP_ENV = {
    "TRUSTED_PROXIES": "1",
    "PING_INTERVAL": "0.5",
    "PING_TIMEOUT": "2",
    "ADMIN_PASSWORD_HASH": generate_password_hash(
        "richtig", method="pbkdf2:sha256:1000"
    ),
}
# Another loopback address stands in for a client on another host.
CLIENT_ADDRESS = "127.0.0.7"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_certificate(str(tmp_path_factory.mktemp("tls")))


class FromAddress(requests.adapters.HTTPAdapter):
    """Open connections from a chosen local address."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def https(tls):
    """A browser-like session that trusts the test certificate and nothing else."""
    session = requests.Session()
    session.verify = tls["cert"]
    session.trust_env = False
    return session


@contextlib.contextmanager
def app_behind(kind, example, folder, tls, env):
    """Run an app and, in front of it, the proxy example; yield both."""
    with running_app(str(folder / "poker.db"), env=env) as server:
        upstreams = {5000: server.port, 5001: free_port()}
        with running_proxy(
            kind, example, str(folder), tls, upstreams, timeout=PROXY_TIMEOUT
        ) as proxy:
            yield server, proxy


@pytest.fixture(scope="module", params=KINDS)
def stack(request, tmp_path_factory, tls):
    """The app behind the host-name example of one proxy kind."""
    folder = tmp_path_factory.mktemp(request.param)
    example = EXAMPLES[request.param][0]
    with app_behind(request.param, example, folder, tls, APP_ENV) as pair:
        yield pair


@pytest.fixture(scope="module", params=KINDS)
def prefixed_stack(request, tmp_path_factory, tls):
    """The app under /poker behind the path-prefix example of one proxy kind."""
    folder = tmp_path_factory.mktemp(request.param)
    example = EXAMPLES[request.param][1]
    env = {**APP_ENV, "URL_PREFIX": "/poker"}
    with app_behind(request.param, example, folder, tls, env) as pair:
        yield pair


def new_room(session, base_url, name="Team Proxy"):
    answer = session.post(f"{base_url}/api/rooms", json={"name": name}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def member_through(proxy, https, code, name="Anna", path="socket.io", **options):
    member = TLSParticipant(proxy.url, name, cert=https.verify, **options)
    member.connect(path=path)
    member.join(code)
    return member


def upgraded_transport(member, timeout=5):
    """Return the member's transport once the upgrade from polling has had its time.

    The client starts on long polling and upgrades in the background.
    """
    deadline = time.monotonic() + timeout
    while member.sio.transport() != "websocket" and time.monotonic() < deadline:
        time.sleep(0.05)
    return member.sio.transport()


def watch_disconnects(member):
    """Record every disconnect of the member's connection in a list."""
    seen = []
    member.sio.on("disconnect", lambda *reason: seen.append(time.monotonic()))
    return seen


def test_pages_and_static_files_load_through_the_proxy(stack, https):
    _server, proxy = stack

    home = https.get(f"{proxy.url}/", timeout=5)
    style = https.get(f"{proxy.url}/static/style.css", timeout=5)
    manual = https.get(f"{proxy.url}/anleitung", timeout=5)
    plain = requests.get(
        f"http://127.0.0.1:{proxy.http_port}/", allow_redirects=False, timeout=5
    )

    assert home.status_code == 200 and "Planning Poker" in home.text
    assert style.status_code == 200 and style.headers["Content-Type"].startswith(
        "text/css"
    )
    assert manual.status_code == 200 and "Benutzeranleitung" in manual.text
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://127.0.0.1")


def test_socketio_upgrades_to_websocket_through_the_proxy(stack, https):
    _server, proxy = stack
    code = new_room(https, proxy.url)["code"]

    member = member_through(proxy, https, code)
    try:
        transport = upgraded_transport(member)
        answer = member.call("vote", {"value": "5"})
    finally:
        member.close()

    assert transport == "websocket"
    assert answer == {"ok": True, "vote": "5"}


def test_idle_websocket_outlives_the_proxy_timeout_thanks_to_pings(stack, https):
    _server, proxy = stack
    code = new_room(https, proxy.url)["code"]
    member = member_through(proxy, https, code)
    disconnects = watch_disconnects(member)
    sid = member.sio.get_sid()

    try:
        # Nothing but the server's pings crosses the proxy meanwhile.
        threading.Event().wait(PROXY_TIMEOUT * 3)
        still = (member.sio.connected, member.sio.get_sid(), member.sio.transport())
        answer = member.call("vote", {"value": "8"})
        lost = list(disconnects)
    finally:
        member.close()

    assert lost == []
    assert still == (True, sid, "websocket")
    assert answer == {"ok": True, "vote": "8"}


@pytest.mark.parametrize("kind", KINDS)
def test_without_pings_the_proxy_cuts_an_idle_websocket(kind, tmp_path, tls, https):
    slow_pings = {**APP_ENV, "PING_INTERVAL": "30", "PING_TIMEOUT": "30"}

    with app_behind(kind, EXAMPLES[kind][0], tmp_path, tls, slow_pings) as pair:
        _server, proxy = pair
        code = new_room(https, proxy.url)["code"]
        member = member_through(proxy, https, code, reconnection=False)
        disconnects = watch_disconnects(member)
        opened = time.monotonic()
        deadline = opened + PROXY_TIMEOUT * 5
        while not disconnects and time.monotonic() < deadline:
            threading.Event().wait(0.1)
        lost = list(disconnects)
        member.close()

    assert len(lost) == 1
    assert lost[0] - opened >= PROXY_TIMEOUT * 0.8


def test_app_sees_scheme_and_host_from_the_forwarded_headers(stack, https):
    server, proxy = stack

    through_proxy = new_room(https, proxy.url)
    direct = new_room(requests, server.url)

    assert through_proxy["url"] == (
        f"https://127.0.0.1:{proxy.https_port}/r/{through_proxy['code']}"
    )
    assert direct["url"] == f"http://127.0.0.1:{server.port}/r/{direct['code']}"


def test_app_sees_the_client_address_from_the_proxy_not_a_forged_one(stack, tls):
    server, proxy = stack
    client = requests.Session()
    client.verify = tls["cert"]
    client.trust_env = False
    client.mount("https://", FromAddress(CLIENT_ADDRESS))
    form = client.get(f"{proxy.url}/admin/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)

    answer = client.post(
        f"{proxy.url}/admin/login",
        data={"csrf_token": token, "username": "admin", "password": "falsch"},
        headers={
            "Referer": f"{proxy.url}/admin/login",
            "X-Forwarded-For": "203.0.113.9",
        },
        timeout=5,
    )

    failures = [
        line for line in server.read_log().splitlines() if "failed admin login" in line
    ]
    assert answer.status_code == 401
    assert len(failures) == 1
    assert failures[0].endswith(f"failed admin login from {CLIENT_ADDRESS}")


def site_paths(page):
    """Every site-absolute address in href and src attributes of a page."""
    return [
        path
        for path in re.findall(r'(?:href|src)="([^"]+)"', page)
        if path.startswith("/") and not path.startswith("//")
    ]


def test_path_prefix_covers_pages_static_files_guide_and_socketio(
    prefixed_stack, https
):
    _server, proxy = prefixed_stack
    base = f"{proxy.url}/poker"

    bare = https.get(f"{proxy.url}/poker", allow_redirects=False, timeout=5)
    home = https.get(f"{base}/", timeout=5)
    paths = site_paths(home.text)
    loaded = {
        path: https.get(f"{proxy.url}{path}", timeout=5).status_code for path in paths
    }
    room = new_room(https, base)
    member = member_through(proxy, https, room["code"], path="poker/socket.io")
    try:
        transport = member.sio.transport()
        answer = member.call("vote", {"value": "3"})
    finally:
        member.close()

    assert bare.status_code == 301
    assert bare.headers["Location"].endswith("/poker/")
    assert home.status_code == 200
    assert "/poker/anleitung" in paths and "/poker/static/style.css" in paths
    assert [path for path in paths if not path.startswith("/poker/")] == []
    assert loaded == dict.fromkeys(paths, 200)
    assert room["url"] == f"https://127.0.0.1:{proxy.https_port}/poker/r/{room['code']}"
    assert transport == "websocket"
    assert answer == {"ok": True, "vote": "3"}
