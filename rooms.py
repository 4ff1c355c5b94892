"""Room state in the database: rooms, rounds, participants and votes.

Every function takes an open connection; the caller wraps changes in
`database.transaction` and holds the room's lock, so changes to one room
are applied one after the other.
"""

import functools
import json
import time

import utils
import voting_logic

ROLES = ("voter", "observer")

# Every time stored for a room comes from here, so tests can set the clock.
clock = time.time
# Offline this long without a card in the current round: gone home, not
# just reconnecting. Such people leave the list when someone joins.
GONE_AFTER_SECONDS = 2 * 60 * 60


class RoomError(Exception):
    """A request that the room refuses; `code` for programs, `message` for people."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def create_room(db, name, deck_id, cards=None):
    """Create a room with its first round and return its code."""
    deck = voting_logic.resolve_deck(deck_id, cards)
    now = clock()

    for _attempt in range(10):
        code = utils.new_room_code()
        created = db.execute(
            "INSERT INTO rooms (code, name, deck, cards, created_at, last_activity)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING RETURNING id",
            (code, name, deck_id, json.dumps(deck), now, now),
        ).fetchone()
        if created is not None:
            start_round(db, created["id"], story_id=None)
            return code
    raise RoomError("server_error", "Es konnte kein freier Raumcode gefunden werden.")


def find_room(db, code):
    """Return the room row for a code, or None."""
    code = utils.normalize_room_code(code)
    if code is None:
        return None
    return db.execute("SELECT * FROM rooms WHERE code = ?", (code,)).fetchone()


def require_room(db, code):
    """Return the room row for a code, or raise `room_not_found`."""
    room = find_room(db, code)
    if room is None:
        raise RoomError("room_not_found", "Diesen Raum gibt es nicht.")
    return room


def room_cards(room):
    return cards_from_json(room["cards"])


@functools.lru_cache(maxsize=1024)
def cards_from_json(text):
    """Return a deck stored as JSON as a tuple; rooms share a few decks."""
    return tuple(json.loads(text))


def current_round(db, room_id):
    """Return the room's latest round."""
    return db.execute(
        "SELECT * FROM rounds WHERE room_id = ? ORDER BY id DESC LIMIT 1", (room_id,)
    ).fetchone()


def start_round(db, room_id, story_id):
    """Open a new round for `story_id`, numbered after that story's last round."""
    last = db.execute(
        "SELECT MAX(number) FROM rounds"
        " WHERE room_id = ? AND story_id IS NOT DISTINCT FROM ?",
        (room_id, story_id),
    ).fetchone()[0]
    db.execute(
        "INSERT INTO rounds (room_id, story_id, number, started_at)"
        " VALUES (?, ?, ?, ?)",
        (room_id, story_id, (last or 0) + 1, clock()),
    )
    touch(db, room_id)


def touch(db, room_id):
    """Count a change of the room, so clients can drop older snapshots."""
    db.execute(
        "UPDATE rooms SET version = version + 1, last_activity = ? WHERE id = ?",
        (clock(), room_id),
    )


def join(db, room, client_id, name, role, sid, moderator=False, instance=""):
    """Add or refresh the participant behind `client_id` and bind `sid` to them.

    `moderator` makes them a moderator; a rejoin never takes that away.
    `instance` names the app process that holds the connection. Whoever has
    been gone for GONE_AFTER_SECONDS leaves the list on the way.
    """
    now = clock()
    participant = db.execute(
        "INSERT INTO participants"
        " (room_id, client_id, name, role, is_moderator, joined_at, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (room_id, client_id) DO UPDATE SET"
        " name = excluded.name, role = excluded.role, present = 1,"
        " is_moderator = CASE WHEN excluded.is_moderator = 1 THEN 1"
        " ELSE participants.is_moderator END,"
        " last_seen = excluded.last_seen"
        " RETURNING *",
        (room["id"], client_id, name, role, int(moderator), now, now),
    ).fetchone()
    if role == "observer":
        round_ = current_round(db, room["id"])
        if not round_["revealed"]:
            db.execute(
                "DELETE FROM votes WHERE round_id = ? AND participant_id = ?",
                (round_["id"], participant["id"]),
            )

    db.execute(
        "INSERT INTO connections (sid, participant_id, room_id, connected_at, instance)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sid) DO UPDATE SET"
        " participant_id = excluded.participant_id, room_id = excluded.room_id",
        (sid, participant["id"], room["id"], now, instance),
    )
    _forget_the_gone(db, room, now)
    touch(db, room["id"])
    return participant


def connection_of(db, sid):
    """Return (room, participant) bound to a Socket.IO session, else `not_joined`."""
    row = db.execute(
        "SELECT participant_id, room_id FROM connections WHERE sid = ?", (sid,)
    ).fetchone()
    if row is None:
        raise RoomError("not_joined", "Bitte zuerst einem Raum beitreten.")
    room = db.execute("SELECT * FROM rooms WHERE id = ?", (row["room_id"],)).fetchone()
    participant = db.execute(
        "SELECT * FROM participants WHERE id = ?", (row["participant_id"],)
    ).fetchone()
    return room, participant


def participant_of(db, sid, room_id):
    """Return the participant bound to a Socket.IO session in the room, else
    raise `not_joined`."""
    participant = db.execute(
        "SELECT p.* FROM connections c JOIN participants p ON p.id = c.participant_id"
        " WHERE c.sid = ? AND c.room_id = ?",
        (sid, room_id),
    ).fetchone()
    if participant is None:
        raise RoomError("not_joined", "Bitte zuerst einem Raum beitreten.")
    return participant


def connection_sids(db, participant_id):
    """Return the Socket.IO sessions bound to a participant."""
    return [
        row["sid"]
        for row in db.execute(
            "SELECT sid FROM connections WHERE participant_id = ?", (participant_id,)
        )
    ]


def own_vote(db, room_id, participant_id):
    """Return the participant's card in the current round, or None."""
    row = db.execute(
        "SELECT value FROM votes WHERE participant_id = ? AND round_id ="
        " (SELECT MAX(id) FROM rounds WHERE room_id = ?)",
        (participant_id, room_id),
    ).fetchone()
    return row["value"] if row else None


def cast_vote(db, room, participant, value):
    """Record, change or (with None) withdraw the participant's card."""
    if participant["role"] != "voter":
        raise RoomError("not_allowed", "Beobachter können nicht abstimmen.")
    if value is not None and not voting_logic.is_valid_vote(room_cards(room), value):
        raise RoomError("invalid_card", "Diese Karte gehört nicht zum Deck des Raums.")
    round_ = current_round(db, room["id"])
    if round_["revealed"]:
        raise RoomError(
            "already_revealed",
            "Die Karten sind schon aufgedeckt. "
            "Starte eine neue Runde, um neu zu schätzen.",
        )

    now = clock()
    if value is None:
        db.execute(
            "DELETE FROM votes WHERE round_id = ? AND participant_id = ?",
            (round_["id"], participant["id"]),
        )
    else:
        db.execute(
            "INSERT INTO votes (round_id, participant_id, value, cast_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (round_id, participant_id)"
            " DO UPDATE SET value = excluded.value, cast_at = excluded.cast_at",
            (round_["id"], participant["id"], value, now),
        )
        db.execute(
            "UPDATE rounds SET first_vote_at = ?"
            " WHERE id = ? AND first_vote_at IS NULL",
            (now, round_["id"]),
        )
    touch(db, room["id"])


def reveal(db, room):
    """Turn the current round's cards up and store its result."""
    round_ = current_round(db, room["id"])
    if round_["revealed"]:
        raise RoomError("already_revealed", "Die Karten sind schon aufgedeckt.")

    votes = db.execute(
        "SELECT p.name, v.value FROM votes v JOIN participants p"
        " ON p.id = v.participant_id WHERE v.round_id = ?",
        (round_["id"],),
    ).fetchall()
    result = voting_logic.summarize(room_cards(room), [tuple(vote) for vote in votes])
    db.execute(
        "UPDATE rounds SET revealed = 1, revealed_at = ?, result = ? WHERE id = ?",
        (clock(), json.dumps(result), round_["id"]),
    )
    touch(db, room["id"])


def new_round(db, room):
    """Start the next round of the current story; the old one stays in the history."""
    start_round(db, room["id"], current_round(db, room["id"])["story_id"])


def set_story(db, room, title):
    """Add a quick story with `title` to the room and start its first round."""
    position = db.execute(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM stories WHERE room_id = ?",
        (room["id"],),
    ).fetchone()[0]
    story = db.execute(
        "INSERT INTO stories (room_id, title, position, created_at)"
        " VALUES (?, ?, ?, ?) RETURNING id",
        (room["id"], title, position, clock()),
    ).fetchone()
    start_round(db, room["id"], story["id"])


def leave(db, room, participant):
    """Take the participant out of the room's list and close their connections.

    When the last moderator goes, the person who joined first among those
    still here takes the role over, someone online before someone offline,
    so the room is never left without anyone to run it.
    """
    db.execute("UPDATE participants SET present = 0 WHERE id = ?", (participant["id"],))
    db.execute("DELETE FROM connections WHERE participant_id = ?", (participant["id"],))
    if participant["is_moderator"]:
        _keep_a_moderator(db, room["id"])
    touch(db, room["id"])


def _forget_the_gone(db, room, now):
    gone = db.execute(
        "UPDATE participants SET present = 0"
        " WHERE room_id = ? AND present = 1 AND last_seen < ?"
        " AND NOT EXISTS (SELECT 1 FROM connections c"
        " WHERE c.participant_id = participants.id)"
        " AND NOT EXISTS (SELECT 1 FROM votes v"
        " WHERE v.participant_id = participants.id AND v.round_id ="
        " (SELECT MAX(id) FROM rounds WHERE room_id = participants.room_id))"
        " RETURNING is_moderator",
        (room["id"], now - GONE_AFTER_SECONDS),
    ).fetchall()
    if any(row["is_moderator"] for row in gone):
        _keep_a_moderator(db, room["id"])


def _keep_a_moderator(db, room_id):
    db.execute(
        "UPDATE participants SET is_moderator = 1 WHERE id = ("
        " SELECT p.id FROM participants p WHERE p.room_id = ? AND p.present = 1"
        " AND NOT EXISTS (SELECT 1 FROM participants m"
        " WHERE m.room_id = p.room_id AND m.present = 1 AND m.is_moderator = 1)"
        " ORDER BY EXISTS (SELECT 1 FROM connections c WHERE c.participant_id = p.id)"
        " DESC, p.joined_at, p.id LIMIT 1)",
        (room_id,),
    )


def drop_connection(db, sid):
    """Forget a closed Socket.IO session; return its room's code, or None."""
    row = db.execute(
        "DELETE FROM connections WHERE sid = ? RETURNING room_id, participant_id",
        (sid,),
    ).fetchone()
    if row is None:
        return None
    db.execute(
        "UPDATE participants SET last_seen = ? WHERE id = ?",
        (clock(), row["participant_id"]),
    )
    touch(db, row["room_id"])
    return db.execute(
        "SELECT code FROM rooms WHERE id = ?", (row["room_id"],)
    ).fetchone()["code"]


def room_version(db, room_id):
    return db.execute("SELECT version FROM rooms WHERE id = ?", (room_id,)).fetchone()[
        0
    ]
