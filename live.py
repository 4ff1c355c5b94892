"""Live delivery: the Socket.IO server, per-room ordering and state broadcasts.

The event handlers live in `room_events.py`; this module holds what they
share, and what the admin pages and background tasks use to push changes.
"""

import functools
import logging
import threading
import time

from flask import current_app
from flask import request
from flask_socketio import SocketIO
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

import database
import room_rules
import rooms
import snapshots

log = logging.getLogger(__name__)

socketio = SocketIO()

TIMER_CHECK_SECONDS = 0.25
# One connection may send this many events; more are refused, so a runaway
# client cannot crowd out the others in its room.
EVENT_RATE = parse("20/second")
_event_limiter = MovingWindowRateLimiter(MemoryStorage())

_room_locks = {}
background_ticks = 0


def room_lock(code):
    """Return the lock that puts one room's changes into a single order."""
    return _room_locks.setdefault(code, threading.Lock())


def channel(code, role=None):
    """Name the Socket.IO room of a planning room, or of one role in it."""
    return f"room:{code}" if role is None else f"room:{code}:{role}"


def error(code, message):
    return {"ok": False, "error": code, "message": message}


def invalid_payload():
    return error("invalid_payload", "Die Anfrage ist ungültig.")


def acknowledged(handler):
    """Answer bad payloads and refusals with an error ack; keep the server running."""

    @functools.wraps(handler)
    def wrapper(payload=None, *extra):
        if not _event_limiter.hit(EVENT_RATE, "socket", request.sid):
            return error("rate_limited", "Zu viele Anfragen. Bitte kurz warten.")
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
            outcome = change(db, rooms.require_room(db, code))
        broadcast_soon(code)
    return outcome


class _Broadcast:
    """When a room's state was last sent, and whether a send is already planned."""

    __slots__ = ("last_sent", "planned")

    def __init__(self):
        self.last_sent = 0.0
        self.planned = False


_broadcasts = {}


def broadcast_soon(code):
    """Send the room's state now, or within the broadcast window if one just went.

    Called with the room's lock held. The first change after a quiet spell
    goes out at once; changes that follow within BROADCAST_WINDOW seconds
    share one later send, which carries the state as it is by then. Each
    send reads the state under the room's lock, so clients always receive
    the room's states in the order the changes were made.
    """
    window = current_app.config["BROADCAST_WINDOW"]
    pending = _broadcasts.setdefault(code, _Broadcast())
    if pending.planned:
        return
    wait = pending.last_sent + window - time.monotonic()
    if wait <= 0:
        send_states(database.get_db(), code, pending)
        return

    pending.planned = True
    app = current_app._get_current_object()

    def send_later():
        socketio.sleep(wait)
        with app.app_context(), room_lock(code):
            send_states(database.get_db(), code, pending)

    socketio.start_background_task(send_later)


def send_states(db, code, pending):
    """Read the room's state in one read transaction and send it to the room."""
    pending.planned = False
    pending.last_sent = time.monotonic()
    db.execute("BEGIN")
    try:
        states = room_states(db, code)
    finally:
        db.execute("COMMIT")
    for state, to in states:
        socketio.emit("state", state, to=to)


def room_states(db, code):
    """Return (state, channel) pairs: one for all, or one per role if they differ."""
    room = rooms.require_room(db, code)
    voter_view = snapshots.snapshot(db, room, "voter")
    if room_rules.options(room)["observers_see_votes"]:
        return [(voter_view, channel(code))]
    return [
        (voter_view, channel(code, "voter")),
        (snapshots.snapshot(db, room, "observer"), channel(code, "observer")),
    ]


def publish(code):
    """Send the room's current state to everyone in it, after an outside change."""
    change_room(code, lambda db, room: rooms.touch(db, room["id"]))


def remove_participant(code, participant_id):
    """Take a participant out of the room and tell their open connections."""
    db = database.get_db()
    for sid in rooms.connection_sids(db, participant_id):
        socketio.emit(
            "removed", {"message": "Du wurdest aus dem Raum entfernt."}, to=sid
        )
        for name in (channel(code), channel(code, "voter"), channel(code, "observer")):
            socketio.server.leave_room(sid, name, namespace="/")

    def remove(db, room):
        participant = db.execute(
            "SELECT * FROM participants WHERE id = ? AND room_id = ?",
            (participant_id, room["id"]),
        ).fetchone()
        if participant is None:
            raise rooms.RoomError("not_found", "Diese Person ist nicht im Raum.")
        rooms.leave(db, room, participant)

    change_room(code, remove)


def end_expired_timers(now):
    """End every countdown that has reached zero; reveal where the room says so."""
    db = database.get_db()
    for code in room_rules.rooms_with_expired_timers(db, now):

        def expire(db, room):
            if room["timer_deadline"] is None or room["timer_deadline"] > now:
                return
            room_rules.stop_timer(db, room)
            revealed = rooms.current_round(db, room["id"])["revealed"]
            if room_rules.options(room)["timer_reveals"] and not revealed:
                rooms.reveal(db, room)
                log.info("room %s revealed by its timer", room["code"])

        change_room(code, expire)


def start_background_tasks(app):
    """Run the timer check as a cooperative Socket.IO background task."""

    def check_timers():
        global background_ticks
        while True:
            socketio.sleep(TIMER_CHECK_SECONDS)
            background_ticks += 1
            try:
                with app.app_context():
                    end_expired_timers(time.time())
            except Exception:
                log.exception("timer check failed")

    socketio.start_background_task(check_timers)
