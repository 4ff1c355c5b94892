"""The room snapshot: what everyone in a room sees, and what it must not see yet."""

import json
import time

import room_rules
import rooms
import utils
import voting_logic


def snapshot(db, room, viewer_role="voter"):
    """Return the room's public state for a voter or an observer.

    Before reveal no card value and no result leaves the server; with the
    anonymous option, revealed cards are listed without their owners.
    """
    options = room_rules.options(room)
    round_ = rooms.current_round(db, room["id"])
    revealed = bool(round_["revealed"])
    stats = json.loads(round_["result"]) if revealed else None
    # a round revealed without names keeps them hidden when the option goes off
    anonymous = revealed and (stats.pop("anonymous", False) or options["anonymous"])
    hide_voted = viewer_role == "observer" and not options["observers_see_votes"]

    rows = db.execute(
        "SELECT p.id, p.name, p.role, p.is_moderator, v.value,"
        " EXISTS (SELECT 1 FROM connections c WHERE c.participant_id = p.id) AS online"
        " FROM participants p LEFT JOIN votes v"
        " ON v.participant_id = p.id AND v.round_id = ?"
        " WHERE p.room_id = ? AND p.present = 1 ORDER BY p.joined_at, p.id",
        (round_["id"], room["id"]),
    ).fetchall()
    participants = [
        {
            "id": row["id"],
            "name": row["name"],
            "role": row["role"],
            "moderator": bool(row["is_moderator"]),
            "online": bool(row["online"]),
            "voted": None if hide_voted else row["value"] is not None,
            "vote": row["value"] if revealed and not anonymous else None,
        }
        for row in rows
    ]

    state = {
        "version": room["version"],
        "server_time": time.time(),
        "room": {
            "code": room["code"],
            "name": room["name"],
            "deck": room["deck"],
            "cards": list(rooms.room_cards(room)),
            "options": options,
        },
        "story": story_state(db, round_["story_id"]),
        "round": round_state(db, round_),
        "participants": participants,
        "stats": stats,
        "timer": timer_state(room),
    }
    if anonymous:
        stats.update(min_voters=[], max_voters=[], discuss=None)
        state["votes"] = in_deck_order(
            rooms.room_cards(room),
            [row["value"] for row in rows if row["value"] is not None],
        )
    return state


def in_deck_order(cards, values):
    """Sort card values as the deck lists them; values of an older deck go last."""
    position = {card: index for index, card in enumerate(cards)}
    return sorted(values, key=lambda value: (position.get(value, len(cards)), value))


def story_state(db, story_id):
    if story_id is None:
        return None
    story = db.execute(
        "SELECT id, title, description, link, reference FROM stories WHERE id = ?",
        (story_id,),
    ).fetchone()
    spent = db.execute(
        "SELECT COUNT(*), SUM(revealed_at - first_vote_at) FROM rounds"
        " WHERE story_id = ? AND revealed = 1",
        (story_id,),
    ).fetchone()
    return {
        "id": story["id"],
        "title": story["title"],
        "description": story["description"],
        "link": utils.safe_link(story["link"]),
        "reference": story["reference"],
        "rounds_revealed": spent[0],
        "seconds_spent": round(spent[1] or 0, 1),
    }


def round_state(db, round_):
    """Number, reveal flag, duration and, after reveal, the move since last round."""
    state = {"number": round_["number"], "revealed": bool(round_["revealed"])}
    if not round_["revealed"]:
        return state

    if round_["first_vote_at"] is not None:
        state["seconds"] = round(round_["revealed_at"] - round_["first_vote_at"], 1)
    previous = None
    if round_["story_id"] is not None or round_["number"] > 1:
        previous = db.execute(
            "SELECT result FROM rounds WHERE room_id = ?"
            " AND story_id IS NOT DISTINCT FROM ?"
            " AND revealed = 1 AND id < ? ORDER BY id DESC LIMIT 1",
            (round_["room_id"], round_["story_id"], round_["id"]),
        ).fetchone()
    if previous is not None:
        state["change"] = voting_logic.compare_results(
            json.loads(previous["result"]), json.loads(round_["result"])
        )
    return state


def timer_state(room):
    if room["timer_deadline"] is None:
        return None
    return {"deadline": room["timer_deadline"], "seconds": room["timer_seconds"]}
