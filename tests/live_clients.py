"""Real python-socketio clients for tests against a running `python app.py`."""

import asyncio
import queue
import secrets
import ssl
import threading

import aiohttp
import socketio

ACK_TIMEOUT = 10
# How long a Voter waits for a vote's ack before it counts as unanswered.
SHORT_ACK = 1.5
CARDS = ("1", "2", "3", "5", "8", "13")


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
        # set while the connection is in the room, as the page's `view.joined`
        self.in_room = threading.Event()
        self.sio = self.make_client(**client_options)
        self.sio.on("state", self._on_state)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)

    def make_client(self, **client_options):
        return socketio.Client(
            reconnection_delay=0.2, reconnection_delay_max=1, **client_options
        )

    def _on_state(self, state):
        if self.latest is None or state["version"] >= self.latest["version"]:
            self.latest = state
        self.states.put(state)

    def _on_connect(self):
        # like the browser: join the room again on every (re)connect
        if self.room is not None:
            self.sio.start_background_task(self._rejoin)

    def _on_disconnect(self, reason=None):
        self.in_room.clear()
        # After a dropped connection python-engineio keeps the dead websocket
        # until the next one replaces it, and its garbage collection then
        # warns about an unclosed socket; close it now.
        dead = self.sio.eio.ws
        if dead is not None and reason == self.sio.eio.reason.TRANSPORT_ERROR:
            dead.shutdown()

    def _rejoin(self):
        answer = self.call("join", self._join_payload())
        if answer.get("ok"):
            self.in_room.set()
        self.joined.put(answer)

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
        self.in_room.set()
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


class Voter(threading.Thread):
    """Vote again and again, ten times a second, and log what the server said.

    Each entry is (value, outcome): the ack, or None when no ack came (the
    vote may or may not have been stored).
    """

    def __init__(self, member, running, stopping):
        super().__init__(daemon=True)
        self.member = member
        self.running = running
        self.stopping = stopping
        self.idle = threading.Event()
        self.log = []

    def run(self):
        turn = 0
        while not self.stopping.is_set():
            if not self.running.is_set():
                self.idle.set()
                self.running.wait()
                self.idle.clear()
                continue
            if not self.member.in_room.wait(0.1):
                # like the page, which offers no card until it is back in its room
                continue
            value = CARDS[(turn + self.member.participant_id) % len(CARDS)]
            turn += 1
            try:
                outcome = self.member.sio.call(
                    "vote", {"value": value}, timeout=SHORT_ACK
                )
            except socketio.exceptions.SocketIOError:
                outcome = None
            self.log.append((value, outcome))
            self.stopping.wait(0.1)
        self.idle.set()

    def acked(self):
        return sum(1 for _value, outcome in self.log if outcome and outcome["ok"])

    def possible_values(self):
        """Return what the database may hold: the last acked vote or a later unacked."""
        possible = {None}
        for value, outcome in self.log:
            if outcome is None:
                possible.add(value)
            elif outcome["ok"]:
                possible = {value}
        return possible


class TLSParticipant(Participant):
    """A participant for https addresses, on python-socketio's asyncio client.

    The threaded client reads and writes one TLS socket from two threads at
    once, which now and then breaks the connection (python-engineio issue
    461); the asyncio client does both on one event loop. `cert` is the CA
    file the proxy's certificate is checked against.
    """

    def __init__(self, base_url, name, cert, **options):
        self.cert = cert
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        super().__init__(base_url, name, **options)

    def make_client(self, **client_options):
        async def make():
            context = ssl.create_default_context(cafile=self.cert)
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context), trust_env=False
            )
            options = {"reconnection_delay": 0.2, "reconnection_delay_max": 1}
            options.update(client_options)
            return socketio.AsyncClient(http_session=self.session, **options)

        return self.run(make())

    def run(self, coroutine, timeout=ACK_TIMEOUT + 5):
        """Run a coroutine on the client's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def _on_connect(self):
        if self.room is not None:
            self.loop.create_task(self._rejoin_soon())

    async def _rejoin_soon(self):
        answer = await self.sio.call("join", self._join_payload(), timeout=ACK_TIMEOUT)
        if answer.get("ok"):
            self.in_room.set()
        self.joined.put(answer)

    def _on_disconnect(self, reason=None):
        self.in_room.clear()

    def connect(self, path="socket.io", **options):
        self.run(
            self.sio.connect(
                self.base_url, socketio_path=path, wait_timeout=10, **options
            )
        )
        return self

    def call(self, event, payload=None):
        payload = {} if payload is None else payload
        return self.run(self.sio.call(event, payload, timeout=ACK_TIMEOUT))

    def close(self):
        """Disconnect, close the HTTP session and stop the loop."""

        async def finish():
            await self.sio.shutdown()
            await self.session.close()
            # aiohttp closes TLS connections a moment after their session
            await asyncio.sleep(0.25)

        self.run(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
