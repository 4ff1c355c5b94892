"""Simulated participants and rooms: what they send and what they measure.

A state counts by its content, since a server may merge several changes into
one: a vote is seen by a member at the first state of the current round that
shows the voter as voted; the reveal at the first state with the round
revealed. States older than one already processed are ignored, as the
protocol asks of every client.
"""

import asyncio
import secrets
import time

import socketio

import wire_json

VOTE_CARDS = ("1", "2", "3", "5", "8", "13")
clock = time.monotonic


class CountingClient(socketio.AsyncClient):
    """An AsyncClient that counts the Socket.IO packets and bytes it receives."""

    def __init__(self, tally, **options):
        super().__init__(**options)
        self.tally = tally

    async def _handle_eio_message(self, data):
        # The one place where a packet is still raw text; python-socketio has
        # no public hook that sees every packet before decoding it.
        counts = self.tally.counts
        counts["messages"] += 1
        if isinstance(data, str):
            # isascii() is a flag lookup; only non-ASCII text needs encoding
            counts["bytes"] += len(data) if data.isascii() else len(data.encode())
        else:
            counts["bytes"] += len(data)
        await super()._handle_eio_message(data)


async def call(member, event, payload, tally):
    """Emit `event`, wait for its ack and return it if ok; count every failure.

    An ack that does not come in time returns False rather than None: the
    server may still have applied the change.
    """
    try:
        answer = await member.sio.call(event, payload, timeout=tally.ack_timeout)
    except socketio.exceptions.TimeoutError:
        tally.errors[f"{event}: ack timeout"] += 1
        return False
    except socketio.exceptions.SocketIOError as problem:
        tally.errors[f"{event}: {type(problem).__name__}"] += 1
        return None

    if not isinstance(answer, dict) or not answer.get("ok"):
        code = answer.get("error") if isinstance(answer, dict) else repr(answer)
        tally.errors[f"{event}: {code}"] += 1
        return None
    return answer


class Member:
    """One participant: a connection, and what it has seen of the current round."""

    def __init__(self, room, index, tally):
        self.room = room
        self.index = index
        self.tally = tally
        self.client_id = "bench-" + secrets.token_hex(8)
        self.id = None
        self.version = -1
        self.round_seen = 0
        self.seen_votes = set()
        self.reveal_seen = False
        self.present_seen = 0
        self.closing = False
        # orjson, as the server uses: the generator shares the server's two
        # cores, and every state it decodes is CPU the server does not get
        self.sio = CountingClient(tally, reconnection=False, json=wire_json)
        self.sio.on("state", self.on_state)
        self.sio.on("disconnect", self.on_disconnect)

    def join_payload(self):
        return {
            "room": self.room.code,
            "name": f"P{self.index + 1}",
            "client_id": self.client_id,
            "role": "voter",
        }

    def joined(self, answer):
        self.id = answer["participant_id"]
        self.on_state(answer["snapshot"])

    def on_state(self, state):
        if state["version"] < self.version:
            self.tally.counts["stale_states"] += 1
            return
        self.version = state["version"]
        self.room.observe(self, state, clock())

    def on_disconnect(self, reason=None):
        if not self.closing:
            self.tally.counts["disconnects"] += 1


class BenchRoom:
    """One room of the benchmark: plays rounds and collects their latencies."""

    def __init__(self, code, tally, rng):
        self.code = code
        self.tally = tally
        self.rng = rng
        self.members = []
        self.changed = asyncio.Event()
        self.round_number = None
        self.start_measuring()

    def start_measuring(self):
        self.sent = {}
        self.seen_count = {}
        self.seen_last = {}
        self.reveal_sent = None
        self.reveal_count = 0
        self.reveal_last = None

    def observe(self, member, state, now):
        """Note what `member` learns from a state it accepted, at time `now`."""
        number = state["round"]["number"]
        if self.round_number is None:
            self.round_number = number
        if number > member.round_seen:
            member.round_seen = number
            member.seen_votes = set()
            member.reveal_seen = False
        member.present_seen = len(state["participants"])

        if number == self.round_number:
            for participant in state["participants"]:
                voter = participant["id"]
                if (
                    participant["voted"]
                    and voter in self.sent
                    and voter != member.id
                    and voter not in member.seen_votes
                ):
                    member.seen_votes.add(voter)
                    self.seen_count[voter] += 1
                    self.seen_last[voter] = now
            if state["round"]["revealed"] and not member.reveal_seen:
                member.reveal_seen = True
                if self.reveal_sent is not None:
                    self.reveal_count += 1
                    self.reveal_last = now
        self.changed.set()

    def everyone_sees_everyone(self):
        return all(m.present_seen >= len(self.members) for m in self.members)

    async def until(self, condition, timeout):
        """Wait until `condition()` holds or `timeout` passes; say whether it held."""
        deadline = clock() + timeout
        while not condition():
            remaining = deadline - clock()
            if remaining <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return condition()
        return True

    async def vote(self, member, at):
        await asyncio.sleep(max(0.0, at - clock()))
        self.seen_count[member.id] = 0
        self.sent[member.id] = sent = clock()
        card = self.rng.choice(VOTE_CARDS)
        answer = await call(member, "vote", {"value": card}, self.tally)
        if answer:
            self.tally.samples["vote_ack"].append(clock() - sent)
        elif answer is None:
            # refused: the vote does not exist, so nobody is expected to see it
            del self.sent[member.id]

    async def play_round(self, start, spread, burst, wait):
        """Everyone votes, one reveals once all votes are acked, then a new round."""
        self.start_measuring()
        await asyncio.gather(
            *(
                self.vote(member, start + (0 if burst else self.rng.uniform(0, spread)))
                for member in self.members
            )
        )

        leader = self.members[0]
        self.reveal_sent = clock()
        await call(leader, "reveal", {}, self.tally)
        everyone = len(self.members)
        revealed = await self.until(lambda: self.reveal_count == everyone, wait)
        self.record_round(revealed)

        following = self.round_number + 1
        await call(leader, "new_round", {}, self.tally)
        moved = await self.until(
            lambda: all(m.round_seen >= following for m in self.members), wait
        )
        if not moved:
            self.tally.counts["new_round_unseen"] += 1
        self.round_number = following

    def record_round(self, revealed):
        samples, counts = self.tally.samples, self.tally.counts
        others = len(self.members) - 1
        for voter, sent in self.sent.items():
            counts["votes_cast"] += 1
            if self.seen_count[voter] >= others:
                samples["vote_seen"].append(self.seen_last[voter] - sent)
            else:
                counts["votes_unseen"] += 1
        counts["reveals"] += 1
        if revealed:
            samples["reveal_seen"].append(self.reveal_last - self.reveal_sent)
        else:
            counts["reveals_unseen"] += 1
