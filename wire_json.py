"""JSON for Socket.IO packets, encoded and decoded by orjson.

python-socketio takes any module with `dumps` and `loads`. Each room state is
encoded once per send and each client event decoded once; orjson does both
several times faster than the standard library, which counts when a burst
of votes keeps the server's one core busy (bench/README.md). What orjson
refuses but JSON allows (integers beyond 64 bits) goes to the standard
library, so every client gets the same answers as before.
"""

import json

import orjson


def dumps(data, **_options):
    """Encode `data` as compact JSON text."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"))


def loads(text, **_options):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
