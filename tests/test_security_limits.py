"""Limits on what one client may send: text lengths, message size, event rate."""

import json
import queue
import time

import pytest
import requests
import websocket

from tests.live_clients import Participant
from tests.servers import AppProcess
from tests.test_live_events import join

NAME_CASES = [
    ("  Anna  ", "Anna"),
    ("An\x00na\u202e\u2066\x7f", "Anna"),
    ("e\u0301" * 40, "\u00e9" * 40),  # 80 code points, 40 after NFC
    ("😀" * 40, "😀" * 40),
    ("👩\u200d💻 Kim", "👩\u200d💻 Kim"),  # the joiner inside an emoji stays
    (" " + "a" * 40 + "\t", "a" * 40),
    ("\u202e" + "b" * 40 + "\u202c", "b" * 40),
]
BAD_NAMES = ["a" * 41, "😀" * 41, "", "   ", "\u202e\u202c", "\x00\x01\x1f", None, 7]


@pytest.mark.parametrize(("raw", "shown"), NAME_CASES)
def test_names_are_trimmed_normalised_and_cleaned(make_socket, room_code, raw, shown):
    sock = make_socket()

    answer = join(sock, room_code, name=raw)

    (person,) = answer["snapshot"]["participants"]
    assert person["name"] == shown
    assert len(person["name"]) <= 40


@pytest.mark.parametrize("raw", BAD_NAMES)
def test_names_over_40_characters_or_empty_are_refused(make_socket, room_code, raw):
    sock = make_socket()

    answer = sock.emit(
        "join",
        {"room": room_code, "name": raw, "client_id": "client-anna-0001"},
        callback=True,
    )

    assert answer["ok"] is False and answer["error"] == "invalid_name"
    assert sock.get_received() == []


@pytest.mark.parametrize(
    ("title", "answer"),
    [
        ("t" * 200, {"ok": True}),
        ("  " + "t" * 200 + "\x07 ", {"ok": True}),
        ("t" * 201, "invalid_title"),
        ("\u202e\u202c ", "invalid_title"),
    ],
)
def test_story_titles_are_bounded(make_socket, room_code, title, answer):
    sock = make_socket()
    join(sock, room_code)

    reply = sock.emit("set_story", {"title": title}, callback=True)

    if answer == {"ok": True}:
        assert reply == answer
    else:
        assert reply["ok"] is False and reply["error"] == answer


def test_a_true_participant_id_is_not_participant_one(make_socket, room_code):
    mo, vera = make_socket(), make_socket()
    join(mo, room_code, name="Mo", client_id="client-mo-000001")
    vera_id = join(vera, room_code, name="Vera", client_id="client-vera-0001")[
        "participant_id"
    ]
    assert vera_id == 2
    mo.get_received()

    # JSON true is an int to Python, and participant 1 is Mo himself
    answer = mo.emit(
        "set_moderator", {"participant_id": True, "moderator": False}, callback=True
    )

    assert answer["ok"] is False and answer["error"] == "invalid_payload"
    assert mo.get_received() == []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    process = AppProcess(str(folder / "poker.db")).start()
    yield process
    process.stop()


@pytest.fixture
def room(server):
    answer = requests.post(
        f"{server.url}/api/rooms", json={"name": "Grenzen"}, timeout=5
    )
    return answer.json()["code"]


@pytest.fixture
def pair(server, room):
    """Anna, who behaves, and Mallory, who does not, in one room."""
    anna = Participant(server.url, "Anna").connect(transports=["websocket"])
    mallory = Participant(server.url, "Mallory").connect(transports=["websocket"])
    anna.join(room)
    mallory.join(room)
    yield anna, mallory
    anna.close()
    mallory.close()


def current_state(server, room):
    return requests.get(f"{server.url}/api/rooms/{room}", timeout=5).json()


def test_a_one_megabyte_message_drops_only_its_sender(server, room, pair):
    anna, mallory = pair
    dropped = queue.Queue()

    def on_disconnect(*reason):
        mallory._on_disconnect(*reason)
        dropped.put(reason)

    mallory.sio.on("disconnect", on_disconnect)
    before = current_state(server, room)

    mallory.sio.emit("set_story", {"title": "x" * 1_000_000})

    assert dropped.get(timeout=10) == (mallory.sio.eio.reason.TRANSPORT_ERROR,)
    assert anna.call("vote", {"value": "5"}) == {"ok": True, "vote": "5"}
    after = current_state(server, room)
    assert after["story"] == before["story"] is None
    assert anna.sio.connected
    # the rejoin on reconnect brings Mallory back, as it would a browser
    assert mallory.joined.get(timeout=10)["ok"]


def test_a_one_megabyte_polling_post_ends_that_session_only(server, room, pair):
    anna, _mallory = pair
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    opened = requests.get(base, timeout=5)
    sid = json.loads(opened.text[1:])["sid"]
    assert requests.post(f"{base}&sid={sid}", data="40", timeout=5).text == "OK"
    big = "42" + json.dumps(["set_story", {"title": "x" * 1_000_000}])

    try:
        answer = requests.post(f"{base}&sid={sid}", data=big, timeout=3)
    except requests.RequestException:
        refused = True  # the server may close without reading the body
    else:
        refused = answer.status_code == 400
    assert refused

    gone = requests.get(f"{base}&sid={sid}", timeout=5)
    assert gone.status_code == 400
    assert current_state(server, room)["story"] is None
    assert anna.call("vote", {"value": "8"}) == {"ok": True, "vote": "8"}


def raw_socket(server):
    """A bare Engine.IO websocket, connected to the default namespace."""
    ws = websocket.create_connection(
        server.url.replace("http://", "ws://")
        + "/socket.io/?EIO=4&transport=websocket",
        timeout=5,
    )
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40{")
    return ws


@pytest.mark.parametrize(
    "frame",
    [
        b'421["vote",{"value":"\xff\xfe"}]',
        b'421["vote",' + b"[" * 60_000,
        b"421[" + b'"' * 1000,
        b"4\x00\x01",
        b"99",
    ],
    ids=[
        "invalid-utf8",
        "deep-nesting",
        "broken-json",
        "control-bytes",
        "unknown-type",
    ],
)
def test_malformed_frames_never_reach_others_or_stop_the_server(
    server, room, pair, frame
):
    anna, _mallory = pair
    version = current_state(server, room)["version"]
    ws = raw_socket(server)

    try:
        ws.send(frame, opcode=websocket.ABNF.OPCODE_TEXT)
        ws.settimeout(1)
        try:
            reply = ws.recv()
        except (websocket.WebSocketException, OSError):
            reply = None
    finally:
        ws.close()
        # close() skips the socket when the server already dropped the link
        ws.shutdown()

    # no ack, no state: at most a ping, or the server closed the connection
    assert reply in (None, "", "2"), reply
    assert current_state(server, room)["version"] == version
    assert anna.call("vote", {"value": "3"}) == {"ok": True, "vote": "3"}
    assert requests.get(f"{server.url}/healthz", timeout=5).json()["status"] == "ok"


def test_a_flooding_client_is_limited_and_the_room_goes_on(server, room, pair, figures):
    anna, mallory = pair
    answers = queue.Queue()
    started = time.monotonic()

    for turn in range(100):
        mallory.sio.emit(
            "vote",
            {"value": "5" if turn % 2 else "8"},
            callback=lambda answer: answers.put(answer),
        )
    latencies = []
    for card in ("1", "2", "3"):
        sent = time.monotonic()
        assert anna.call("vote", {"value": card}) == {"ok": True, "vote": card}
        latencies.append(time.monotonic() - sent)
    flood = [answers.get(timeout=15) for _ in range(100)]
    elapsed = time.monotonic() - started

    accepted = [a for a in flood if a["ok"]]
    refused = [a for a in flood if not a["ok"]]
    assert {a["error"] for a in refused} == {"rate_limited"}
    assert 1 <= len(accepted) <= 20 * (int(elapsed) + 1)
    figures(
        f"flood of 100 votes in {elapsed:.2f} s: {len(accepted)} accepted,"
        f" {len(refused)} rate_limited; the neighbour's acks took"
        f" {', '.join(f'{s * 1000:.0f}' for s in latencies)} ms"
    )
