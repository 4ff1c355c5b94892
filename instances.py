"""The app processes that serve one database, and the connections each holds.

Every `python app.py` records itself in the `instances` table and beats
every few seconds. Participants' connections and admin sockets carry the id
of the process they are connected to, so that when a process ends, even by
`kill -9`, its successor or its peers forget what it held and nobody stays
"online" for good.
"""

import logging
import os
import secrets
import socket
from dataclasses import dataclass

log = logging.getLogger(__name__)

BEAT_SECONDS = 5
# A process that has not beaten for this long is gone; generous, because a
# busy process may beat late.
STALE_SECONDS = 30


class SecondProcessRefused(RuntimeError):
    """Another live process serves the same database without a message queue."""


@dataclass(frozen=True)
class Instance:
    """This process: a random id, and where it runs, to tell a restart from a peer."""

    id: str
    host: str
    pid: int

    @classmethod
    def current(cls):
        return cls(secrets.token_hex(8), socket.gethostname(), os.getpid())


def process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_gone(row, me, now):
    """Tell whether the process recorded in `row` no longer serves.

    On this host a process whose id is free, or is our own (a container
    restarted with the same process id), is gone at once; elsewhere only
    its silence tells.
    """
    if row["id"] == me.id:
        return False
    if row["seen_at"] < now - STALE_SECONDS:
        return True
    if row["host"] == me.host:
        return row["pid"] == me.pid or not process_exists(row["pid"])
    return False


def start(db, me, now, shared_queue):
    """Record this process and forget what gone ones held; return their rooms.

    Raises SecondProcessRefused when another process serves the database
    and no message queue links the two: each would then reach only its
    own clients.
    """
    recorded = db.execute("SELECT * FROM instances").fetchall()
    gone = [row["id"] for row in recorded if is_gone(row, me, now)]
    peers = [row for row in recorded if row["id"] not in gone]
    if peers and not shared_queue:
        names = ", ".join(f"pid {row['pid']} on {row['host']}" for row in peers)
        raise SecondProcessRefused(
            f"another app process ({names}) serves this database; several "
            "processes need MESSAGE_QUEUE=redis://... to reach each other's clients"
        )

    db.execute(
        "INSERT INTO instances (id, host, pid, started_at, seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (me.id, me.host, me.pid, now, now),
    )
    return forget(db, gone, now)


def beat(db, me, now):
    """Show that this process lives; forget processes that fell silent.

    Returns the codes of rooms whose connections were forgotten, and whether
    this process itself had been taken for gone (its connections with it).
    """
    seen = db.execute(
        "UPDATE instances SET seen_at = ? WHERE id = ?", (now, me.id)
    ).rowcount
    if not seen:
        db.execute(
            "INSERT INTO instances (id, host, pid, started_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (me.id, me.host, me.pid, now, now),
        )
    silent = db.execute(
        "SELECT id FROM instances WHERE seen_at < ?", (now - STALE_SECONDS,)
    ).fetchall()
    return forget(db, [row["id"] for row in silent], now), not seen


def forget(db, gone, now):
    """Delete gone processes and every connection no recorded process holds.

    The people behind those connections count as last seen `now`, so they are
    not taken for long gone (rooms.GONE_AFTER_SECONDS) while they reconnect.
    Returns the codes of the rooms that lost connections.
    """
    for instance_id in gone:
        db.execute("DELETE FROM instances WHERE id = ?", (instance_id,))
    rooms = db.execute(
        "SELECT DISTINCT r.code FROM connections c JOIN rooms r ON r.id = c.room_id"
        " WHERE c.instance NOT IN (SELECT id FROM instances)"
    ).fetchall()
    db.execute(
        "UPDATE participants SET last_seen = ? WHERE id IN (SELECT participant_id"
        " FROM connections WHERE instance NOT IN (SELECT id FROM instances))",
        (now,),
    )
    db.execute(
        "DELETE FROM connections WHERE instance NOT IN (SELECT id FROM instances)"
    )
    db.execute(
        "DELETE FROM admin_sockets WHERE instance NOT IN (SELECT id FROM instances)"
    )
    return [row["code"] for row in rooms]
