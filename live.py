"""Socket.IO events of the room page: join, vote, reveal and the rest.

Each client event is answered with an ack, `{"ok": true, ...}` or
`{"ok": false, "error": ..., "message": ...}`. After every change the room's
snapshot goes to everyone in the room as a `state` event.
"""

import functools
import logging
import threading

from flask import request
from flask_socketio import SocketIO
from flask_socketio import join_room
from flask_socketio import leave_room

import database
import rooms
import utils

log = logging.getLogger(__name__)

socketio = SocketIO()

EVENTS = ("join", "vote", "reveal", "new_round", "set_story", "leave")

_room_locks = {}


def room_lock(code):
    """Return the lock that puts one room's changes into a single order."""
    return _room_locks.setdefault(code, threading.Lock())


def channel(code):
    return f"room:{code}"


def error(code, message):
    return {"ok": False, "error": code, "message": message}


def invalid_payload():
    return error("invalid_payload", "Die Anfrage ist ungültig.")


def acknowledged(handler):
    """Turn a handler's RoomError into an error ack and keep the server running."""

    @functools.wraps(handler)
    def wrapper(payload=None, *extra):
        if extra or not isinstance(payload, dict):
            return invalid_payload()
        try:
            return handler(payload)
        except rooms.RoomError as refused:
            return error(refused.code, refused.message)
        except Exception:
            log.exception("event %s failed", handler.__name__)
            return error("server_error", "Ein Fehler ist aufgetreten.")

    return wrapper


def change_room(code, change):
    """Apply `change(db, room)` in one transaction under the room's lock, then publish.

    Returns what `change` returned.
    """
    db = database.get_db()
    with room_lock(code):
        with database.transaction(db):
            room = rooms.require_room(db, code)
            outcome = change(db, room)
            state = rooms.snapshot(db, room)
        socketio.emit("state", state, to=channel(code))
    return outcome


def change_own_room(change):
    """Like `change_room`, for the room the calling connection has joined."""
    db = database.get_db()
    room, _participant = rooms.connection_of(db, request.sid)

    def bound(db, room):
        _room, participant = rooms.connection_of(db, request.sid)
        return change(db, room, participant)

    return change_room(room["code"], bound)


@socketio.on("join")
@acknowledged
def on_join(payload):
    """A browser enters a room; everyone in it gets the new state."""
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

    leave_previous_room(code)
    participant = change_room(
        code,
        lambda db, room: rooms.join(db, room, client_id, name, role, request.sid),
    )
    join_room(channel(code))
    db = database.get_db()
    room = rooms.require_room(db, code)
    log.info("participant %d joined room %s as %s", participant["id"], code, role)
    return {
        "ok": True,
        "participant_id": participant["id"],
        "snapshot": rooms.snapshot(db, room),
        "my_vote": rooms.own_vote(db, room["id"], participant["id"]),
    }


def leave_previous_room(code):
    """Unbind this connection from another room it joined before."""
    try:
        room, _participant = rooms.connection_of(database.get_db(), request.sid)
    except rooms.RoomError:
        return
    if room["code"] != code:
        leave_room(channel(room["code"]))
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
    change_own_room(
        lambda db, room, participant: rooms.cast_vote(db, room, participant, value)
    )
    return {"ok": True, "vote": value}


@socketio.on("reveal")
@acknowledged
def on_reveal(payload):
    """Anyone in the room turns the cards up; everyone gets votes and result."""
    change_own_room(lambda db, room, participant: rooms.reveal(db, room))
    return {"ok": True}


@socketio.on("new_round")
@acknowledged
def on_new_round(payload):
    """Clear the table for another round of the same story."""
    change_own_room(lambda db, room, participant: rooms.new_round(db, room))
    return {"ok": True}


@socketio.on("set_story")
@acknowledged
def on_set_story(payload):
    """Name the story the room estimates next; a new round starts for it."""
    title = utils.clean_title(payload.get("title"))
    if title is None:
        return error(
            "invalid_title", "Bitte einen Titel mit 1 bis 200 Zeichen angeben."
        )
    change_own_room(lambda db, room, participant: rooms.set_story(db, room, title))
    return {"ok": True}


@socketio.on("leave")
@acknowledged
def on_leave(payload):
    """The participant leaves the room and disappears from its list."""
    room, _participant = rooms.connection_of(database.get_db(), request.sid)
    leave_room(channel(room["code"]))
    change_own_room(lambda db, room, participant: rooms.leave(db, room, participant))
    return {"ok": True}


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """A connection closed: its participant may now be offline."""
    db = database.get_db()
    try:
        room, _participant = rooms.connection_of(db, request.sid)
    except rooms.RoomError:
        return
    change_room(room["code"], lambda db, room: rooms.drop_connection(db, request.sid))
