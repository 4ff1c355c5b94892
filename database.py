"""SQLite access: one connection per request or event, schema and migrations."""

import contextlib
import logging
import os
import sqlite3

from flask import current_app
from flask import g

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Connections kept open between events. Each is used by one request or event
# at a time and handed on only when its transaction is over.
IDLE_CONNECTIONS = 8

# Each entry moves the schema one version up; never edit a released entry,
# append a new one instead. PRAGMA user_version records how far a file got.
MIGRATIONS = (
    """
    CREATE TABLE rooms (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        deck TEXT NOT NULL,
        cards TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        version INTEGER NOT NULL DEFAULT 0,
        archived INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        last_activity REAL NOT NULL
    );
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        link TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        final_estimate TEXT,
        estimated_by TEXT,
        estimated_at REAL,
        created_at REAL NOT NULL
    );
    CREATE INDEX stories_by_room ON stories (room_id, position);
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL,
        number INTEGER NOT NULL,
        revealed INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        started_at REAL NOT NULL,
        first_vote_at REAL,
        revealed_at REAL
    );
    CREATE INDEX rounds_by_room ON rounds (room_id, id);
    CREATE INDEX rounds_by_story ON rounds (story_id, id);
    CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        is_moderator INTEGER NOT NULL DEFAULT 0,
        present INTEGER NOT NULL DEFAULT 1,
        joined_at REAL NOT NULL,
        last_seen REAL NOT NULL,
        UNIQUE (room_id, client_id)
    );
    CREATE TABLE votes (
        round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
        participant_id INTEGER NOT NULL
            REFERENCES participants (id) ON DELETE CASCADE,
        value TEXT NOT NULL,
        cast_at REAL NOT NULL,
        PRIMARY KEY (round_id, participant_id)
    );
    CREATE INDEX votes_by_participant ON votes (participant_id);
    CREATE TABLE connections (
        sid TEXT PRIMARY KEY,
        participant_id INTEGER NOT NULL
            REFERENCES participants (id) ON DELETE CASCADE,
        room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        connected_at REAL NOT NULL
    );
    CREATE INDEX connections_by_participant ON connections (participant_id);
    CREATE INDEX connections_by_room ON connections (room_id);
    """,
    """
    CREATE TABLE admin_sessions (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL
    );
    ALTER TABLE rooms ADD COLUMN timer_deadline REAL;
    ALTER TABLE rooms ADD COLUMN timer_seconds INTEGER;
    CREATE INDEX rooms_by_timer ON rooms (timer_deadline)
        WHERE timer_deadline IS NOT NULL;
    """,
    """
    ALTER TABLE stories ADD COLUMN previous_estimate TEXT NOT NULL DEFAULT '';
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseNotWritable(RuntimeError):
    """The database folder or file cannot be written by this process."""


def connect(path):
    """Open a connection with the pragmas every connection of this app needs."""
    db = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        # a pooled connection may serve its next event on another thread
        check_same_thread=False,
    )
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def migrate(path):
    """Create or upgrade the database file at `path` to the current schema."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not os.access(folder, os.W_OK) or (
        os.path.exists(path) and not os.access(path, os.W_OK)
    ):
        raise DatabaseNotWritable(
            f"database folder {folder} is not writable by user id {os.getuid()}"
        )

    db = connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with transaction(db):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
            log.info("database migrated to schema version %d", number)
    finally:
        db.close()


@contextlib.contextmanager
def transaction(db):
    """Run the block as one write transaction, taken before any read."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def get_db():
    """Return this request's or event's connection, taking it on first use.

    Connections come from the app's pool of idle ones, so an event pays
    neither for opening a file nor, when the last connection closes, for
    SQLite's checkpoint of the whole write-ahead log.
    """
    if "db" not in g:
        idle = current_app.extensions["database_pool"]
        g.db = idle.pop() if idle else connect(current_app.config["DB_PATH"])
    return g.db


def close_db(_exception=None):
    """Give the ending request's or event's connection back to the pool."""
    db = g.pop("db", None)
    if db is None:
        return
    idle = current_app.extensions["database_pool"]
    if db.in_transaction or len(idle) >= IDLE_CONNECTIONS:
        db.close()
    else:
        idle.append(db)


def is_healthy():
    """Tell whether the database answers a trivial query."""
    try:
        get_db().execute("SELECT 1 FROM rooms LIMIT 1").fetchall()
    except sqlite3.Error:
        log.exception("health check: database does not answer")
        return False
    return True


def init_app(app):
    """Migrate the database and return connections when a context ends."""
    migrate(app.config["DB_PATH"])
    app.extensions["database_pool"] = []
    app.teardown_appcontext(close_db)
