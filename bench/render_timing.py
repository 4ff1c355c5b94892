"""Time the server-side render of a room page (`GET /r/<code>`) with 40 people in it.

    .venv/bin/python bench/render_timing.py [--participants 40] [--requests 500]

The app runs in this process on a temp-file database through Flask's test
client; participants join through the same `rooms.join` the socket handler
calls, half of them with a vote in the current round.
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import database  # noqa: E402
import rooms  # noqa: E402
import snapshots  # noqa: E402
from app import create_app  # noqa: E402


def percentile(ordered, p):
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def fill_room(app, code, participants):
    """Join `participants` voters with a connection each; every second one votes."""
    with app.app_context():
        db = database.get_db()
        with database.transaction(db):
            room = rooms.require_room(db, code)
            for number in range(participants):
                person = rooms.join(
                    db,
                    room,
                    f"render-{number:04d}",
                    f"Person {number + 1}",
                    "voter",
                    f"sid-{number}",
                )
                if number % 2 == 0:
                    rooms.cast_vote(db, room, person, "5")


def timed(action, count):
    """Run `action` `count` times after a warm-up; return the durations in ms."""
    for _ in range(20):
        action()
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    return sorted(durations)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-render-") as workdir:
        app = create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "render-timing-secret",
                "DB_PATH": os.path.join(workdir, "render.db"),
                "ASYNC_MODE": "threading",
                "LOG_LEVEL": "WARNING",
            }
        )
        client = app.test_client()
        code = client.post("/api/rooms", json={"name": "Render"}).get_json()["code"]
        fill_room(app, code, args.participants)

        def page():
            answer = client.get(f"/r/{code}")
            assert answer.status_code == 200, answer.status_code

        def snapshot_only():
            with app.app_context():
                db = database.get_db()
                snapshots.snapshot(db, rooms.require_room(db, code))

        figures = {
            "GET /r/<code> (whole request)": timed(page, args.requests),
            "room snapshot alone": timed(snapshot_only, args.requests),
        }

    print(f"room page with {args.participants} participants, {args.requests} requests")
    for label, durations in figures.items():
        print(
            f"  {label:32} p50 {percentile(durations, 50):6.2f} ms"
            f"   p95 {percentile(durations, 95):6.2f} ms"
            f"   mean {statistics.fmean(durations):6.2f} ms"
        )


if __name__ == "__main__":
    main()
