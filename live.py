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
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

import database
import instances
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

# This process; connections record it, so they can be forgotten with it.
instance = instances.Instance.current()

# A lock lives while someone holds or awaits it; an idle room keeps none.
_room_locks = weakref.WeakValueDictionary()
background_ticks = 0


def room_lock(code):
    """Return the lock that puts this process's changes to one room in order."""
    lock = _room_locks.get(code)
    if lock is None:
        lock = _room_locks.setdefault(code, threading.Lock())
    return lock


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
            # other processes on the same database wait here (PostgreSQL)
            db.lock_room(code)
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

    for sid in rooms.connection_sids(db, participant_id):
        socketio.emit(
            "removed", {"message": "Du wurdest aus dem Raum entfernt."}, to=sid
        )
        for name in (channel(code), channel(code, "voter"), channel(code, "observer")):
            socketio.server.leave_room(sid, name, namespace="/")

    def remove(db, room):
        participant = db.execute(
            "SELECT * FROM participants WHERE id = ?", (participant_id,)
        ).fetchone()
        rooms.leave(db, room, participant)

    change_room(code, remove)


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


def start_instance(app):
    """Record this process for its database and forget what gone processes held.

    Raises instances.SecondProcessRefused when another process serves the
    database without a message queue between the two.
    """
    with app.app_context():
        db = database.get_db()
        with database.transaction(db):
            codes = instances.start(
                db, instance, time.time(), app.config["MESSAGE_QUEUE"]
            )
        publish_all(codes)


def beat(app):
    """Tell the database this process lives; show gone processes' people offline.

    If another process took this one for gone, its connections are no
    longer recorded: it closes them all, and the browsers reconnect and
    join their rooms again.
    """
    with app.app_context():
        db = database.get_db()
        with database.transaction(db):
            codes, taken_for_gone = instances.beat(db, instance, time.time())
        publish_all(codes)
    if taken_for_gone:
        log.warning("this process was taken for gone; its clients reconnect")
        drop_all_connections()


def drop_all_connections():
    """Close this process's connections as a network failure would.

    Without Engine.IO's close packet, which tells clients not to come back,
    browsers reconnect by themselves and join their rooms again.
    """
    for client in list(socketio.server.eio.sockets.values()):
        client.close(wait=False, abort=True)


def publish_all(codes):
    for code in codes:
        try:
            publish(code)
        except rooms.RoomError:
            continue


def start_background_tasks(app):
    """Run the timer check and the heartbeat as cooperative background tasks."""

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

    def keep_beating():
        while True:
            socketio.sleep(instances.BEAT_SECONDS)
            try:
                beat(app)
            except Exception:
                log.exception("heartbeat failed")

    socketio.start_background_task(check_timers)
    socketio.start_background_task(keep_beating)
