"""A room's stories in the database: add, edit, order, estimate and look back.

Every function takes an open connection and a room row; the caller wraps
changes in one transaction under the room's lock (`live.change_room`), so
everyone in the room sees the result at once.
"""

import json
import time

import room_rules
import rooms
import utils
import voting_logic

STATUS_LABELS = {"open": "offen", "estimated": "geschätzt", "skipped": "übersprungen"}
REFERENCE_MAX = 100
ESTIMATE_MAX = 20
NEIGHBOUR_QUERIES = {
    "up": "SELECT id, position FROM stories WHERE room_id = ? AND position < ?"
    " ORDER BY position DESC LIMIT 1",
    "down": "SELECT id, position FROM stories WHERE room_id = ? AND position > ?"
    " ORDER BY position LIMIT 1",
}


def clean_story(raw):
    """Return the story fields cleaned from `raw` text values, or raise RoomError."""
    title = utils.clean_text(raw.get("title", ""), utils.TITLE_MAX)
    description = utils.clean_text(
        raw.get("description", ""), utils.DESCRIPTION_MAX, multiline=True
    )
    link = utils.clean_text(raw.get("link", ""), utils.LINK_MAX)
    reference = utils.clean_text(raw.get("reference", ""), REFERENCE_MAX)
    estimate = utils.clean_text(raw.get("previous_estimate", ""), ESTIMATE_MAX)

    if title is None:
        raise rooms.RoomError(
            "invalid_title", f"Der Titel ist länger als {utils.TITLE_MAX} Zeichen."
        )
    if not title:
        raise rooms.RoomError("invalid_title", "Der Titel fehlt.")
    if description is None:
        raise rooms.RoomError(
            "invalid_description",
            f"Die Beschreibung ist länger als {utils.DESCRIPTION_MAX} Zeichen.",
        )
    if link is None or (link and not utils.safe_link(link)):
        raise rooms.RoomError(
            "invalid_link", "Der Link muss eine http- oder https-Adresse sein."
        )
    if reference is None:
        raise rooms.RoomError("invalid_reference", "Die Referenz ist zu lang.")
    if estimate is None:
        raise rooms.RoomError(
            "invalid_estimate", "Die bisherige Schätzung ist zu lang."
        )
    return {
        "title": title,
        "description": description,
        "link": link,
        "reference": reference,
        "previous_estimate": estimate,
    }


def list_stories(db, room_id, limit=None, offset=0):
    """Return the room's stories in backlog order, each with its number of rounds.

    `limit` and `offset` return a part of the list, as a page shows it.
    """
    if limit is None:
        return db.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM rounds r WHERE r.story_id = s.id)"
            " AS rounds FROM stories s WHERE s.room_id = ? ORDER BY s.position, s.id",
            (room_id,),
        ).fetchall()
    return db.execute(
        "SELECT s.*, (SELECT COUNT(*) FROM rounds r WHERE r.story_id = s.id)"
        " AS rounds FROM stories s WHERE s.room_id = ? ORDER BY s.position, s.id"
        " LIMIT ? OFFSET ?",
        (room_id, limit, offset),
    ).fetchall()


def count_stories(db, room_id):
    return db.execute(
        "SELECT COUNT(*) FROM stories WHERE room_id = ?", (room_id,)
    ).fetchone()[0]


def get_story(db, room, story_id):
    """Return one story of the room, or raise `story_not_found`."""
    story = db.execute(
        "SELECT * FROM stories WHERE id = ? AND room_id = ?", (story_id, room["id"])
    ).fetchone()
    if story is None:
        raise rooms.RoomError("story_not_found", "Diese Story gibt es hier nicht.")
    return story


def add_stories(db, room, stories):
    """Append cleaned stories to the end of the backlog; return how many were added."""
    position = db.execute(
        "SELECT COALESCE(MAX(position), 0) FROM stories WHERE room_id = ?",
        (room["id"],),
    ).fetchone()[0]
    now = time.time()
    for offset, story in enumerate(stories, start=1):
        db.execute(
            "INSERT INTO stories (room_id, title, description, link, reference,"
            " previous_estimate, position, created_at)"
            " VALUES (:room_id, :title, :description, :link, :reference,"
            " :previous_estimate, :position, :now)",
            {**story, "room_id": room["id"], "position": position + offset, "now": now},
        )
    rooms.touch(db, room["id"])
    return len(stories)


def edit_story(db, room, story_id, fields):
    """Replace title, description and link of a story."""
    get_story(db, room, story_id)
    db.execute(
        "UPDATE stories SET title = ?, description = ?, link = ? WHERE id = ?",
        (fields["title"], fields["description"], fields["link"], story_id),
    )
    rooms.touch(db, room["id"])


def delete_story(db, room, story_id):
    """Delete a story; its rounds stay in the history without a story."""
    get_story(db, room, story_id)
    db.execute("DELETE FROM stories WHERE id = ?", (story_id,))
    rooms.touch(db, room["id"])


def move_story(db, room, story_id, direction):
    """Swap a story with its neighbour above (`up`) or below (`down`)."""
    story = get_story(db, room, story_id)
    neighbour = db.execute(
        NEIGHBOUR_QUERIES[direction], (room["id"], story["position"])
    ).fetchone()
    if neighbour is None:
        return
    db.execute(
        "UPDATE stories SET position = ? WHERE id = ?",
        (neighbour["position"], story_id),
    )
    db.execute(
        "UPDATE stories SET position = ? WHERE id = ?",
        (story["position"], neighbour["id"]),
    )
    rooms.touch(db, room["id"])


def make_current(db, room, story_id):
    """Make the story the room's current one with a fresh round; a skipped one reopens.

    A story that is already current with an unrevealed round keeps that round.
    """
    story = get_story(db, room, story_id)
    if story["status"] == "skipped":
        db.execute("UPDATE stories SET status = 'open' WHERE id = ?", (story_id,))
    round_ = rooms.current_round(db, room["id"])
    if round_["story_id"] == story_id and not round_["revealed"]:
        rooms.touch(db, room["id"])
        return
    rooms.start_round(db, room["id"], story_id)


def skip_story(db, room, story_id):
    """Mark a story as skipped; its rounds and any estimate stay recorded.

    If the room is on that story, it moves on to the next open story, or to
    a round without story when none is left.
    """
    get_story(db, room, story_id)
    db.execute("UPDATE stories SET status = 'skipped' WHERE id = ?", (story_id,))

    if rooms.current_round(db, room["id"])["story_id"] != story_id:
        rooms.touch(db, room["id"])
        return
    try:
        room_rules.next_story(db, room)
    except rooms.RoomError:
        rooms.start_round(db, room["id"], None)


def estimate_choices(room):
    """Return the room's cards that can be a final estimate (not ? or ☕)."""
    return [
        card
        for card in rooms.room_cards(room)
        if card not in voting_logic.SPECIAL_CARDS
    ]


def last_suggestion(db, story_id):
    """Return the suggested card of the story's last revealed round, or None."""
    row = db.execute(
        "SELECT result FROM rounds WHERE story_id = ? AND revealed = 1"
        " ORDER BY id DESC LIMIT 1",
        (story_id,),
    ).fetchone()
    return json.loads(row["result"]).get("suggestion") if row else None


def set_final_estimate(db, room, story_id, value, by):
    """Record a card of the room's deck as the story's final estimate."""
    get_story(db, room, story_id)
    if value not in estimate_choices(room):
        raise rooms.RoomError(
            "invalid_card", "Bitte eine Karte aus dem Deck des Raums wählen."
        )
    db.execute(
        "UPDATE stories SET status = 'estimated', final_estimate = ?,"
        " estimated_by = ?, estimated_at = ? WHERE id = ?",
        (value, by, time.time(), story_id),
    )
    rooms.touch(db, room["id"])
