"""`flask --app app copy-to-postgres URL`: move the SQLite data into PostgreSQL.

For the switch to several app processes (OPERATIONS.md): the app is
stopped, the command copies every room, story, round, vote and admin session
from DB_PATH into an empty PostgreSQL database in one transaction, keeps
their ids, and compares the counts and the revealed results afterwards.
Connections are not copied: nobody is connected while the app is stopped.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

import commands
import database
import postgres

# Parents before children, so every foreign key finds its row.
TABLES = ("rooms", "stories", "rounds", "participants", "votes", "admin_sessions")
# Tables whose ids PostgreSQL numbers itself from now on.
NUMBERED = ("rooms", "stories", "rounds", "participants")


class CopyRefused(click.ClickException):
    """The target is not an empty PostgreSQL database, or the copy differs."""


def column_names(source, table):
    return [row["name"] for row in source.execute(f"PRAGMA table_info({table})")]


# Table and column names below come from TABLES and the schema, never from
# input, so building statements from them is safe (S608 / B608).


def copy_table(source, target, table):
    """Copy every row of `table`; return how many there were."""
    names = ", ".join(column_names(source, table))
    slots = ", ".join("?" for _name in column_names(source, table))
    read = f"SELECT {names} FROM {table}"  # noqa: S608  # nosec B608
    write = f"INSERT INTO {table} ({names}) VALUES ({slots})"  # noqa: S608  # nosec B608
    rows = [tuple(row) for row in source.execute(read)]
    if rows:
        target.executemany(write, rows)
    return len(rows)


def renumber(target, table):
    """Let the table's identity column go on after the highest copied id."""
    highest = f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"  # noqa: S608  # nosec B608
    target.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({highest}), false)"
    )


def counts(db):
    """Return {table: number of rows}."""
    found = {}
    for table in TABLES:
        count = f"SELECT COUNT(*) FROM {table}"  # noqa: S608  # nosec B608
        found[table] = db.execute(count).fetchone()[0]
    return found


def revealed_results(db):
    """Return {round id: result} of every revealed round."""
    rows = db.execute("SELECT id, result FROM rounds WHERE revealed = 1")
    return {row["id"]: row["result"] for row in rows}


def copy_all(source_path, url):
    """Copy the SQLite database into the empty PostgreSQL one; return the counts."""
    database.migrate(url)
    source = database.connect(source_path)
    target = database.connect(url)
    try:
        if any(counts(target).values()):
            raise CopyRefused(f"{postgres.describe(url)} is not empty")
        with database.snapshot_read(source), database.transaction(target):
            for table in TABLES:
                copy_table(source, target, table)
            for table in NUMBERED:
                renumber(target, table)
        copied, original = counts(target), counts(source)
        if copied != original:
            raise CopyRefused(f"counts differ: {original} in SQLite, {copied} now")
        if revealed_results(target) != revealed_results(source):
            raise CopyRefused("the revealed results differ after the copy")
    finally:
        source.close()
        target.close()
    return copied


@click.command("copy-to-postgres")
@click.argument("url")
@with_appcontext
def copy_to_postgres_command(url):
    """Copy the SQLite database at DB_PATH into the empty PostgreSQL database URL."""
    if not postgres.is_url(url):
        raise CopyRefused("URL must be a postgresql://... address")
    source = current_app.config["DB_PATH"]
    commands.check_database(source)
    try:
        copied = copy_all(source, url)
    except database.DatabaseUnavailable as failure:
        raise CopyRefused(str(failure)) from None

    for table, number in copied.items():
        click.echo(f"{table}: {number}")
    click.echo(
        f"copied into {postgres.describe(url)}; counts and revealed results match."
        " Set DATABASE_URL to it and start the app."
    )
