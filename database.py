"""Database access: connections, transactions and migrations.

SQLite at DB_PATH is the default; DATABASE_URL=postgresql://... stores
everything in PostgreSQL instead (see postgres.py). Either way a request or
Socket.IO event takes one connection on first use and hands it back when it
ends; the rest of the app writes SQL with `?` placeholders and reads rows by
column name.
"""

import contextlib
import logging
import os
import sqlite3
import threading

from flask import current_app
from flask import g

import postgres
import schema

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Connections kept open between events. Each is used by one request or event
# at a time and handed on only when its transaction is over.
IDLE_CONNECTIONS = 8
# Connections one process uses at once.
MAX_CONNECTIONS = 20

Error = (sqlite3.Error, postgres.Error)


class DatabaseNotWritable(RuntimeError):
    """The database folder or file cannot be written by this process."""


class DatabaseUnavailable(RuntimeError):
    """The PostgreSQL server named by DATABASE_URL does not answer."""


class SQLiteConnection(sqlite3.Connection):
    """A sqlite3 connection that knows how this app begins and orders its changes."""

    kind = "sqlite"
    # IMMEDIATE takes the write lock at once, before the first read.
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN"

    def lock_room(self, code):
        """Nothing to do: BEGIN IMMEDIATE lets one writer in at a time."""

    def lock_schema(self):
        """Nothing to do: BEGIN IMMEDIATE lets one migration in at a time."""

    def schema_version(self):
        return self.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, number):
        self.execute(f"PRAGMA user_version = {int(number)}")

    def run_schema(self, statement):
        self.execute(statement)


def target(config):
    """Return where the app's data lives: DATABASE_URL if set, else DB_PATH."""
    return config.get("DATABASE_URL") or config["DB_PATH"]


def describe(where):
    """Name a database target for logs, without a password."""
    if postgres.is_url(where):
        return postgres.describe(where)
    return os.path.abspath(where)


def connect(where):
    """Open a connection to a SQLite file or a PostgreSQL URL."""
    if postgres.is_url(where):
        try:
            return postgres.PostgresConnection(where, BUSY_TIMEOUT_MS // 1000)
        except postgres.Error as failure:
            raise DatabaseUnavailable(
                f"cannot reach {postgres.describe(where)}: {failure}"
            ) from None

    db = sqlite3.connect(
        where,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        # a pooled connection may serve its next event on another thread
        check_same_thread=False,
        factory=SQLiteConnection,
    )
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def check_writable(path):
    """Raise DatabaseNotWritable unless this process can write the SQLite file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not os.access(folder, os.W_OK) or (
        os.path.exists(path) and not os.access(path, os.W_OK)
    ):
        raise DatabaseNotWritable(
            f"database folder {folder} is not writable by user id {os.getuid()}"
        )


def migrate(where):
    """Create or upgrade the database at `where` to the current schema."""
    if not postgres.is_url(where):
        check_writable(where)
    db = connect(where)
    try:
        if db.kind == "sqlite":
            db.execute("PRAGMA journal_mode = WAL")
        with transaction(db):
            db.lock_schema()
            version = db.schema_version()
            for number in range(version + 1, schema.SCHEMA_VERSION + 1):
                for statement in schema.statements(schema.MIGRATIONS[number - 1]):
                    db.run_schema(statement)
                db.set_schema_version(number)
                log.info("database migrated to schema version %d", number)
    finally:
        db.close()


@contextlib.contextmanager
def transaction(db):
    """Run the block as one write transaction, taken before any read."""
    db.execute(db.begin_write)
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def snapshot_read(db):
    """Run the block's queries against one consistent state of the database."""
    db.execute(db.begin_read)
    try:
        yield db
    finally:
        db.execute("COMMIT")


class Pool:
    """A process's connections: the idle ones to hand on, and a bound on how
    many are in use at once.

    With PostgreSQL every green thread waiting for an answer would otherwise
    open a connection of its own, and a burst of joins would run into the
    server's limit (100 by default, for all app processes together). A
    request or event that finds every connection in use waits for one.
    """

    def __init__(self, size=MAX_CONNECTIONS):
        self.idle = []
        self.slots = threading.BoundedSemaphore(size)

    def take(self, where):
        self.slots.acquire()
        try:
            return self.idle.pop() if self.idle else connect(where)
        except BaseException:
            self.slots.release()
            raise

    def give_back(self, db, reusable=True):
        """Keep `db` for the next taker, or close it; free its slot either way."""
        try:
            if reusable and not db.in_transaction and len(self.idle) < IDLE_CONNECTIONS:
                self.idle.append(db)
            else:
                with contextlib.suppress(*Error):
                    db.close()
        finally:
            self.slots.release()

    def close_idle(self):
        while self.idle:
            self.idle.pop().close()


def get_db():
    """Return this request's or event's connection, taking it on first use.

    Connections come from the app's pool, so an event pays neither for
    opening a connection nor, with SQLite, for the checkpoint of the whole
    write-ahead log that closing the last connection runs.
    """
    if "db" not in g:
        pool = current_app.extensions["database_pool"]
        g.db = pool.take(target(current_app.config))
    return g.db


def close_db(_exception=None):
    """Give the ending request's or event's connection back to the pool."""
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["database_pool"].give_back(db)


def is_healthy():
    """Tell whether the database answers a trivial query."""
    try:
        get_db().execute("SELECT 1 FROM rooms LIMIT 1").fetchall()
    except (*Error, DatabaseUnavailable):
        log.exception("health check: database does not answer")
        discard_db()
        return False
    return True


def discard_db():
    """Close this context's connection instead of handing it back."""
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["database_pool"].give_back(db, reusable=False)


def close_idle(app):
    """Close the connections the app keeps between events."""
    app.extensions["database_pool"].close_idle()


def init_app(app):
    """Migrate the database and return connections when a context ends."""
    migrate(target(app.config))
    app.extensions["database_pool"] = Pool()
    app.teardown_appcontext(close_db)
