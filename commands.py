"""Command-line tools for operators: `flask --app app backup` and `restore`.

Both use SQLite's online backup API, which copies a consistent snapshot
page by page. Copying the database file with `cp` while the app runs is not
safe: with WAL, the newest transactions live in `poker.db-wal` until a
checkpoint moves them into the main file.
"""

import contextlib
import os
import socket
import sqlite3
import time

import click
from flask import current_app
from flask.cli import with_appcontext

import database

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
    if version > database.SCHEMA_VERSION:
        raise BadDatabase(
            f"{path} has schema version {version}, newer than this app's "
            f"{database.SCHEMA_VERSION}: restore it with the newer app version"
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


def app_answers(host, port):
    """Tell whether something accepts connections on the app's address."""
    # the wildcard is where the app listens, not where we bind
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  # nosec B104
        host = "127.0.0.1"
    with contextlib.suppress(OSError):
        with socket.create_connection((host, port), timeout=1):
            return True
    return False


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=True, writable=True))
@with_appcontext
def backup_command(dest):
    """Copy the live database to DEST (a file, or a folder for a dated name)."""
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
    config = current_app.config
    target = config["DB_PATH"]
    version = check_database(src)
    if app_answers(config["HOST"], config["PORT"]):
        raise click.ClickException(
            f"something answers on {config['HOST']}:{config['PORT']}: stop the app "
            "before restoring, then start it again afterwards"
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
