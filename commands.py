"""Command-line tools for operators: `flask --app app backup` and `restore`.

Both use SQLite's online backup API, which copies a consistent snapshot
page by page. Copying the database file with `cp` while the app runs is not
safe: with WAL, the newest transactions live in `poker.db-wal` until a
checkpoint moves them into the main file.
"""

import contextlib
import fcntl
import os
import sqlite3
import time

import click
from flask import current_app
from flask.cli import with_appcontext

import database
import schema

# Tables every database of this app has had since the first schema version.
REQUIRED_TABLES = ("rooms", "stories", "rounds", "participants", "votes")


class BadDatabase(click.ClickException):
    """The file is damaged or is not a Planning Poker database."""


def open_readonly(path):
    """Open an existing database file without creating or changing it."""
    if not os.path.isfile(path):
        raise BadDatabase(f"{path} does not exist or is not a file")
    uri = f"file:{os.path.abspath(path)}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=database.BUSY_TIMEOUT_MS / 1000)


def integrity_problems(db):
    """Return the problems PRAGMA integrity_check finds; an empty list when sound."""
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as failure:
        return [str(failure)]
    problems = [row[0] for row in rows]
    return [] if problems == ["ok"] else problems


def check_database(path):
    """Return the schema version of a sound app database; raise BadDatabase if not."""
    try:
        db = open_readonly(path)
    except sqlite3.Error as failure:
        raise BadDatabase(f"{path} cannot be opened: {failure}") from None

    try:
        problems = integrity_problems(db)
        if problems:
            listed = "; ".join(problems[:5])
            raise BadDatabase(f"{path} fails the integrity check: {listed}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        db.close()

    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if version < 1 or missing:
        raise BadDatabase(f"{path} is not a Planning Poker database")
    if version > schema.SCHEMA_VERSION:
        raise BadDatabase(
            f"{path} has schema version {version}, newer than this app's "
            f"{schema.SCHEMA_VERSION}: restore it with the newer app version"
        )
    return version


def copy_database(source, target):
    """Copy the database at `source` into `target` with the online backup API."""
    src = sqlite3.connect(source, timeout=database.BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target, timeout=database.BUSY_TIMEOUT_MS / 1000)
    try:
        # One step: the copy is a single read snapshot, and under WAL the
        # app keeps writing meanwhile. Stepping page by page would restart
        # the copy on every write the app makes.
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def backup_name(folder):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join(folder, f"poker-{stamp}.db")


def lock_path(db_path):
    return f"{db_path}.lock"


def hold_serving_lock(db_path):
    """Take the shared lock that tells `restore` an app process serves this file.

    Returns the open lock file; the lock lasts while the process keeps it
    open, and ends with the process, however it ends.
    """
    handle = open(lock_path(db_path), "a")  # noqa: SIM115
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def database_in_use(db_path):
    """Tell whether an app process holds the serving lock of the database file."""
    if not os.path.exists(lock_path(db_path)):
        return False
    with open(lock_path(db_path), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


def refuse_postgresql(advice):
    """Stop a SQLite command when the app's data lives in PostgreSQL."""
    if current_app.config.get("DATABASE_URL"):
        raise click.ClickException(
            f"DATABASE_URL is set: the data lives in PostgreSQL; {advice}"
            " (OPERATIONS.md)"
        )


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=True, writable=True))
@with_appcontext
def backup_command(dest):
    """Copy the live database to DEST (a file, or a folder for a dated name)."""
    refuse_postgresql("back it up with pg_dump")
    source = current_app.config["DB_PATH"]
    target = backup_name(dest) if os.path.isdir(dest) else dest
    partial = f"{target}.partial"

    for leftover in (partial, f"{partial}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
    try:
        copy_database(source, partial)
    except sqlite3.Error as failure:
        raise click.ClickException(f"cannot write {target}: {failure}") from None
    db = sqlite3.connect(partial)
    try:
        # A backup is one self-contained file, without -wal and -shm.
        db.execute("PRAGMA journal_mode = DELETE")
        problems = integrity_problems(db)
    finally:
        db.close()
    if problems:
        os.remove(partial)
        raise click.ClickException(
            "the copy fails the integrity check: " + "; ".join(problems[:5])
        )

    os.replace(partial, target)
    click.echo(f"backup written to {target} (integrity check ok)")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(src):
    """Replace the database with the backup SRC; the app must be stopped first."""
    refuse_postgresql("restore it with pg_restore")
    target = current_app.config["DB_PATH"]
    version = check_database(src)
    if database_in_use(target):
        raise click.ClickException(
            f"an app process serves {target}: stop the app before restoring,"
            " then start it again afterwards"
        )

    if os.path.exists(target):
        kept = f"{target}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}"
        copy_database(target, kept)
        click.echo(f"current database kept as {kept}")
    copy_database(src, target)
    database.migrate(target)
    click.echo(f"restored {src} (schema version {version}) into {target}")


def init_app(app):
    """Add the backup and restore commands to `flask --app app`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
