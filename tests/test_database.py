"""The SQLite layer: migrations, connection pragmas, transactions and restarts."""

import logging
import sqlite3
import time

import pytest

import database
from app import create_app

TABLES = {
    "rooms",
    "stories",
    "rounds",
    "participants",
    "votes",
    "connections",
    "admin_sessions",
}
# What the app fixture sets, so a second app reopens the same database alike.
RESTART_KEYS = ("ENV", "SECRET_KEY", "DB_PATH", "ASYNC_MODE", "TESTING")


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "poker.db")


@pytest.fixture
def db(db_path):
    """A connection to a freshly migrated database, closed after the test."""
    database.migrate(db_path)
    connection = database.connect(db_path)
    yield connection
    connection.close()


def user_version(path):
    plain = sqlite3.connect(path)
    try:
        return plain.execute("PRAGMA user_version").fetchone()[0]
    finally:
        plain.close()


def table_names(db):
    rows = db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
    return {row["name"] for row in rows}


def columns(db, table):
    return {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}


def migrate_by_hand(path, version):
    """Apply the first `version` migrations only, as an older release would have."""
    plain = sqlite3.connect(path)
    try:
        for script in database.MIGRATIONS[:version]:
            plain.executescript(script)
        plain.execute(f"PRAGMA user_version = {version}")
        plain.commit()
    finally:
        plain.close()


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

    assert user_version(db_path) == database.SCHEMA_VERSION
    db = database.connect(db_path)
    try:
        assert table_names(db) == TABLES
        assert {"timer_deadline", "timer_seconds"} <= columns(db, "rooms")
        assert "previous_estimate" in columns(db, "stories")
    finally:
        db.close()


def test_each_migration_is_logged_once_and_a_second_run_does_nothing(db_path, caplog):
    caplog.set_level(logging.INFO, logger="database")

    database.migrate(db_path)
    first = [record.getMessage() for record in caplog.records]
    caplog.clear()
    database.migrate(db_path)

    assert first == [
        f"database migrated to schema version {number}"
        for number in range(1, database.SCHEMA_VERSION + 1)
    ]
    assert caplog.records == []
    assert user_version(db_path) == database.SCHEMA_VERSION


@pytest.mark.parametrize("version", range(1, database.SCHEMA_VERSION))
def test_an_older_database_upgrades_and_keeps_its_data(db_path, version):
    migrate_by_hand(db_path, version)
    old = sqlite3.connect(db_path)
    old.row_factory = sqlite3.Row
    with old:
        room_id = insert_room(old)
        old.execute(
            "INSERT INTO stories (room_id, title, position, created_at)"
            " VALUES (?, 'Login per SSO', 1, ?)",
            (room_id, time.time()),
        )
    old.close()

    database.migrate(db_path)

    assert user_version(db_path) == database.SCHEMA_VERSION
    db = database.connect(db_path)
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


def test_a_connection_uses_wal_foreign_keys_and_a_busy_timeout(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == database.BUSY_TIMEOUT_MS


def test_foreign_keys_refuse_a_round_of_an_unknown_room(db):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(
            "INSERT INTO rounds (room_id, number, started_at) VALUES (999, 1, 0)"
        )


def test_deleting_a_room_deletes_its_rounds(db):
    with database.transaction(db):
        room_id = insert_room(db)

    with database.transaction(db):
        db.execute("DELETE FROM rooms WHERE id = ?", (room_id,))

    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0


def test_rows_are_addressable_by_column_name(db):
    with database.transaction(db):
        insert_room(db, name="Team Blau")

    row = db.execute("SELECT code, name FROM rooms").fetchone()

    assert (row["code"], row["name"]) == ("K7M9PX", "Team Blau")


def test_a_transaction_commits_when_its_block_ends(db, db_path):
    with database.transaction(db):
        insert_room(db)

    other = database.connect(db_path)
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


def test_a_transaction_holds_the_write_lock_from_its_start(db, db_path):
    other = database.connect(db_path)
    other.execute("PRAGMA busy_timeout = 0")
    try:
        with database.transaction(db):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_closing_and_reopening_keeps_the_data(db_path):
    database.migrate(db_path)
    db = database.connect(db_path)
    with database.transaction(db):
        insert_room(db, name="Team Dauer")
    db.close()

    database.migrate(db_path)
    again = database.connect(db_path)
    try:
        names = [row["name"] for row in again.execute("SELECT name FROM rooms")]
    finally:
        again.close()

    assert names == ["Team Dauer"]


def test_a_restarted_app_serves_the_rooms_of_the_same_database(app, client):
    created = client.post("/api/rooms", json={"name": "Team Neustart"}).get_json()
    before = client.get(f"/api/rooms/{created['code']}").get_json()

    restarted = create_app({key: app.config[key] for key in RESTART_KEYS})
    after = restarted.test_client().get(f"/api/rooms/{created['code']}")

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
