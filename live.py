"""Live delivery: the Socket.IO server, per-room ordering and state broadcasts.

The event handlers live in `room_events.py`; this module holds what they
share, and what the admin pages and background tasks use to push changes.
"""

import functools
import logging
import threading
import time
import weakref

from flask import current_app
from flask import request
from flask_socketio import SocketIO

import database
import instances
import room_rules
import rooms
import snapshots
from event_limit import EventLimit

log = logging.getLogger(__name__)

socketio = SocketIO()

event_limit = EventLimit()

# This process; connections record it, so they can be forgotten with it.
instance = instances.Instance.current()

# A room's lock lives while someone holds or awaits it, so rooms that are
# quiet or deleted keep none. New locks are made one at a time: two threads
# asking for the same room at once must not each get their own.
_room_locks = weakref.WeakValueDictionary()
_making_locks = threading.Lock()


def room_lock(code):
    """Return the lock that puts this process's changes to one room in order."""
    lock = _room_locks.get(code)
    if lock is None:
        with _making_locks:
            lock = _room_locks.get(code)
            if lock is None:
                lock = _room_locks[code] = threading.Lock()
    return lock


def forget_room(code):
    """Drop what this process keeps about a deleted room."""
    _broadcasts.pop(code, None)


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
        if not event_limit.allow(request.sid):
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
            # other processes on the same database wait here (PostgreSQL)
            db.lock_room(code)
            outcome = change(db, rooms.require_room(db, code))
        broadcast_soon(code)
    return outcome


# A room whose last BUSY_STREAK sends each came within BUSY_GAP seconds of
# the one before is busy: its changes wait for a send every BUSY_WINDOW at
# most, so a room voting nonstop gets a few dozen states a second instead of
# one per vote. A quiet room keeps the short configured window.
BUSY_STREAK = 3
BUSY_GAP = 0.05
BUSY_WINDOW = 0.02


class _Broadcast:
    """When a room's state was last sent, how many sends came close together
    before it, and whether a send is already planned."""

    __slots__ = ("last_sent", "streak", "planned")

    def __init__(self):
        self.last_sent = 0.0
        self.streak = 0
        self.planned = False

    def sent(self, now):
        close = now - self.last_sent < BUSY_GAP
        self.streak = self.streak + 1 if close else 0
        self.last_sent = now
        self.planned = False

    def window(self, configured):
        return (
            max(configured, BUSY_WINDOW) if self.streak >= BUSY_STREAK else configured
        )


_broadcasts = {}


def broadcast_soon(code):
    """Plan a send of the room's state: right after this event, or once the
    broadcast window since the last send has passed.

    Called with the room's lock held. The send runs as a background task
    after the events already waiting, so a burst of votes in one room shares
    one state; within BROADCAST_WINDOW seconds of a send (BUSY_WINDOW in a
    busy room), changes wait for one later send. Each send reads the state
    under the room's lock, so clients receive the room's states in the order
    the changes were made.
    A window of 0 sends at once, inside the event (the tests rely on it).
    """
    window = current_app.config["BROADCAST_WINDOW"]
    pending = _broadcasts.setdefault(code, _Broadcast())
    if not window:
        send_states(database.get_db(), code, pending)
        return
    if pending.planned:
        return

    pending.planned = True
    wait = max(0.0, pending.last_sent + pending.window(window) - time.monotonic())
    app = current_app._get_current_object()

    def send_later():
        socketio.sleep(wait)
        with app.app_context():
            # the connection before the lock: whoever holds the lock has one
            db = database.get_db()
            with room_lock(code):
                try:
                    send_states(db, code, pending)
                except rooms.RoomError:
                    # deleted meanwhile; its people were told
                    forget_room(code)

    socketio.start_background_task(send_later)


def send_states(db, code, pending):
    """Read the room's state in one read transaction and send it to the room."""
    pending.sent(time.monotonic())
    with database.snapshot_read(db):
        states = room_states(db, code)
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
    """Take a participant out of the room and tell their open connections.

    Raises RoomError `not_found` when the participant is not in this room;
    then nobody is told anything. The removed connections leave the room's
    channels before its new state goes out.
    """
    db = database.get_db()
    room = rooms.require_room(db, code)
    member = db.execute(
        "SELECT 1 FROM participants WHERE id = ? AND room_id = ?",
        (participant_id, room["id"]),
    ).fetchone()
    if member is None:
        raise rooms.RoomError("not_found", "Diese Person ist nicht im Raum.")

    send_away(
        code,
        rooms.connection_sids(db, participant_id),
        {"reason": "removed", "message": "Du wurdest aus dem Raum entfernt."},
    )

    def remove(db, room):
        participant = db.execute(
            "SELECT * FROM participants WHERE id = ?", (participant_id,)
        ).fetchone()
        rooms.leave(db, room, participant)

    change_room(code, remove)


def send_away(code, sids, notice):
    """Send these connections a `removed` event and take them off the room's
    channels, so they hear nothing more of it."""
    for sid in sids:
        socketio.emit("removed", notice, to=sid)
        for name in (channel(code), *(channel(code, role) for role in rooms.ROLES)):
            socketio.server.leave_room(sid, name, namespace="/")


# Sockets of admin pages connected to this process, so a disconnect can
# forget them without a query for every other socket.
_admin_sids = set()


def watch_as_admin(sid, session_id):
    """Record an admin page's socket under its login, so the logout can end it."""
    db = database.get_db()
    with database.transaction(db):
        db.execute(
            "INSERT INTO admin_sockets (sid, session_id, instance) VALUES (?, ?, ?)"
            " ON CONFLICT (sid) DO UPDATE SET session_id = excluded.session_id",
            (sid, session_id, instance.id),
        )
    _admin_sids.add(sid)


def forget_admin_socket(sid):
    """Forget a closed admin page socket."""
    if sid not in _admin_sids:
        return
    _admin_sids.discard(sid)
    db = database.get_db()
    with database.transaction(db):
        db.execute("DELETE FROM admin_sockets WHERE sid = ?", (sid,))


def end_admin_sockets(session_id):
    """Disconnect every admin page socket of a login, in whichever process it is."""
    db = database.get_db()
    with database.transaction(db):
        sids = db.execute(
            "DELETE FROM admin_sockets WHERE session_id = ? RETURNING sid",
            (session_id,),
        ).fetchall()
    for row in sids:
        socketio.server.disconnect(row["sid"], namespace="/")
