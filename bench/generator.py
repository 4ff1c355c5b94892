"""One load-generating process: its own asyncio loop and the rooms it was given.

All participants of a room live in the same process, so every latency is the
difference of two readings of this process's monotonic clock. The parent
(bench/run.py) steps the processes through the phases over a pipe: connect
and join, then one round at a time from a shared wall-clock start.
"""

import asyncio
import collections
import gc
import random
import time
import traceback

import socketio
from participants import BenchRoom
from participants import Member
from participants import call
from participants import clock


class Tally:
    """What one process measured; `as_dict` is what goes back to the parent."""

    def __init__(self, ack_timeout):
        self.ack_timeout = ack_timeout
        self.samples = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.counts = collections.Counter()
        self.cpu = {}

    def as_dict(self):
        return {
            "samples": dict(self.samples),
            "errors": dict(self.errors),
            "counts": dict(self.counts),
            "cpu": self.cpu,
        }


async def connect_member(member, url, gate, tally):
    """Connect over WebSocket and join; return whether the member is in its room."""
    async with gate:
        started = clock()
        try:
            await member.sio.connect(
                url, transports=["websocket"], wait_timeout=tally.ack_timeout
            )
        except (socketio.exceptions.ConnectionError, OSError) as problem:
            tally.errors[f"connect: {type(problem).__name__}"] += 1
            return False
        connected = clock()
        tally.samples["connect"].append(connected - started)

        answer = await call(member, "join", member.join_payload(), tally)
        if not answer:
            return False
        tally.samples["join_ack"].append(clock() - connected)
        member.joined(answer)
        return True


async def connect_all(plan, tally):
    """Bring every participant of this process's rooms in; drop the ones that fail."""
    rng = random.Random(plan["seed"])
    rooms = []
    for code in plan["rooms"]:
        room = BenchRoom(code, tally, rng)
        room.members = [Member(room, i, tally) for i in range(plan["room_size"])]
        rooms.append(room)

    gate = asyncio.Semaphore(plan["connect_concurrency"])
    members = [member for room in rooms for member in room.members]
    # Interleave rooms so that every room fills up gradually, as in real life.
    members.sort(key=lambda member: member.index)
    results = await asyncio.gather(
        *(connect_member(m, plan["url"], gate, tally) for m in members)
    )
    joined = {id(m) for m, ok in zip(members, results, strict=True) if ok}
    for room in rooms:
        room.members = [m for m in room.members if id(m) in joined]
    rooms = [room for room in rooms if room.members]

    # Every join is broadcast to the room; let those states drain first so
    # that round 1 does not start behind the join backlog.
    settled = await asyncio.gather(
        *(room.until(room.everyone_sees_everyone, plan["wait"]) for room in rooms)
    )
    tally.counts["joins_unsettled"] = settled.count(False)
    return rooms


async def drive(conn, plan, tally):
    """Follow the parent's commands until it says finish."""
    loop = asyncio.get_running_loop()
    cpu_start = time.process_time()
    rooms = await connect_all(plan, tally)
    # Our own objects need no cyclic collection from here on; freezing them
    # keeps gen-2 pauses of the generator out of the measured latencies.
    gc.collect()
    gc.freeze()
    tally.cpu["connect_s"] = time.process_time() - cpu_start
    tally.counts["participants"] = sum(len(room.members) for room in rooms)
    joined_counts = dict(tally.counts)
    conn.send(("ready", tally.counts["participants"]))

    cpu_rounds = time.process_time()
    wall_rounds = clock()
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "finish":
            break
        number, start_wall = args
        start = clock() + (start_wall - time.time())
        await asyncio.gather(
            *(
                room.play_round(start, plan["spread"], plan["burst"], plan["wait"])
                for room in rooms
            )
        )
        conn.send(("round_done", number))

    tally.cpu["rounds_s"] = time.process_time() - cpu_rounds
    tally.cpu["rounds_wall_s"] = clock() - wall_rounds
    for key in ("messages", "bytes"):
        tally.counts[f"{key}_rounds"] = tally.counts[key] - joined_counts.get(key, 0)

    for room in rooms:
        for member in room.members:
            member.closing = True
    await asyncio.gather(
        *(m.sio.disconnect() for room in rooms for m in room.members),
        return_exceptions=True,
    )
    tally.cpu["total_s"] = time.process_time() - cpu_start


def main(conn, plan):
    """Process entry point: run the plan within its time limit, report to `conn`."""
    tally = Tally(plan["ack_timeout"])
    try:
        asyncio.run(asyncio.wait_for(drive(conn, plan, tally), plan["timeout"]))
    except TimeoutError:
        tally.errors["generator: overall timeout"] += 1
    except Exception as problem:
        # Report at once, so that the parent stops instead of waiting it out.
        traceback.print_exc()
        tally.errors[f"generator failed: {problem!r}"] += 1
    conn.send(("result", tally.as_dict()))
    conn.close()
