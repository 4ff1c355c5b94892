"""Moving a SQLite database into PostgreSQL with `flask --app app copy-to-postgres`."""

import pytest

import database
import rooms
from app import create_app
from tests.conftest import needs_tool
from tests.services import POSTGRES

pytestmark = needs_tool(POSTGRES)

TEAM = ("Anna", "Ben", "Cem")


def sqlite_app(tmp_path):
    return create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "test-secret",
            "DB_PATH": str(tmp_path / "poker.db"),
            "ASYNC_MODE": "threading",
            "TESTING": True,
        }
    )


def play(db, code, rounds):
    """Join the team, then play `rounds` revealed rounds of a new story each."""
    room = rooms.require_room(db, code)
    people = [
        rooms.join(db, room, f"client-{name.lower()}-1", name, "voter", f"sid-{name}")
        for name in TEAM
    ]
    for number in range(rounds):
        rooms.set_story(db, room, f"Story {number + 1}")
        for offset, person in enumerate(people):
            card = ("1", "2", "3", "5", "8", "13")[(number + offset) % 6]
            rooms.cast_vote(db, room, person, card)
        rooms.reveal(db, room)
    rooms.new_round(db, room)
    rooms.cast_vote(db, room, people[0], "5")


@pytest.fixture
def filled(tmp_path):
    """A SQLite app with two rooms that played rounds, and its rooms' snapshots."""
    app = sqlite_app(tmp_path)
    db = database.connect(app.config["DB_PATH"])
    try:
        with database.transaction(db):
            codes = [rooms.create_room(db, name, "fibonacci") for name in ("A", "B")]
            play(db, codes[0], rounds=3)
            play(db, codes[1], rounds=2)
            db.execute("DELETE FROM connections")
    finally:
        db.close()
    client = app.test_client()
    before = {code: client.get(f"/api/rooms/{code}").get_json() for code in codes}
    database.close_idle(app)
    return app, before


def without_clock(state):
    return {key: value for key, value in state.items() if key != "server_time"}


def test_the_copy_keeps_every_row_and_every_revealed_result(filled, database_url):
    app, before = filled

    result = app.test_cli_runner().invoke(args=["copy-to-postgres", database_url])

    assert result.exit_code == 0, result.output
    for counted in ("rooms: 2", "stories: 5", "rounds: 9", "participants: 6"):
        assert counted in result.output
    assert "votes: 17" in result.output
    assert "counts and revealed results match" in result.output
    moved = create_app({**app.config, "DATABASE_URL": database_url})
    client = moved.test_client()
    for code, state in before.items():
        after = client.get(f"/api/rooms/{code}").get_json()
        assert without_clock(after) == without_clock(state)
    created = client.post("/api/rooms", json={"name": "Nach dem Umzug"})
    assert created.status_code == 201
    database.close_idle(moved)


def test_a_database_that_is_not_empty_is_refused(filled, database_url):
    app, _before = filled
    runner = app.test_cli_runner()
    assert runner.invoke(args=["copy-to-postgres", database_url]).exit_code == 0

    again = runner.invoke(args=["copy-to-postgres", database_url])

    assert again.exit_code == 1
    assert "is not empty" in again.output


def test_a_target_that_is_not_postgresql_is_refused(filled, tmp_path):
    app, _before = filled

    result = app.test_cli_runner().invoke(
        args=["copy-to-postgres", str(tmp_path / "other.db")]
    )

    assert result.exit_code == 1
    assert "postgresql://" in result.output


@pytest.mark.parametrize(
    ("command", "advice"), [("backup", "pg_dump"), ("restore", "pg_restore")]
)
def test_sqlite_backup_and_restore_point_to_postgresql_tools(
    tmp_path, database_url, command, advice
):
    app = create_app({**sqlite_app(tmp_path).config, "DATABASE_URL": database_url})
    (tmp_path / "copy.db").touch()

    result = app.test_cli_runner().invoke(args=[command, str(tmp_path / "copy.db")])
    database.close_idle(app)

    assert result.exit_code == 1
    assert "DATABASE_URL is set: the data lives in PostgreSQL; " in result.output
    assert advice in result.output
