"""The database schema as a list of migrations, one per schema version.

Each entry moves the schema one version up; never edit a released entry,
append a new one instead. The statements are written in SQLite's dialect;
`postgres.translate_schema` turns the two column types that differ into
PostgreSQL's.
"""

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
    """
    CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at REAL NOT NULL,
        seen_at REAL NOT NULL
    );
    ALTER TABLE connections ADD COLUMN instance TEXT NOT NULL DEFAULT '';
    CREATE INDEX connections_by_instance ON connections (instance);
    CREATE TABLE admin_sockets (
        sid TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES admin_sessions (id) ON DELETE CASCADE,
        instance TEXT NOT NULL
    );
    CREATE INDEX admin_sockets_by_session ON admin_sockets (session_id);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script):
    """Split a migration into its statements."""
    return [statement for statement in script.split(";") if statement.strip()]
