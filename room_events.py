"""Socket.IO events of the room page, one handler per client event.

Every handler answers with an ack, `{"ok": true, ...}` or
`{"ok": false, "error": ..., "message": ...}`; every change reaches the
whole room as a `state` event (see docs/PROTOCOL.md).
"""

import logging
import time

from flask import request
from flask import session
from flask_socketio import join_room
from flask_socketio import leave_room

import admin_auth
import database
import live
import room_rules
import rooms
import snapshots
import utils
from live import acknowledged
from live import change_room
from live import channel
from live import error
from live import invalid_payload
from live import socketio

log = logging.getLogger(__name__)

EVENTS = (
    "join",
    "vote",
    "reveal",
    "new_round",
    "set_story",
    "next_story",
    "start_timer",
    "stop_timer",
    "nudge",
    "set_options",
    "set_moderator",
    "leave",
    "watch",
)

clock = time.time
# The room each of this process's connections joined, so an event finds its
# room's lock before it asks the database; the database stays the judge.
joined_rooms = {}


def change_own_room(change, rule=None):
    """Apply `change(db, room, participant)` to the caller's room.

    `rule(room, participant, admin)` may refuse first, inside the same
    transaction, so a permission is checked against the current state.
    """
    code = joined_rooms.get(request.sid)
    if code is None:
        raise rooms.RoomError("not_joined", "Bitte zuerst einem Raum beitreten.")
    admin = admin_auth.is_admin()

    def bound(db, room):
        participant = rooms.participant_of(db, request.sid, room["id"])
        if rule is not None:
            rule(room, participant, admin)
        return change(db, room, participant)

    return change_room(code, bound)


def moderator_only(room, participant, admin):
    room_rules.require_moderator(participant, admin)


def reveal_when_all_voted(db, room):
    """Reveal if the room asks for it and no online voter is left to vote."""
    if room_rules.auto_reveal_due(db, room):
        rooms.reveal(db, room)
        log.info("room %s revealed automatically", room["code"])


@socketio.on("join")
@acknowledged
def on_join(payload):
    """A browser enters a room; everyone already in it gets the new state."""
    code = utils.normalize_room_code(payload.get("room"))
    name = utils.clean_name(payload.get("name"))
    client_id = payload.get("client_id")
    role = payload.get("role", "voter")
    if code is None:
        return error("room_not_found", "Diesen Raum gibt es nicht.")
    if name is None:
        return error("invalid_name", "Bitte einen Namen mit 1 bis 40 Zeichen angeben.")
    if not utils.is_client_id(client_id) or role not in rooms.ROLES:
        return invalid_payload()
    if rooms.find_room(database.get_db(), code) is None:
        return error("room_not_found", "Diesen Raum gibt es nicht.")

    leave_previous_room(code)
    creator = code in session.get("own_rooms", ())

    def join(db, room):
        participant = rooms.join(
            db,
            room,
            client_id,
            name,
            role,
            request.sid,
            moderator=creator,
            instance=live.instance.id,
        )
        # a voter turning observer may have been the last one the room waited for
        reveal_when_all_voted(db, room)
        return participant

    participant = change_room(code, join)
    if not socketio.server.manager.is_connected(request.sid, "/"):
        # The connection closed while the join waited for the database, and
        # its disconnect found nothing to drop yet: drop it now.
        forget_connection(request.sid)
        return error("not_joined", "Die Verbindung wurde getrennt.")
    joined_rooms[request.sid] = code
    for role_name in rooms.ROLES:
        leave_room(channel(code, role_name))
    join_room(channel(code))
    join_room(channel(code, role))
    log.info("participant %d joined room %s as %s", participant["id"], code, role)

    db = database.get_db()
    room = rooms.require_room(db, code)
    return {
        "ok": True,
        "participant_id": participant["id"],
        "snapshot": snapshots.snapshot(db, room, role),
        "my_vote": rooms.own_vote(db, room["id"], participant["id"]),
    }


def leave_previous_room(code):
    """Unbind this connection from another room it joined before."""
    try:
        room, _participant = rooms.connection_of(database.get_db(), request.sid)
    except rooms.RoomError:
        return
    if room["code"] != code:
        for name in (None, *rooms.ROLES):
            leave_room(channel(room["code"], name))
        change_room(
            room["code"], lambda db, room: rooms.drop_connection(db, request.sid)
        )


@socketio.on("vote")
@acknowledged
def on_vote(payload):
    """A voter plays, changes or (with null) withdraws a card."""
    value = payload.get("value")
    if value is not None and not isinstance(value, str):
        return invalid_payload()

    def vote(db, room, participant):
        rooms.cast_vote(db, room, participant, value)
        reveal_when_all_voted(db, room)

    change_own_room(vote)
    return {"ok": True, "vote": value}


@socketio.on("reveal")
@acknowledged
def on_reveal(payload):
    """Turn the cards up; everyone gets the votes and the result."""
    room = change_own_room(
        lambda db, room, participant: rooms.reveal(db, room) or room,
        room_rules.require_control,
    )
    log.info("room %s revealed", room["code"])
    return {"ok": True}


@socketio.on("new_round")
@acknowledged
def on_new_round(payload):
    """Clear the table for another round of the same story."""
    change_own_room(
        lambda db, room, participant: rooms.new_round(db, room),
        room_rules.require_control,
    )
    return {"ok": True}


@socketio.on("set_story")
@acknowledged
def on_set_story(payload):
    """Name the story the room estimates next; its first round starts."""
    title = utils.clean_title(payload.get("title"))
    if title is None:
        return error(
            "invalid_title", "Bitte einen Titel mit 1 bis 200 Zeichen angeben."
        )
    change_own_room(
        lambda db, room, participant: rooms.set_story(db, room, title),
        room_rules.require_control,
    )
    return {"ok": True}


@socketio.on("next_story")
@acknowledged
def on_next_story(payload):
    """Move on to the next open story of the backlog."""
    change_own_room(
        lambda db, room, participant: room_rules.next_story(db, room),
        moderator_only,
    )
    return {"ok": True}


@socketio.on("start_timer")
@acknowledged
def on_start_timer(payload):
    """Start a countdown of `seconds` (30 to 600) that every browser shows."""
    seconds = payload.get("seconds")
    change_own_room(
        lambda db, room, participant: room_rules.start_timer(
            db, room, seconds, clock()
        ),
        moderator_only,
    )
    return {"ok": True}


@socketio.on("stop_timer")
@acknowledged
def on_stop_timer(payload):
    """End the countdown early."""
    change_own_room(
        lambda db, room, participant: room_rules.stop_timer(db, room),
        moderator_only,
    )
    return {"ok": True}


@socketio.on("nudge")
@acknowledged
def on_nudge(payload):
    """Remind the online voters who have not voted yet; only they hear it."""
    room, participant = rooms.connection_of(database.get_db(), request.sid)
    room_rules.require_moderator(participant, admin_auth.is_admin())

    waiting = room_rules.waiting_voter_sids(database.get_db(), room)
    for sid in waiting:
        socketio.emit("nudge", {"from": participant["name"]}, to=sid)
    return {"ok": True, "nudged": len(waiting)}


@socketio.on("set_options")
@acknowledged
def on_set_options(payload):
    """A moderator changes the room's rules; everyone sees them at once."""
    changes = payload.get("options")
    if not isinstance(changes, dict):
        return invalid_payload()

    def update(db, room, participant):
        room_rules.update_options(db, room, changes)
        reveal_when_all_voted(db, rooms.require_room(db, room["code"]))

    change_own_room(update, moderator_only)
    return {"ok": True}


@socketio.on("set_moderator")
@acknowledged
def on_set_moderator(payload):
    """A moderator names another participant moderator, or takes the role back."""
    participant_id = payload.get("participant_id")
    moderator = payload.get("moderator", True)
    # bool is an int to Python: JSON true must not mean participant 1
    if type(participant_id) is not int or not isinstance(moderator, bool):
        return invalid_payload()
    change_own_room(
        lambda db, room, participant: room_rules.set_moderator(
            db, room, participant_id, moderator
        ),
        moderator_only,
    )
    return {"ok": True}


@socketio.on("leave")
@acknowledged
def on_leave(payload):
    """The participant leaves the room and disappears from its list."""
    room, _participant = rooms.connection_of(database.get_db(), request.sid)
    for name in (None, *rooms.ROLES):
        leave_room(channel(room["code"], name))

    def leave(db, room, participant):
        # the same person's other tabs are out of the room too: tell them
        others = rooms.connection_sids(db, participant["id"])
        live.send_away(
            room["code"],
            [sid for sid in others if sid != request.sid],
            {
                "reason": "left",
                "message": "Du hast den Raum in einem anderen Tab verlassen.",
            },
        )
        rooms.leave(db, room, participant)
        reveal_when_all_voted(db, room)

    change_own_room(leave)
    joined_rooms.pop(request.sid, None)
    return {"ok": True}


@socketio.on("watch")
@acknowledged
def on_watch(payload):
    """A presentation screen follows a room read-only, without becoming a participant.

    The connection hears the room's `state` events as an observer would.
    """
    db = database.get_db()
    room = rooms.find_room(db, payload.get("room"))
    if room is None:
        return error("room_not_found", "Diesen Raum gibt es nicht.")

    join_room(channel(room["code"]))
    join_room(channel(room["code"], "observer"))
    return {"ok": True, "snapshot": snapshots.snapshot(db, room, "observer")}


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """A connection closed: its participant may now be offline."""
    live.event_limit.forget(request.sid)
    live.forget_admin_socket(request.sid)
    forget_connection(request.sid)


def forget_connection(sid):
    """Drop a closed connection from its room, if it joined one."""
    joined_rooms.pop(sid, None)
    try:
        room, _participant = rooms.connection_of(database.get_db(), sid)
    except rooms.RoomError:
        return

    def drop(db, room):
        rooms.drop_connection(db, sid)
        reveal_when_all_voted(db, room)

    change_room(room["code"], drop)
