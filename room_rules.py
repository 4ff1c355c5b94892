"""Who may do what in a room, the room's options, and its countdown timer."""

import json

from rooms import RoomError
from rooms import current_round
from rooms import start_round
from rooms import touch

DEFAULT_OPTIONS = {
    # who may reveal, start new rounds and set the story; the backlog, the
    # timer, nudges and these options stay with moderators whatever it says
    "control": "everyone",
    "auto_reveal": False,
    "observers_see_votes": True,
    "anonymous": False,
    "timer_reveals": False,
}
CONTROL_CHOICES = ("everyone", "moderators")
TIMER_MIN_SECONDS = 30
TIMER_MAX_SECONDS = 600


def options(room):
    """Return the room's options, defaults filled in."""
    return {**DEFAULT_OPTIONS, **json.loads(room["options"])}


def update_options(db, room, changes):
    """Change some of the room's options; unknown keys or wrong types are refused.

    Turning `anonymous` off leaves a round already revealed without names
    as it is.
    """
    before = options(room)
    merged = dict(before)
    for key, value in changes.items():
        if key not in DEFAULT_OPTIONS:
            raise RoomError("invalid_option", f"Unbekannte Einstellung: {key[:40]}")
        valid = (
            value in CONTROL_CHOICES if key == "control" else isinstance(value, bool)
        )
        if not valid:
            raise RoomError("invalid_option", "Dieser Wert ist nicht erlaubt.")
        merged[key] = value

    if before["anonymous"] and not merged["anonymous"]:
        keep_names_hidden(db, room)
    db.execute(
        "UPDATE rooms SET options = ? WHERE id = ?", (json.dumps(merged), room["id"])
    )
    touch(db, room["id"])


def keep_names_hidden(db, room):
    """Mark the current round's result as revealed anonymously, if it is revealed."""
    round_ = current_round(db, room["id"])
    if not round_["revealed"]:
        return
    result = {**json.loads(round_["result"]), "anonymous": True}
    db.execute(
        "UPDATE rounds SET result = ? WHERE id = ?", (json.dumps(result), round_["id"])
    )


def require_moderator(participant, admin):
    """Refuse unless the participant is a moderator or the admin."""
    if not (admin or participant["is_moderator"]):
        raise RoomError("not_allowed", "Das dürfen nur Moderatoren.")


def require_control(room, participant, admin):
    """Refuse round control when the room reserves it for moderators."""
    if options(room)["control"] == "moderators":
        require_moderator(participant, admin)


def set_moderator(db, room, participant_id, moderator):
    """Name a participant of the room moderator, or take the role away."""
    changed = db.execute(
        "UPDATE participants SET is_moderator = ? WHERE id = ? AND room_id = ?",
        (int(moderator), participant_id, room["id"]),
    ).rowcount
    if not changed:
        raise RoomError("not_found", "Diese Person ist nicht im Raum.")
    touch(db, room["id"])


def all_voters_voted(db, room):
    """Tell whether every online voter has a card in the current round."""
    round_ = current_round(db, room["id"])
    waiting, voted = db.execute(
        "SELECT"
        " COUNT(*) FILTER (WHERE v.participant_id IS NULL),"
        " COUNT(*) FILTER (WHERE v.participant_id IS NOT NULL)"
        " FROM participants p LEFT JOIN votes v"
        " ON v.participant_id = p.id AND v.round_id = ?"
        " WHERE p.room_id = ? AND p.present = 1 AND p.role = 'voter'"
        " AND EXISTS (SELECT 1 FROM connections c WHERE c.participant_id = p.id)",
        (round_["id"], room["id"]),
    ).fetchone()
    return bool(voted) and not waiting


def auto_reveal_due(db, room):
    """Tell whether the room reveals by itself now: the option is on, the round
    is still hidden and every online voter has voted."""
    return (
        options(room)["auto_reveal"]
        and not current_round(db, room["id"])["revealed"]
        and all_voters_voted(db, room)
    )


def waiting_voter_sids(db, room):
    """Return the connections of online voters who have not voted yet; after
    reveal nobody is waiting."""
    round_ = current_round(db, room["id"])
    if round_["revealed"]:
        return []
    return [
        row["sid"]
        for row in db.execute(
            "SELECT c.sid FROM connections c JOIN participants p"
            " ON p.id = c.participant_id"
            " WHERE p.room_id = ? AND p.present = 1 AND p.role = 'voter'"
            " AND NOT EXISTS (SELECT 1 FROM votes v"
            " WHERE v.round_id = ? AND v.participant_id = p.id)",
            (room["id"], round_["id"]),
        )
    ]


def next_story(db, room):
    """Make the next open story current, after the current one or else from the top."""
    current = current_round(db, room["id"])["story_id"]
    story = db.execute(
        "SELECT s.id FROM stories s WHERE s.room_id = ? AND s.status = 'open'"
        " AND s.id IS DISTINCT FROM ?"
        " ORDER BY s.position <= COALESCE("
        "  (SELECT position FROM stories WHERE id = ?), 0), s.position, s.id"
        " LIMIT 1",
        (room["id"], current, current),
    ).fetchone()
    if story is None:
        raise RoomError("no_open_story", "Es gibt keine weitere offene Story.")
    start_round(db, room["id"], story["id"])


def start_timer(db, room, seconds, now):
    """Start the room's countdown; every browser counts to the same deadline."""
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not TIMER_MIN_SECONDS <= seconds <= TIMER_MAX_SECONDS
    ):
        raise RoomError(
            "invalid_timer", "Der Timer läuft zwischen 30 Sekunden und 10 Minuten."
        )
    db.execute(
        "UPDATE rooms SET timer_deadline = ?, timer_seconds = ? WHERE id = ?",
        (now + seconds, seconds, room["id"]),
    )
    touch(db, room["id"])


def stop_timer(db, room):
    """End the countdown without further effect."""
    db.execute(
        "UPDATE rooms SET timer_deadline = NULL, timer_seconds = NULL WHERE id = ?",
        (room["id"],),
    )
    touch(db, room["id"])


def rooms_with_expired_timers(db, now):
    """Return the codes of rooms whose countdown has reached zero."""
    return [
        row["code"]
        for row in db.execute(
            "SELECT code FROM rooms WHERE timer_deadline <= ?", (now,)
        )
    ]
