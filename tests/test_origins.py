"""Which browser origins may open a Socket.IO connection to a real app process.

A page on another site must not drive a room with its visitors' cookies, so
the handshake is refused unless its Origin is the app's own or one listed in
CORS_ALLOWED_ORIGINS. Requests without an Origin come from no browser page
and are not checked.
"""

import contextlib

import pytest
import requests
import socketio
import websocket

from tests.conftest import needs_tool
from tests.live_clients import Participant
from tests.proxies import HAPROXY
from tests.proxies import NGINX
from tests.proxies import make_certificate
from tests.proxies import running_proxy
from tests.servers import free_port
from tests.servers import running_app

CONFIGURED = ("https://poker.example", "http://intranet:8080")
TRANSPORTS = ("polling", "websocket")
REFUSED = (400, '"Not an accepted origin."')
OPEN_PACKET = '0{"sid":'
PROXY_EXAMPLES = {"nginx": "nginx.conf", "haproxy": "haproxy.cfg"}
PROXY_KINDS = [
    pytest.param("nginx", marks=needs_tool(NGINX)),
    pytest.param("haproxy", marks=needs_tool(HAPROXY)),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("origins")
    env = {"CORS_ALLOWED_ORIGINS": " , ".join(CONFIGURED)}
    with running_app(str(folder / "poker.db"), env=env) as app_process:
        yield app_process


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_certificate(str(tmp_path_factory.mktemp("tls")))


def handshake(base_url, transport, origin=None, ca_cert=None):
    """Open an Engine.IO session sending `origin`; return (status, first text)."""
    query = f"/socket.io/?EIO=4&transport={transport}"
    headers = {} if origin is None else {"Origin": origin}
    if transport == "polling":
        answer = requests.get(
            base_url + query, headers=headers, verify=ca_cert or True, timeout=5
        )
        return answer.status_code, answer.text

    options = {"sslopt": {"ca_certs": ca_cert}} if ca_cert else {}
    try:
        ws = websocket.create_connection(
            base_url.replace("http", "ws", 1) + query,
            header=headers,
            suppress_origin=True,
            timeout=5,
            **options,
        )
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code, refused.resp_body.decode()
    with contextlib.closing(ws):
        return ws.getstatus(), ws.recv()


def accepted(transport):
    return 200 if transport == "polling" else 101


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "https://127.0.0.1:{port}",
        "http://127.0.0.1:{port}.evil.example",
        "http://localhost:{port}",
        "https://poker.example.evil",
        "https://poker.example:8443",
    ],
)
def test_a_foreign_origin_is_refused(server, transport, origin):
    sent = origin.format(port=server.port)

    assert handshake(server.url, transport, sent) == REFUSED


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_apps_own_origin_is_accepted(server, transport):
    status, text = handshake(server.url, transport, server.url)

    assert status == accepted(transport)
    assert text.startswith(OPEN_PACKET)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", CONFIGURED)
def test_an_origin_from_cors_allowed_origins_is_accepted(server, transport, origin):
    status, text = handshake(server.url, transport, origin)

    assert status == accepted(transport)
    assert text.startswith(OPEN_PACKET)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_handshake_without_origin_is_accepted(server, transport):
    status, text = handshake(server.url, transport)

    assert status == accepted(transport)
    assert text.startswith(OPEN_PACKET)


def test_polling_tells_an_accepted_origin_and_nothing_to_a_foreign_one(server):
    query = f"{server.url}/socket.io/?EIO=4&transport=polling"

    allowed = requests.get(query, headers={"Origin": CONFIGURED[0]}, timeout=5)
    foreign = requests.get(query, headers={"Origin": "https://evil.example"}, timeout=5)

    assert allowed.headers["Access-Control-Allow-Origin"] == CONFIGURED[0]
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_a_client_from_a_configured_origin_joins_and_votes(server):
    created = requests.post(
        f"{server.url}/api/rooms", json={"name": "Team CORS"}, timeout=5
    )
    code = created.json()["code"]
    member = Participant(server.url, "Anna")
    try:
        member.connect(headers={"Origin": CONFIGURED[0]})
        joined = member.join(code)
        answer = member.call("vote", {"value": "5"})
    finally:
        member.close()

    assert joined["snapshot"]["room"]["code"] == code
    assert answer == {"ok": True, "vote": "5"}


def test_a_client_from_a_foreign_origin_cannot_connect(server):
    member = Participant(server.url, "Mallory")
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            member.connect(headers={"Origin": "https://evil.example"})
        connected = member.sio.connected
    finally:
        member.close()

    assert connected is False


@contextlib.contextmanager
def app_behind_proxy(kind, folder, tls, trusted_proxies):
    """Run an app behind the TLS-terminating example of `kind`; yield the proxy."""
    env = {"TRUSTED_PROXIES": trusted_proxies}
    with running_app(str(folder / "poker.db"), env=env) as app_process:
        upstreams = {5000: app_process.port, 5001: free_port()}
        example = PROXY_EXAMPLES[kind]
        with running_proxy(kind, example, str(folder), tls, upstreams) as proxy:
            yield proxy


@pytest.mark.parametrize("kind", PROXY_KINDS)
def test_behind_a_trusted_tls_proxy_the_apps_https_origin_is_accepted(
    kind, tmp_path, tls
):
    with app_behind_proxy(kind, tmp_path, tls, "1") as proxy:
        own = {
            transport: handshake(proxy.url, transport, proxy.url, tls["cert"])
            for transport in TRANSPORTS
        }
        plain_http = handshake(
            proxy.url, "websocket", proxy.url.replace("https", "http"), tls["cert"]
        )
        foreign = handshake(proxy.url, "websocket", "https://evil.example", tls["cert"])

    assert own["polling"][0] == 200 and own["polling"][1].startswith(OPEN_PACKET)
    assert own["websocket"][0] == 101 and own["websocket"][1].startswith(OPEN_PACKET)
    assert plain_http == REFUSED
    assert foreign == REFUSED


@pytest.mark.parametrize("kind", PROXY_KINDS)
def test_behind_an_untrusted_proxy_the_app_cannot_know_its_https_origin(
    kind, tmp_path, tls
):
    # Without TRUSTED_PROXIES the app ignores X-Forwarded-Proto and takes
    # itself for plain http, so a deployment behind TLS must set it.
    with app_behind_proxy(kind, tmp_path, tls, "0") as proxy:
        answer = handshake(proxy.url, "websocket", proxy.url, tls["cert"])

    assert answer == REFUSED
