"""Hypothesis sends every Socket.IO event bad input: refused, nothing changes.

Connections are renewed well before the per-connection event limit, so
the limit never answers in place of the handler. Inputs tried are counted and
reported at the end of the run (see `fuzz_report`).
"""

import os
import sqlite3

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import admin
import room_events
import room_rules
import rooms
import utils
from live import socketio
from tests.admin_client import configure
from tests.admin_client import login
from tests.test_live_events import join

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MIN_TRIED = 30
# One admin connection sends these all; it stays under the 20-a-second limit.
EVENTS_PER_ADMIN_SOCKET = 15
CARDS = ("0", "½", "1", "2", "3", "5", "8", "13", "20", "40", "100", "?", "☕")
REFUSALS = {
    "invalid_payload",
    "room_not_found",
    "not_joined",
    "invalid_card",
    "already_revealed",
    "not_allowed",
    "invalid_name",
    "invalid_title",
    "invalid_option",
    "invalid_timer",
    "not_found",
    "no_open_story",
}
FUZZER_ID = "fuzzer-client-0001"
REPORT_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "test-output",
    "fuzz-inputs.txt",
)


class FuzzReport:
    """Count fuzz inputs per test and print the totals in pytest's summary."""

    def __init__(self):
        self.counts = {}

    def add(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1
        return self.counts[name]

    def pytest_terminal_summary(self, terminalreporter):
        total = sum(self.counts.values())
        lines = [f"{name}: {count}" for name, count in sorted(self.counts.items())]
        terminalreporter.write_sep("-", f"fuzz: {total} inputs tried")
        for line in lines:
            terminalreporter.write_line(line)
        os.makedirs(os.path.dirname(REPORT_PATH), exist_ok=True)
        with open(REPORT_PATH, "w", encoding="utf-8") as report:
            report.write(f"total: {total}\n" + "".join(f"{ln}\n" for ln in lines))


def shared_report(config):
    """The run's one FuzzReport, registered as a plugin on first use."""
    report = config.pluginmanager.get_plugin("fuzz-report")
    if report is None:
        report = FuzzReport()
        config.pluginmanager.register(report, "fuzz-report")
    return report


@pytest.fixture
def fuzz_report(request):
    return shared_report(request.config)


# Values of every JSON type, nested a little.
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
NOT_A_DICT = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.binary(max_size=30)
    | st.lists(ANY_JSON, max_size=4)
)
NOT_A_STRING = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.lists(ANY_JSON, max_size=3)
    | st.dictionaries(st.text(max_size=5), ANY_JSON, max_size=3)
)
HUGE = st.sampled_from([1_000, 100_000]).map(lambda n: "Ä" * n)
# Characters a name or title loses when cleaned: controls, bidi overrides, spaces.
INVISIBLE = st.text(
    alphabet=st.characters(categories=["Cc", "Zs", "Zl", "Zp"])
    | st.sampled_from(sorted(utils._BIDI_CONTROLS)),
    max_size=20,
)
LONE_SURROGATES = st.text(
    alphabet=st.characters(min_codepoint=0xDC00, max_codepoint=0xDFFF),
    min_size=1,
    max_size=10,
)


def too_long(limit):
    """Visible text longer than `limit` after trimming and NFC."""
    chunk = st.text(alphabet="abcÄÖÜß😀🎉-", min_size=1, max_size=8)
    length = st.integers(limit + 1, limit * 3)
    return st.builds(lambda c, n: (c * (n // len(c) + 1))[:n], chunk, length) | (
        HUGE.filter(lambda text: len(text) > limit)
    )


def bad_text(limit):
    return NOT_A_STRING | INVISIBLE | LONE_SURROGATES | too_long(limit)


def with_one_bad_field(valid, bad_fields):
    """A payload from `valid` with one field replaced by a bad value or left out."""
    replaced = st.sampled_from(sorted(bad_fields)).flatmap(
        lambda key: bad_fields[key].map(lambda value: {**valid, key: value})
    )
    missing = st.sampled_from(sorted(bad_fields)).map(
        lambda key: {k: v for k, v in valid.items() if k != key}
    )
    return replaced | missing


def event_args(payloads):
    """The arguments of an emit: a bad payload, or a non-dict, none or too many."""
    return (
        payloads.map(lambda payload: (payload,))
        | NOT_A_DICT.map(lambda payload: (payload,))
        | st.just(())
        | st.tuples(st.fixed_dictionaries({}), ANY_JSON)
    )


def bad_room(room_code):
    """Anything but the code of the room under test."""
    return (
        NOT_A_STRING
        | st.text(max_size=12).filter(
            lambda raw: utils.normalize_room_code(raw) is None
        )
        | st.text(alphabet=utils.CODE_ALPHABET, min_size=6, max_size=6).filter(
            lambda code: code != room_code
        )
    )


def bad_join(room_code):
    room_bad = bad_room(room_code)
    client_bad = NOT_A_STRING | st.text(max_size=80).filter(
        lambda raw: not utils.is_client_id(raw)
    )
    role_bad = ANY_JSON.filter(lambda role: role not in rooms.ROLES)
    valid = {
        "room": room_code,
        "name": "Fuzzi",
        "client_id": "fuzz-joiner-0001",
        "role": "voter",
    }
    fields = {
        "room": room_bad,
        "name": bad_text(utils.NAME_MAX),
        "client_id": client_bad,
    }
    return event_args(
        with_one_bad_field(valid, fields)
        | role_bad.map(lambda role: {**valid, "role": role})
    )


NOT_AN_INT = (
    NOT_A_STRING.filter(lambda value: not isinstance(value, int)) | st.booleans()
)
OPTION_VALUES_BAD = st.sampled_from(sorted(room_rules.DEFAULT_OPTIONS)).flatmap(
    lambda key: (
        ANY_JSON.filter(lambda v: v not in room_rules.CONTROL_CHOICES)
        if key == "control"
        else ANY_JSON.filter(lambda v: not isinstance(v, bool))
    ).map(lambda value: {key: value})
)
OPTIONS_BAD = NOT_A_DICT | (
    st.dictionaries(
        st.text(max_size=20).filter(lambda key: key not in room_rules.DEFAULT_OPTIONS),
        ANY_JSON,
        min_size=1,
        max_size=3,
    )
    | OPTION_VALUES_BAD
).flatmap(
    lambda bad: st.fixed_dictionaries(
        {}, optional={"control": st.just("everyone")}
    ).map(lambda good: {**good, **bad})
)

# Payloads of a joined connection that the server must refuse, per event.
BAD_PAYLOADS = {
    "vote": event_args(
        st.fixed_dictionaries(
            {
                "value": NOT_A_STRING.filter(lambda value: value is not None)
                | st.text(max_size=20).filter(lambda value: value not in CARDS)
                | LONE_SURROGATES
                | HUGE
            }
        )
    ),
    "set_story": event_args(
        with_one_bad_field({"title": "Story"}, {"title": bad_text(utils.TITLE_MAX)})
    ),
    "start_timer": event_args(
        with_one_bad_field(
            {"seconds": 60},
            {
                "seconds": NOT_AN_INT
                | st.integers(max_value=room_rules.TIMER_MIN_SECONDS - 1)
                | st.integers(min_value=room_rules.TIMER_MAX_SECONDS + 1)
            },
        )
    ),
    "set_options": event_args(
        with_one_bad_field({"options": {}}, {"options": OPTIONS_BAD})
    ),
    "set_moderator": event_args(
        with_one_bad_field(
            {"participant_id": 0, "moderator": True},
            {
                "participant_id": NOT_AN_INT | st.integers().filter(lambda n: n > 2),
                "moderator": ANY_JSON.filter(lambda v: not isinstance(v, bool)),
            },
        ).map(lambda payload: {"moderator": True, **payload})
    ),
    "watch": lambda code: event_args(
        with_one_bad_field({"room": code}, {"room": bad_room(code)})
    ),
    # these take no fields: only a payload that is no object is wrong
    **{
        event: event_args(st.nothing())
        for event in (
            "reveal",
            "new_round",
            "next_story",
            "stop_timer",
            "nudge",
            "leave",
        )
    },
}


@pytest.fixture
def witness(make_socket, app, room_code):
    """Another participant, who must hear nothing of refused input."""
    sock = make_socket(app.test_client())
    join(sock, room_code, name="Zeugin", client_id="witness-client-01")
    sock.get_received()
    return sock


@pytest.fixture
def reader(app):
    """A connection held open for the test, so the app's own connections never
    close the last one and pay for a WAL checkpoint on every event."""
    db = sqlite3.connect(app.config["DB_PATH"])
    yield db
    db.close()


def room_version(reader, code):
    return reader.execute(
        "SELECT version FROM rooms WHERE code = ?", (code,)
    ).fetchone()[0]


class Sender:
    """Test-client connections that send the fuzz input, renewed well before
    the per-connection event limit would answer in the handler's place."""

    EVENTS_PER_CONNECTION = 15

    def __init__(self, app, client, code, witness, joined):
        self.app, self.client, self.code = app, client, code
        self.witness, self.joined = witness, joined
        self.sock, self.sent = None, 0

    def ready(self):
        """Open a fresh connection if this one is new or nearly used up."""
        if self.sock is None or self.sent >= self.EVENTS_PER_CONNECTION:
            self.renew()
        return self

    def emit(self, event, *args):
        self.sent += 1
        return self.sock.emit(event, *args, callback=True)

    def renew(self):
        self.close()
        self.sock = socketio.test_client(self.app, flask_test_client=self.client)
        if self.joined:
            join(self.sock, self.code, name="Fuzzer", client_id=FUZZER_ID)
        self.sock.get_received()
        self.witness.get_received()
        self.sent = 0

    def received(self):
        return self.sock.get_received()

    def close(self):
        if self.sock is not None and self.sock.is_connected():
            self.sock.disconnect()


@pytest.fixture
def sender(app, client, room_code, witness):
    """Make a Sender; `joined` tells whether it joins the room first."""
    made = []

    def make(joined):
        made.append(Sender(app, client, room_code, witness, joined))
        return made[-1]

    yield make
    for each in made:
        each.close()


def assert_refused(answer):
    assert isinstance(answer, dict), answer
    assert answer["ok"] is False
    assert answer["error"] in REFUSALS, answer
    assert isinstance(answer["message"], str) and answer["message"]


def play_a_normal_round(app, client, witness, code):
    """After the fuzzing: two people vote, reveal, and see the right result."""
    sock = socketio.test_client(app, flask_test_client=client)
    try:
        join(sock, code, name="Fuzzer", client_id=FUZZER_ID)
        assert sock.emit("new_round", {}, callback=True) == {"ok": True}
        assert sock.emit("vote", {"value": "5"}, callback=True) == {
            "ok": True,
            "vote": "5",
        }
        assert witness.emit("vote", {"value": "3"}, callback=True)["ok"]
        assert sock.emit("reveal", {}, callback=True) == {"ok": True}
        stats = client.get(f"/api/rooms/{code}").get_json()["stats"]
        assert (stats["count"], stats["distribution"]) == (2, {"3": 1, "5": 1})
    finally:
        sock.disconnect()


def test_every_event_is_fuzzed():
    assert set(BAD_PAYLOADS) | {"join"} == set(room_events.EVENTS)


@pytest.mark.parametrize("event", sorted(BAD_PAYLOADS))
def test_bad_payload_of_a_joined_client_is_refused_and_changes_nothing(
    app, client, room_code, witness, reader, sender, fuzz_report, event
):
    # the fuzzer's browser created the room, so it may use moderator actions
    fuzzer = sender(joined=True)
    strategy = BAD_PAYLOADS[event]
    if callable(strategy):
        strategy = strategy(room_code)

    @FUZZ
    @given(args=strategy)
    def attempt(args):
        fuzzer.ready()
        before = room_version(reader, room_code)

        answer = fuzzer.emit(event, *args)

        fuzz_report.add(f"socket {event}")
        assert_refused(answer)
        assert room_version(reader, room_code) == before
        assert fuzzer.received() == []
        assert witness.get_received() == []

    attempt()
    assert fuzz_report.counts[f"socket {event}"] >= MIN_TRIED
    fuzzer.close()
    play_a_normal_round(app, client, witness, room_code)


def test_bad_join_is_refused_and_changes_nothing(
    app, client, room_code, witness, reader, sender, fuzz_report
):
    newcomer = sender(joined=False)

    @FUZZ
    @given(args=bad_join(room_code))
    def attempt(args):
        newcomer.ready()
        before = client.get(f"/api/rooms/{room_code}").get_json()

        answer = newcomer.emit("join", *args)

        fuzz_report.add("socket join")
        assert_refused(answer)
        after = client.get(f"/api/rooms/{room_code}").get_json()
        assert after["version"] == before["version"]
        assert after["participants"] == before["participants"]
        assert newcomer.received() == []
        assert witness.get_received() == []

    attempt()
    assert fuzz_report.counts["socket join"] >= MIN_TRIED
    play_a_normal_round(app, client, witness, room_code)


@pytest.mark.parametrize(
    "event", sorted(set(room_events.EVENTS + admin.EVENTS) - {"join", "watch"})
)
def test_any_event_before_joining_is_refused(
    app, client, room_code, witness, reader, sender, fuzz_report, event
):
    stranger = sender(joined=False)

    @settings(FUZZ, max_examples=15)
    @given(args=event_args(ANY_JSON))
    def attempt(args):
        stranger.ready()
        before = room_version(reader, room_code)

        answer = stranger.emit(event, *args)

        fuzz_report.add("socket before joining")
        assert_refused(answer)
        assert room_version(reader, room_code) == before
        assert witness.get_received() == []

    attempt()
    play_a_normal_round(app, client, witness, room_code)


def test_bad_admin_watch_of_a_logged_in_admin_is_refused(
    app, client, room_code, witness, reader, fuzz_report
):
    configure(app)
    login(client)
    admin_socket = socketio.test_client(app, flask_test_client=client)
    payloads = st.fixed_dictionaries({"room": bad_room(room_code)})

    @settings(FUZZ, max_examples=EVENTS_PER_ADMIN_SOCKET)
    @given(args=event_args(payloads))
    def attempt(args):
        before = room_version(reader, room_code)

        answer = admin_socket.emit("admin_watch", *args, callback=True)

        fuzz_report.add("socket admin_watch")
        assert_refused(answer)
        assert room_version(reader, room_code) == before
        assert witness.get_received() == []

    try:
        attempt()
        watching = admin_socket.emit("admin_watch", {"room": room_code}, callback=True)
        assert watching["ok"] is True
    finally:
        admin_socket.disconnect()
    play_a_normal_round(app, client, witness, room_code)
