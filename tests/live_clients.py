"""Real python-socketio clients for tests against a running `python app.py`."""

import queue
import secrets

import socketio

ACK_TIMEOUT = 10


class Participant:
    """One browser-like participant: a client id, a connection and its inbox."""

    def __init__(self, base_url, name, role="voter", client_id=None, **client_options):
        self.base_url = base_url
        self.name = name
        self.role = role
        self.client_id = client_id or "t-" + secrets.token_hex(8)
        self.states = queue.Queue()
        self.latest = None
        self.room = None
        self.joined = queue.Queue()
        self.sio = socketio.Client(
            reconnection_delay=0.2, reconnection_delay_max=1, **client_options
        )
        self.sio.on("state", self._on_state)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)

    def _on_state(self, state):
        if self.latest is None or state["version"] >= self.latest["version"]:
            self.latest = state
        self.states.put(state)

    def _on_connect(self):
        # like the browser: join the room again on every (re)connect
        if self.room is not None:
            self.sio.start_background_task(self._rejoin)

    def _on_disconnect(self, reason=None):
        # After a dropped connection python-engineio keeps the dead websocket
        # until the next one replaces it, and its garbage collection then
        # warns about an unclosed socket; close it now.
        dead = self.sio.eio.ws
        if dead is not None and reason == self.sio.eio.reason.TRANSPORT_ERROR:
            dead.shutdown()

    def _rejoin(self):
        self.joined.put(self.call("join", self._join_payload()))

    def _join_payload(self):
        return {
            "room": self.room,
            "name": self.name,
            "client_id": self.client_id,
            "role": self.role,
        }

    def connect(self, path="socket.io", **options):
        self.sio.connect(self.base_url, socketio_path=path, wait_timeout=10, **options)
        return self

    def join(self, room):
        self.room = room
        answer = self.call("join", self._join_payload())
        assert answer["ok"], answer
        self.participant_id = answer["participant_id"]
        self.latest = answer["snapshot"]
        return answer

    def call(self, event, payload=None):
        return self.sio.call(
            event, {} if payload is None else payload, timeout=ACK_TIMEOUT
        )

    def wait_for(self, condition, timeout=10):
        """Wait until a received state satisfies `condition`; return that state."""
        if self.latest is not None and condition(self.latest):
            return self.latest
        while True:
            state = self.states.get(timeout=timeout)
            if condition(state) and state is self.latest:
                return state

    def close(self):
        """Disconnect, or stop reconnecting if the server is already gone."""
        self.sio.shutdown()
