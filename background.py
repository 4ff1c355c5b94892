"""What the server does by itself: countdowns, the heartbeat, its start.

Each runs as a Socket.IO background task, which yields to the others (a
green thread under eventlet and gevent), so it never holds up an event.
"""

import logging
import time

import database
import instances
import room_rules
import rooms
from live import change_room
from live import instance
from live import publish
from live import socketio

log = logging.getLogger(__name__)

TIMER_CHECK_SECONDS = 0.25
# Timer checks so far: the reliability tests read them from /healthz.
ticks = 0


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


def start_tasks(app):
    """Run the timer check and the heartbeat as cooperative background tasks."""

    def check_timers():
        global ticks
        while True:
            socketio.sleep(TIMER_CHECK_SECONDS)
            ticks += 1
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
