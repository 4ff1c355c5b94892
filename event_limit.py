"""A limit on the Socket.IO events one connection may send, so a runaway
client cannot crowd out the others in its room.

`limits` (which Flask-Limiter uses for the admin login) was the first
choice here too, but its in-memory storage rescans every key from a timer
a hundred times a second; with a key per connection that cost 12 to 28 % of
the server's CPU under load (bench/README.md). A window of timestamps per
connection, dropped when it closes, costs nearly nothing.
"""

import collections
import time

EVENTS = 20
SECONDS = 1.0


class EventLimit:
    """At most `events` in any `seconds` from one connection."""

    def __init__(self, events=EVENTS, seconds=SECONDS, clock=time.monotonic):
        self.events = events
        self.seconds = seconds
        self.clock = clock
        self.recent = {}

    def allow(self, sid):
        """Count an event of `sid`; return False when it is one too many."""
        now = self.clock()
        recent = self.recent.setdefault(sid, collections.deque())
        while recent and now - recent[0] >= self.seconds:
            recent.popleft()
        if len(recent) >= self.events:
            return False
        recent.append(now)
        return True

    def forget(self, sid):
        """Drop a closed connection's window."""
        self.recent.pop(sid, None)
