"""Hypothesis sends every form and JSON route bad input: an error answer, no change.

Never a 500: the public routes answer 400 or 404, the dashboard answers
400/404 or sends the admin back with an error message. The database is
compared before and after each input.
"""

import io
import json
import re
import sqlite3
from urllib.parse import quote
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import utils
import voting_logic
from tests import admin_client
from tests.test_fuzz_socket import ANY_JSON
from tests.test_fuzz_socket import FUZZ
from tests.test_fuzz_socket import INVISIBLE
from tests.test_fuzz_socket import LONE_SURROGATES
from tests.test_fuzz_socket import MIN_TRIED
from tests.test_fuzz_socket import NOT_A_DICT
from tests.test_fuzz_socket import NOT_A_STRING
from tests.test_fuzz_socket import shared_report
from tests.test_fuzz_socket import too_long

TABLES = ("rooms", "stories", "rounds", "participants", "votes")
DECK_IDS = set(voting_logic.DECKS) | {"custom"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(app):
    return admin_client.configure(app)


@pytest.fixture
def fuzz_report(request):
    return shared_report(request.config)


@pytest.fixture
def reader(app):
    db = sqlite3.connect(app.config["DB_PATH"])
    yield db
    db.close()


def everything(reader):
    """Every row the app keeps about rooms, for a before/after comparison."""
    return {
        table: reader.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES
    }


def not_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


INVALID_UTF8 = st.binary(min_size=1, max_size=40).filter(not_utf8)


def form_body(fields):
    """Encode form fields, some of them raw bytes, as a browser would send them."""
    return urlencode(list(fields.items())).encode("ascii")


def one_bad_field(valid, bad_fields):
    return st.sampled_from(sorted(bad_fields)).flatmap(
        lambda key: bad_fields[key].map(lambda value: {**valid, key: value})
    )


CARD_LISTS_BAD = st.one_of(
    st.just(""),
    st.text(alphabet="0123456789", min_size=1, max_size=3),  # one card only
    st.just(" ".join(str(n) for n in range(voting_logic.MAX_CARDS + 1))),
    st.text(alphabet="abcdef", min_size=9, max_size=30).map(lambda c: f"1 {c}"),
    st.sampled_from(["1 1", "1 1.0", "? ☕", "1 \x01", "2 \x7f3", "3 \u202e4"]),
    INVALID_UTF8.filter(lambda b: not any(c in b for c in b" ,\t\n\r\x0b\x0c")),
)
FORM_DECK_BAD = st.text(min_size=1, max_size=30).filter(
    lambda deck: deck.strip() and deck not in DECK_IDS
)
FORM_NAME_BAD = (
    INVISIBLE
    | too_long(utils.TITLE_MAX)
    | st.integers(201, 400).map(lambda n: b"\xff" * n)
    # a short name with bytes that are not UTF-8: refused, not patched up
    | INVALID_UTF8.map(lambda junk: b"Team " + junk)
)
CREATE_FORM_BAD = one_bad_field(
    {"name": "Team", "deck": "fibonacci"},
    {"name": FORM_NAME_BAD, "deck": FORM_DECK_BAD | INVALID_UTF8},
) | CARD_LISTS_BAD.map(lambda cards: {"name": "Team", "deck": "custom", "cards": cards})

JSON_CARDS_BAD = (
    NOT_A_STRING.filter(lambda v: not isinstance(v, (list, str)))
    | st.lists(st.text(max_size=3), max_size=1)
    | st.lists(NOT_A_STRING, min_size=2, max_size=4)
    | st.lists(st.text(min_size=9, max_size=20), min_size=2, max_size=3)
    | st.just([str(n) for n in range(voting_logic.MAX_CARDS + 1)])
)
JSON_BODY_BAD = (
    NOT_A_DICT.filter(lambda body: not isinstance(body, bytes)).map(json.dumps)
    | one_bad_field(
        {"name": "Team", "deck": "fibonacci"},
        {
            "name": NOT_A_STRING
            | INVISIBLE
            | LONE_SURROGATES
            | too_long(utils.TITLE_MAX),
            # an empty or false deck means the default deck
            "deck": ANY_JSON.filter(
                lambda deck: deck and not (isinstance(deck, str) and deck in DECK_IDS)
            ),
        },
    ).map(json.dumps)
    | JSON_CARDS_BAD.map(
        lambda cards: json.dumps({"name": "Team", "deck": "custom", "cards": cards})
    )
).map(lambda text: text.encode("utf-8")) | st.one_of(
    INVALID_UTF8,
    INVALID_UTF8.map(lambda junk: b'{"name": "' + junk + b'"}'),
    st.just(b'{"name": "Team"'),
    st.just(b'{"name": "Team"} trailing'),
    st.just(b""),
    # built in the test, so a failure does not print 100 kB of brackets
    st.sampled_from(["deep list", "deep object"]),
)
DEEP = {"deep list": b"[" * 100_000, "deep object": b'{"a":' * 50_000}


def test_bad_create_form_is_refused_and_creates_nothing(client, reader, fuzz_report):
    token = _TOKEN.search(client.get("/").get_data(as_text=True)).group(1)

    @FUZZ
    @given(fields=CREATE_FORM_BAD)
    def attempt(fields):
        before = everything(reader)

        answer = client.post(
            "/",
            data=form_body({"csrf_token": token, **fields}),
            content_type="application/x-www-form-urlencoded",
        )

        fuzz_report.add("http POST /")
        assert answer.status_code == 400, fields
        assert everything(reader) == before

    attempt()
    assert fuzz_report.counts["http POST /"] >= MIN_TRIED
    assert_rooms_still_work(client)


def test_bad_api_create_is_refused_with_a_json_error(client, reader, fuzz_report):
    @FUZZ
    @given(body=JSON_BODY_BAD)
    def attempt(body):
        before = everything(reader)

        answer = client.post(
            "/api/rooms",
            data=DEEP.get(body, body),
            content_type="application/json; charset=utf-8",
        )

        fuzz_report.add("http POST /api/rooms")
        assert answer.status_code == 400, body[:200]
        error = answer.get_json()
        assert set(error) == {"error", "message"} and error["message"]
        assert everything(reader) == before

    attempt()
    assert fuzz_report.counts["http POST /api/rooms"] >= MIN_TRIED
    assert_rooms_still_work(client)


def test_oversized_bodies_are_refused(client, reader):
    before = everything(reader)
    huge = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'

    for path in ("/", "/api/rooms"):
        answer = client.post(path, data=huge, content_type="application/json")
        assert answer.status_code == 413
    assert everything(reader) == before


NOT_A_CODE = st.text(max_size=40) | st.binary(max_size=20).map(
    lambda raw: raw.decode("latin-1")
)


def test_unknown_room_codes_are_404(client, room_code, fuzz_report):
    @FUZZ
    @given(raw=NOT_A_CODE, invalid_bytes=INVALID_UTF8)
    def attempt(raw, invalid_bytes):
        if utils.normalize_room_code(raw) == room_code:
            return
        quoted = quote(raw, safe="")

        # an encoded slash may first be redirected to the merged path
        answers = [
            client.get(url, follow_redirects=True)
            for url in (
                f"/join?code={quoted}",
                f"/join?code={quote(invalid_bytes, safe='')}",
                f"/r/{quoted}",
                f"/r/{quote(invalid_bytes, safe='')}",
                f"/api/rooms/{quoted}",
            )
        ]

        fuzz_report.add("http GET /join, /r, /api/rooms")
        assert [a.status_code for a in answers] == [404] * 5, raw
        assert answers[-1].get_json()["error"] in ("room_not_found", "not_found")

    attempt()
    assert client.get(f"/r/{room_code}").status_code == 200
    assert client.get(f"/join?code={room_code.lower()}").status_code == 302


def assert_rooms_still_work(client):
    created = client.post("/api/rooms", json={"name": "Danach"})
    assert created.status_code == 201
    code = created.get_json()["code"]
    assert client.get(f"/r/{code}").status_code == 200


# The dashboard: each form with one bad field, as the logged-in admin.
STORY_FIELDS_BAD = {
    "title": INVISIBLE | too_long(utils.TITLE_MAX),
    "description": too_long(utils.DESCRIPTION_MAX),
    "link": st.sampled_from(
        [
            "javascript:alert(1)",
            "JaVaScRiPt:window.__xss=1",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example/x",
            "ftp://example.org/file",
            "http://",
            "https:///path",
        ]
    )
    | too_long(utils.LINK_MAX),
}


@pytest.fixture
def admin(client):
    assert admin_client.login(client).status_code == 302
    return client


@pytest.fixture
def story_id(app, admin, room_code):
    return admin_client.add_story(admin, app, room_code, "Vorhandene Story")


def dashboard_forms(code, story):
    """(path, fields) of every dashboard form, with one field made bad."""
    room = f"/admin/rooms/{code}"
    story_path = f"{room}/stories/{story}"
    good_story = {"title": "Story", "description": "", "link": ""}
    return st.one_of(
        CREATE_FORM_BAD.map(lambda fields: ("/admin/rooms", fields)),
        FORM_NAME_BAD.map(lambda name: (f"{room}/name", {"name": name})),
        one_bad_field({"deck": "custom"}, {"cards": CARD_LISTS_BAD}).map(
            lambda fields: (f"{room}/deck", fields)
        ),
        FORM_DECK_BAD.map(lambda deck: (f"{room}/deck", {"deck": deck})),
        one_bad_field(good_story, STORY_FIELDS_BAD).map(
            lambda fields: (f"{room}/stories", fields)
        ),
        one_bad_field(good_story, STORY_FIELDS_BAD).map(
            lambda fields: (story_path, fields)
        ),
        st.text(max_size=20)
        .filter(lambda d: d not in ("up", "down"))
        .map(lambda direction: (f"{story_path}/move", {"direction": direction})),
        st.text(max_size=20)
        .filter(lambda card: card not in voting_logic.DECKS["fibonacci"])
        .map(lambda card: (f"{story_path}/estimate", {"estimate": card})),
        st.sampled_from(["current", "skip", "delete", "estimate", ""]).flatmap(
            lambda action: st.integers(story + 1, 2**62).map(
                lambda other: (
                    f"{room}/stories/{other}" + (f"/{action}" if action else ""),
                    {"estimate": "5"},
                )
            )
        ),
        st.integers(1, 2**62).map(
            lambda pid: (f"{room}/participants/{pid}/remove", {})
        ),
        INVALID_UTF8.map(
            lambda junk: (
                f"{room}/import/confirm",
                {"payload": junk, "delimiter": junk},
            )
        ),
    )


def test_bad_dashboard_forms_are_refused_and_change_nothing(
    app, admin, room_code, story_id, reader, fuzz_report
):
    token = admin_client.csrf_token(admin, "/admin/")

    @settings(FUZZ, max_examples=80)
    @given(form=dashboard_forms(room_code, story_id))
    def attempt(form):
        path, fields = form
        before = everything(reader)

        answer = admin.post(
            path,
            data=form_body({"csrf_token": token, **fields}),
            content_type="application/x-www-form-urlencoded",
        )

        fuzz_report.add("http dashboard forms")
        assert answer.status_code in (302, 303, 400, 404, 413), (path, fields)
        assert everything(reader) == before, (path, fields)
        if answer.status_code in (302, 303):
            page = admin.get(answer.headers["Location"])
            assert page.status_code in (200, 404)
            if page.status_code == 200:
                assert "alert-error" in page.get_data(as_text=True), (path, fields)

    attempt()
    assert fuzz_report.counts["http dashboard forms"] >= MIN_TRIED
    assert admin_client.add_story(admin, app, room_code, "Danach") > story_id


def test_garbage_csv_uploads_never_fail_the_server(
    admin, room_code, reader, fuzz_report
):
    token = admin_client.csrf_token(admin, "/admin/")

    @FUZZ
    @given(data=st.binary(max_size=2000) | INVALID_UTF8)
    def attempt(data):
        before = everything(reader)

        answer = admin.post(
            f"/admin/rooms/{room_code}/import",
            data={"csrf_token": token, "file": (io.BytesIO(data), "stories.csv")},
            content_type="multipart/form-data",
        )

        fuzz_report.add("http CSV upload")
        assert answer.status_code in (200, 400), data[:100]
        assert everything(reader) == before

    attempt()
    assert fuzz_report.counts["http CSV upload"] >= MIN_TRIED


@pytest.mark.parametrize(
    "path",
    [
        "/admin/rooms/{bad}",
        "/admin/rooms/{bad}/history",
        "/admin/rooms/{bad}/import",
        "/admin/rooms/{bad}/export.csv",
        "/admin/rooms/{bad}/export.json",
        "/admin/rooms/{code}/stories/{number}",
    ],
)
def test_dashboard_pages_of_unknown_things_are_404(admin, room_code, fuzz_report, path):
    @settings(FUZZ, max_examples=15)
    @given(raw=NOT_A_CODE, number=st.integers(10_000, 2**62))
    def attempt(raw, number):
        if raw == room_code:
            return
        url = path.format(bad=quote(raw, safe=""), code=room_code, number=number)

        # an empty or slashed code may first be redirected to the merged path
        answer = admin.get(url, follow_redirects=True)

        fuzz_report.add("http dashboard pages")
        assert answer.status_code == 404, url

    attempt()


# The login and logout forms, before and after signing in.
LOGIN_VALUES = st.one_of(
    st.none(),  # the field is left out
    st.text(max_size=60),
    st.text(st.characters(whitelist_categories=["Cc"]), min_size=1, max_size=20),
    st.integers(1_000, 20_000).map(lambda n: "ä" * n),
    INVALID_UTF8,
)
BAD_TOKENS = st.one_of(
    st.none(),
    st.text(max_size=100),
    INVALID_UTF8,
    st.integers(1_000, 20_000).map(lambda n: "x" * n),
)
BODY_KINDS = ("form", "repeated fields", "file upload", "json")


def addresses():
    """Client addresses; some repeat, so the failed-login limit answers too."""
    return st.integers(1, 12).map(lambda n: f"10.0.0.{n}")


def login_request(kind, token, username, password):
    """Return test-client arguments that post the login form in `kind` of body."""
    fields = {
        key: value
        for key, value in (
            ("csrf_token", token),
            ("username", username),
            ("password", password),
        )
        if value is not None
    }
    if kind == "json":
        text = {
            k: v.decode("latin-1") if isinstance(v, bytes) else v
            for k, v in fields.items()
        }
        return {"json": text}
    if kind == "file upload":
        upload = fields.pop("password", b"")
        data = upload if isinstance(upload, bytes) else upload.encode()
        return {"data": {**fields, "password": (io.BytesIO(data), "pw.txt")}}
    pairs = list(fields.items())
    if kind == "repeated fields":
        pairs += [("username", admin_client.USERNAME), ("password", "noch-einmal")]
    return {
        "data": urlencode(pairs).encode("ascii"),
        "content_type": "application/x-www-form-urlencoded",
    }


def admin_sessions(reader):
    return reader.execute("SELECT id, ended_at FROM admin_sessions").fetchall()


def signed_in(client):
    answer = client.get("/admin/")
    return answer.status_code == 200


def test_bad_logins_are_refused_and_start_no_session(app, client, reader, fuzz_report):
    token = admin_client.csrf_token(client)

    @FUZZ
    @given(
        kind=st.sampled_from(BODY_KINDS),
        valid_token=st.booleans(),
        bad_token=BAD_TOKENS,
        username=LOGIN_VALUES,
        password=LOGIN_VALUES,
        address=addresses(),
    )
    def attempt(kind, valid_token, bad_token, username, password, address):
        sent_token = token if valid_token else bad_token

        answer = client.post(
            "/admin/login",
            environ_base={"REMOTE_ADDR": address},
            **login_request(kind, sent_token, username, password),
        )

        fuzz_report.add("http POST /admin/login")
        # a form field that is not UTF-8 is refused before the login looks at it
        not_utf8_form = kind in ("form", "repeated fields") and any(
            isinstance(value, bytes) for value in (username, password)
        )
        if valid_token and kind != "json" and not not_utf8_form:
            assert answer.status_code in (401, 429), (kind, username, password)
        else:
            assert answer.status_code == 400, (kind, sent_token, username, password)
        assert admin_sessions(reader) == []
        assert not signed_in(client)

    attempt()
    assert fuzz_report.counts["http POST /admin/login"] >= MIN_TRIED
    newcomer = app.test_client()
    newcomer.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    assert admin_client.login(newcomer).status_code == 302
    assert signed_in(newcomer)


def test_bad_logouts_are_refused_and_change_no_session(app, admin, reader, fuzz_report):
    stranger = app.test_client()
    admin_client.csrf_token(stranger)
    before = admin_sessions(reader)

    @FUZZ
    @given(
        token=BAD_TOKENS,
        extra=st.dictionaries(st.sampled_from(["username", "next", "x"]), LOGIN_VALUES),
        as_admin=st.booleans(),
    )
    def attempt(token, extra, as_admin):
        client = admin if as_admin else stranger
        fields = {"csrf_token": token, **extra}
        body = [(key, value) for key, value in fields.items() if value is not None]

        answer = client.post(
            "/admin/logout",
            data=urlencode(body).encode("ascii"),
            content_type="application/x-www-form-urlencoded",
        )

        fuzz_report.add("http POST /admin/logout")
        assert answer.status_code == 400, (token, extra)
        assert admin_sessions(reader) == before
        assert signed_in(admin) and not signed_in(stranger)

    attempt()
    assert fuzz_report.counts["http POST /admin/logout"] >= MIN_TRIED
    assert admin_client.post(admin, "/admin/logout").status_code == 302
    assert not signed_in(admin)
    (session,) = admin_sessions(reader)
    assert session[1] is not None
