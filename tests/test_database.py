"""The database layer on SQLite and PostgreSQL: migrations, transactions, restarts."""

import logging
import sqlite3
import threading
import time

import psycopg
import pytest

import database
import postgres
import schema
from app import create_app
from tests.conftest import BOTH

TABLES = {
    "rooms",
    "stories",
    "rounds",
    "participants",
    "votes",
    "connections",
    "admin_sessions",
    "admin_sockets",
    "instances",
}
# What the app fixture sets, so a second app reopens the same database alike.
RESTART_KEYS = (
    "ENV",
    "SECRET_KEY",
    "DB_PATH",
    "DATABASE_URL",
    "ASYNC_MODE",
    "TESTING",
)


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "poker.db")


@pytest.fixture(params=BOTH)
def where(request, db_path):
    """A SQLite file or an empty PostgreSQL database, not yet migrated."""
    if request.param == "sqlite":
        return db_path
    return request.getfixturevalue("database_url")


@pytest.fixture
def db(where):
    """A connection to a freshly migrated database, closed after the test."""
    database.migrate(where)
    connection = database.connect(where)
    yield connection
    connection.close()


@pytest.fixture
def sqlite_db(db_path):
    database.migrate(db_path)
    connection = database.connect(db_path)
    yield connection
    connection.close()


def schema_version(where):
    db = database.connect(where)
    try:
        return db.schema_version()
    finally:
        db.close()


def table_names(db):
    if db.kind == "sqlite":
        rows = db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    else:
        rows = db.execute(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name <> 'schema_version'"
        )
    return {row["name"] for row in rows}


def columns(db, table):
    if db.kind == "sqlite":
        rows = db.execute(f"PRAGMA table_info({table})")
    else:
        rows = db.execute(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_name = ?",
            (table,),
        )
    return {row["name"] for row in rows}


def migrate_by_hand(where, version):
    """Apply the first `version` migrations only, as an older release would have."""
    db = database.connect(where)
    try:
        with database.transaction(db):
            for script in schema.MIGRATIONS[:version]:
                for statement in schema.statements(script):
                    db.run_schema(statement)
            db.set_schema_version(version)
    finally:
        db.close()


def insert_room(db, code="K7M9PX", name="Team Alt"):
    now = time.time()
    room_id = db.execute(
        "INSERT INTO rooms (code, name, deck, cards, created_at, last_activity)"
        " VALUES (?, ?, 'fibonacci', '[\"1\", \"2\"]', ?, ?) RETURNING id",
        (code, name, now, now),
    ).fetchone()[0]
    db.execute(
        "INSERT INTO rounds (room_id, number, started_at) VALUES (?, 1, ?)",
        (room_id, now),
    )
    return room_id


@pytest.mark.parametrize("start", ["missing", "empty"])
def test_migrations_from_nothing_reach_the_schema_version(db_path, start):
    if start == "empty":
        open(db_path, "w").close()

    database.migrate(db_path)

    assert schema_version(db_path) == schema.SCHEMA_VERSION


def test_the_migrated_schema_has_every_table_and_column(db):
    assert table_names(db) == TABLES
    assert {"timer_deadline", "timer_seconds"} <= columns(db, "rooms")
    assert "previous_estimate" in columns(db, "stories")
    assert "instance" in columns(db, "connections")


def test_each_migration_is_logged_once_and_a_second_run_does_nothing(where, caplog):
    caplog.set_level(logging.INFO, logger="database")

    database.migrate(where)
    first = [record.getMessage() for record in caplog.records]
    caplog.clear()
    database.migrate(where)

    assert first == [
        f"database migrated to schema version {number}"
        for number in range(1, schema.SCHEMA_VERSION + 1)
    ]
    assert caplog.records == []
    assert schema_version(where) == schema.SCHEMA_VERSION


@pytest.mark.parametrize("version", range(1, schema.SCHEMA_VERSION))
def test_an_older_database_upgrades_and_keeps_its_data(where, version):
    migrate_by_hand(where, version)
    old = database.connect(where)
    with database.transaction(old):
        room_id = insert_room(old)
        old.execute(
            "INSERT INTO stories (room_id, title, position, created_at)"
            " VALUES (?, 'Login per SSO', 1, ?)",
            (room_id, time.time()),
        )
    old.close()

    database.migrate(where)

    assert schema_version(where) == schema.SCHEMA_VERSION
    db = database.connect(where)
    try:
        room = db.execute("SELECT * FROM rooms").fetchone()
        story = db.execute("SELECT * FROM stories").fetchone()
        rounds = db.execute("SELECT number FROM rounds").fetchall()
    finally:
        db.close()
    assert (room["id"], room["code"], room["name"]) == (room_id, "K7M9PX", "Team Alt")
    assert (room["timer_deadline"], room["timer_seconds"]) == (None, None)
    assert (story["title"], story["previous_estimate"]) == ("Login per SSO", "")
    assert [row["number"] for row in rounds] == [1]


def test_a_sqlite_connection_uses_wal_foreign_keys_and_a_busy_timeout(sqlite_db):
    db = sqlite_db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == database.BUSY_TIMEOUT_MS


def test_foreign_keys_refuse_a_round_of_an_unknown_room(db):
    with pytest.raises(database.Error, match="(?i)foreign key"):
        with database.transaction(db):
            db.execute(
                "INSERT INTO rounds (room_id, number, started_at) VALUES (999, 1, 0)"
            )


def test_deleting_a_room_deletes_its_rounds(db):
    with database.transaction(db):
        room_id = insert_room(db)

    with database.transaction(db):
        db.execute("DELETE FROM rooms WHERE id = ?", (room_id,))

    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0


def test_rows_are_addressable_by_column_name_and_position(db):
    with database.transaction(db):
        insert_room(db, name="Team Blau")

    row = db.execute("SELECT code, name FROM rooms").fetchone()

    assert (row["code"], row["name"]) == ("K7M9PX", "Team Blau")
    assert tuple(row) == ("K7M9PX", "Team Blau")
    assert dict(zip(row.keys(), row, strict=True)) == {
        "code": "K7M9PX",
        "name": "Team Blau",
    }


def test_unix_times_keep_their_fractions_of_a_second(db):
    with database.transaction(db):
        room_id = insert_room(db)
        db.execute(
            "UPDATE rooms SET last_activity = ? WHERE id = ?",
            (1_800_000_000.123456, room_id),
        )

    stored = db.execute("SELECT last_activity FROM rooms").fetchone()[0]

    assert stored == 1_800_000_000.123456


def test_named_placeholders_and_literals_with_question_marks(db):
    with database.transaction(db):
        room_id = insert_room(db)
        db.execute(
            "INSERT INTO stories (room_id, title, position, created_at)"
            " VALUES (:room, 'Was? 100% sicher?', :position, :now)",
            {"room": room_id, "position": 1, "now": time.time()},
        )

    title = db.execute("SELECT title FROM stories WHERE title LIKE '%?'").fetchone()

    assert title["title"] == "Was? 100% sicher?"


def test_a_transaction_commits_when_its_block_ends(db, where):
    with database.transaction(db):
        insert_room(db)

    other = database.connect(where)
    try:
        assert other.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] == 1
    finally:
        other.close()


def test_a_transaction_rolls_back_when_its_block_raises(db):
    with pytest.raises(RuntimeError, match="mitten drin"):
        with database.transaction(db):
            insert_room(db)
            raise RuntimeError("mitten drin")

    assert db.in_transaction is False
    assert db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0


def test_a_sqlite_transaction_holds_the_write_lock_from_its_start(sqlite_db, db_path):
    other = database.connect(db_path)
    other.execute("PRAGMA busy_timeout = 0")
    try:
        with database.transaction(sqlite_db):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


@pytest.mark.parametrize("where", BOTH[1:], indirect=True)
def test_a_locked_room_waits_for_the_other_connection_and_others_do_not(db, where):
    other = database.connect(where)
    other.execute("SET lock_timeout = '100ms'")
    try:
        with database.transaction(db):
            db.lock_room("K7M9PX")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                with database.transaction(other):
                    other.lock_room("K7M9PX")
            with database.transaction(other):
                other.lock_room("ABCDEF")
        with database.transaction(other):
            other.lock_room("K7M9PX")
    finally:
        other.close()


def test_closing_and_reopening_keeps_the_data(where):
    database.migrate(where)
    db = database.connect(where)
    with database.transaction(db):
        insert_room(db, name="Team Dauer")
    db.close()

    database.migrate(where)
    again = database.connect(where)
    try:
        names = [row["name"] for row in again.execute("SELECT name FROM rooms")]
    finally:
        again.close()

    assert names == ["Team Dauer"]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_a_restarted_app_serves_the_rooms_of_the_same_database(app, client):
    created = client.post("/api/rooms", json={"name": "Team Neustart"}).get_json()
    before = client.get(f"/api/rooms/{created['code']}").get_json()

    restarted = create_app({key: app.config[key] for key in RESTART_KEYS})
    after = restarted.test_client().get(f"/api/rooms/{created['code']}")
    database.close_idle(restarted)

    assert after.status_code == 200
    snapshot = after.get_json()
    assert snapshot["room"] == before["room"]
    assert snapshot["round"] == before["round"]
    assert snapshot["version"] == before["version"]


def test_one_connection_per_app_context_handed_on_when_it_ends(app):
    with app.app_context():
        db = database.get_db()
        same = database.get_db()
    with app.app_context():
        next_one = database.get_db()

    assert same is db
    assert next_one is db
    assert not db.in_transaction


def test_a_connection_left_inside_a_transaction_is_closed_not_handed_on(app):
    with app.app_context():
        db = database.get_db()
        db.execute("BEGIN")
    with app.app_context():
        next_one = database.get_db()

    assert next_one is not db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


@pytest.mark.parametrize(
    ("sql", "translated"),
    [
        ("SELECT * FROM rooms WHERE code = ?", "SELECT * FROM rooms WHERE code = %s"),
        ("VALUES (:room, :now)", "VALUES (%(room)s, %(now)s)"),
        ("WHERE title LIKE '%?' AND id = ?", "WHERE title LIKE '%%?' AND id = %s"),
        ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || %s"),
        ("SELECT 5 % 2, x::text", "SELECT 5 %% 2, x::text"),
    ],
)
def test_placeholders_are_translated_for_psycopg_outside_literals(sql, translated):
    assert postgres.translate(sql) == translated


def test_the_schema_gets_postgresql_column_types():
    statement = "CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL, realm TEXT)"

    assert postgres.translate_schema(statement) == (
        "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " at DOUBLE PRECISION, realm TEXT)"
    )


def test_the_pool_lends_at_most_its_size_and_a_third_taker_waits(db_path):
    database.migrate(db_path)
    pool = database.Pool(size=2)
    first, second = pool.take(db_path), pool.take(db_path)
    taken = []
    waiter = threading.Thread(target=lambda: taken.append(pool.take(db_path)))

    waiter.start()
    waiter.join(0.2)
    waiting = waiter.is_alive()
    pool.give_back(first)
    waiter.join(5)

    assert waiting and not waiter.is_alive()
    assert taken == [first]
    for db in (second, *taken):
        pool.give_back(db)
    pool.close_idle()
