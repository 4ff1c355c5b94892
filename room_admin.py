"""Rooms as the admin manages them: the overview, name, deck, archive, delete.

Changes take an open connection and a room row; the caller runs them in one
transaction under the room's lock (`live.change_room`).
"""

import json

import rooms
import utils
import voting_logic


def overview(db):
    """Return every room with online participants, stories and last activity.

    Active rooms come first, the most recently used at the top.
    """
    return db.execute(
        "SELECT r.code, r.name, r.deck, r.archived, r.last_activity,"
        " (SELECT COUNT(*) FROM stories s WHERE s.room_id = r.id) AS stories,"
        " (SELECT COUNT(*) FROM stories s WHERE s.room_id = r.id"
        "  AND s.status = 'estimated') AS estimated,"
        " (SELECT COUNT(DISTINCT c.participant_id) FROM connections c"
        "  WHERE c.room_id = r.id) AS online"
        " FROM rooms r ORDER BY r.archived, r.last_activity DESC, r.id DESC"
    ).fetchall()


def rename(db, room, raw_name):
    """Give the room a new name of 1 to 200 characters."""
    name = utils.clean_text(raw_name, utils.TITLE_MAX)
    if not name:
        raise rooms.RoomError(
            "invalid_name", "Bitte einen Raumnamen mit 1 bis 200 Zeichen angeben."
        )
    db.execute("UPDATE rooms SET name = ? WHERE id = ?", (name, room["id"]))
    rooms.touch(db, room["id"])


def parse_cards(raw):
    """Split typed custom cards at spaces and commas."""
    return [card for card in (raw or "").replace(",", " ").split() if card]


def change_deck(db, room, deck_id, cards=None):
    """Give the room another deck; return False if it already has exactly that one.

    Votes from the old deck must not mix with the new one, so a new round of
    the same story starts: an unrevealed round ends without a result, a
    revealed one keeps its result in the history.
    """
    try:
        deck = voting_logic.resolve_deck(deck_id, cards)
    except voting_logic.DeckError as refused:
        raise rooms.RoomError(refused.code, refused.message) from None
    if deck_id == room["deck"] and deck == rooms.room_cards(room):
        return False

    db.execute(
        "UPDATE rooms SET deck = ?, cards = ? WHERE id = ?",
        (deck_id, json.dumps(deck), room["id"]),
    )
    story_id = rooms.current_round(db, room["id"])["story_id"]
    rooms.start_round(db, room["id"], story_id)
    return True


def set_archived(db, room, archived):
    """Move the room to the archive or back to the active rooms."""
    db.execute(
        "UPDATE rooms SET archived = ? WHERE id = ?", (int(archived), room["id"])
    )
    rooms.touch(db, room["id"])


def delete(db, room):
    """Delete the room with its stories, rounds, votes and participants."""
    db.execute("DELETE FROM rooms WHERE id = ?", (room["id"],))
