// The Planning Poker public contract served the way most planning poker apps
// do it: rooms in memory, and on every change the whole room state goes to
// the whole room as one `state` event. A baseline for bench/run.py only.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const { Server } = require("socket.io");

const HOST = process.env.HOST || "127.0.0.1";
const PORT = Number(process.env.PORT || 5000);
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const DECKS = {
  fibonacci: ["0", "½", "1", "2", "3", "5", "8", "13", "20", "40", "100", "?", "☕"],
  "fibonacci-classic": ["0", "1", "2", "3", "5", "8", "13", "21", "34", "55", "89", "?", "☕"],
  tshirt: ["XS", "S", "M", "L", "XL", "XXL", "?"],
  "powers-of-two": ["0", "1", "2", "4", "8", "16", "32", "64", "?"],
};

const rooms = new Map();
let nextParticipantId = 1;

function newCode() {
  let code;
  do {
    const bytes = crypto.randomBytes(6);
    code = Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
  } while (rooms.has(code));
  return code;
}

function cardValue(card) {
  return card === "½" ? 0.5 : Number(card);
}

function summarize(room) {
  const played = [...room.votes.values()];
  const numbers = played
    .map(cardValue)
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
  const distribution = {};
  for (const card of room.cards) {
    const count = played.filter((v) => v === card).length;
    if (count) distribution[card] = count;
  }
  const stats = { count: numbers.length, distribution, consensus: false };
  if (!numbers.length) {
    return { ...stats, average: null, median: null, min: null, max: null, suggestion: null };
  }

  const middle = numbers.length >> 1;
  const median =
    numbers.length % 2 ? numbers[middle] : (numbers[middle - 1] + numbers[middle]) / 2;
  const nearer = (best, card) => {
    const gap = Math.abs(cardValue(card) - median);
    const bestGap = Math.abs(cardValue(best) - median);
    return gap < bestGap || (gap === bestGap && cardValue(card) > cardValue(best))
      ? card
      : best;
  };
  return {
    ...stats,
    average: numbers.reduce((a, b) => a + b, 0) / numbers.length,
    median,
    min: numbers[0],
    max: numbers[numbers.length - 1],
    consensus: numbers[0] === numbers[numbers.length - 1],
    suggestion: room.cards.filter((c) => Number.isFinite(cardValue(c))).reduce(nearer),
  };
}

function snapshot(room) {
  const revealed = room.round.revealed;
  const participants = [...room.participants.values()].filter((p) => p.present);
  return {
    version: room.version,
    room: { code: room.code, name: room.name, deck: room.deck, cards: room.cards },
    story: null,
    round: { number: room.round.number, revealed },
    participants: participants.map((p) => ({
      id: p.id,
      name: p.name,
      role: p.role,
      online: p.sockets.size > 0,
      voted: room.votes.has(p.id),
      vote: revealed ? (room.votes.get(p.id) ?? null) : null,
    })),
    stats: revealed ? room.stats : null,
  };
}

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function createRoom(req, res) {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    let data = null;
    try {
      data = JSON.parse(body);
    } catch {
      // answered below like any other bad input
    }
    const name = typeof data?.name === "string" ? data.name.trim().slice(0, 200) : "";
    const deck = data?.deck || "fibonacci";
    const cards = deck === "custom" ? data.cards : DECKS[deck];
    if (!name || !Array.isArray(cards) || !cards.length) {
      return sendJson(res, 400, { error: "invalid_payload", message: "Ungültiger Raum." });
    }
    const code = newCode();
    rooms.set(code, {
      code,
      name,
      deck,
      cards,
      version: 0,
      round: { number: 1, revealed: false },
      participants: new Map(),
      votes: new Map(),
      stats: null,
    });
    sendJson(res, 201, { code, url: `http://${req.headers.host}/r/${code}` });
  });
}

function route(req, res) {
  if (req.method === "GET" && req.url === "/healthz") {
    return sendJson(res, 200, { status: "ok" });
  }
  if (req.method === "POST" && req.url === "/api/rooms") return createRoom(req, res);
  const asked = req.method === "GET" && req.url.match(/^\/api\/rooms\/(\w{6})$/);
  const room = asked && rooms.get(asked[1].toUpperCase());
  if (room) return sendJson(res, 200, snapshot(room));
  sendJson(res, 404, { error: "not_found", message: "Nicht gefunden." });
}

const server = http.createServer(route);
const io = new Server(server, { pingTimeout: 60000, maxHttpBufferSize: 64 * 1024 });

function fail(error, message) {
  return { ok: false, error, message };
}

const NOT_JOINED = fail("not_joined", "Bitte zuerst einem Raum beitreten.");
const INVALID = fail("invalid_payload", "Die Anfrage ist ungültig.");

function publish(room) {
  room.version += 1;
  io.to(room.code).emit("state", snapshot(room));
}

io.on("connection", (socket) => {
  // Every event is answered through its ack; the handler gets the caller's
  // room and participant once it has joined.
  function on(event, handler, needsRoom = true) {
    socket.on(event, (payload, ack) => {
      let answer;
      if (typeof payload !== "object" || payload === null) answer = INVALID;
      else if (needsRoom && !socket.data.room) answer = NOT_JOINED;
      else answer = handler(payload, socket.data.room, socket.data.participant);
      if (typeof ack === "function") ack(answer);
    });
  }

  on(
    "join",
    ({ room: code, name, client_id: clientId, role = "voter" }) => {
      const room = rooms.get(String(code || "").toUpperCase());
      if (!room) return fail("room_not_found", "Diesen Raum gibt es nicht.");
      if (typeof name !== "string" || !name.trim() || name.length > 40) {
        return fail("invalid_name", "Bitte einen Namen mit 1 bis 40 Zeichen angeben.");
      }
      if (typeof clientId !== "string" || !["voter", "observer"].includes(role)) {
        return INVALID;
      }
      let participant = room.participants.get(clientId);
      if (!participant) {
        participant = { id: nextParticipantId++, sockets: new Set() };
        room.participants.set(clientId, participant);
      }
      Object.assign(participant, { name: name.trim(), role, present: true });
      participant.sockets.add(socket.id);
      socket.data = { room, participant };
      socket.join(room.code);
      publish(room);
      return {
        ok: true,
        participant_id: participant.id,
        snapshot: snapshot(room),
        my_vote: room.votes.get(participant.id) ?? null,
      };
    },
    false,
  );

  on("vote", ({ value }, room, participant) => {
    if (participant.role !== "voter") {
      return fail("not_allowed", "Beobachter können nicht abstimmen.");
    }
    if (value !== null && !room.cards.includes(value)) {
      return fail("invalid_card", "Diese Karte gehört nicht zum Deck des Raums.");
    }
    if (room.round.revealed) {
      return fail("already_revealed", "Die Karten sind schon aufgedeckt.");
    }
    if (value === null) room.votes.delete(participant.id);
    else room.votes.set(participant.id, value);
    publish(room);
    return { ok: true, vote: value };
  });

  on("reveal", (_payload, room) => {
    if (room.round.revealed) {
      return fail("already_revealed", "Die Karten sind schon aufgedeckt.");
    }
    room.round.revealed = true;
    room.stats = summarize(room);
    publish(room);
    return { ok: true };
  });

  on("new_round", (_payload, room) => {
    room.round = { number: room.round.number + 1, revealed: false };
    room.votes.clear();
    room.stats = null;
    publish(room);
    return { ok: true };
  });

  on("leave", (_payload, room, participant) => {
    participant.present = false;
    participant.sockets.delete(socket.id);
    socket.leave(room.code);
    socket.data = {};
    publish(room);
    return { ok: true };
  });

  socket.on("disconnect", () => {
    const { room, participant } = socket.data;
    if (!room) return;
    participant.sockets.delete(socket.id);
    publish(room);
  });
});

server.listen(PORT, HOST, () => console.log(`node baseline on http://${HOST}:${PORT}`));
process.on("SIGTERM", () => process.exit(0));
