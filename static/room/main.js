// The room page: join with a name, vote, reveal, and follow everyone live.

import { bindControls, renderControls } from "./controls.js";
import { openSocket, request, watchConnection } from "./connection.js";
import { cleanName, remember } from "./identity.js";
import { bindCardKeys } from "./keyboard.js";
import { renderOptions } from "./moderation.js";
import { createNudge } from "./nudge.js";
import { progressText, renderParticipants } from "./participants.js";
import { announcement, renderResult, resultNodes } from "./result.js";
import { renderStory, storyNodes } from "./story.js";
import { t } from "./text.js";
import { createCountdown } from "./timer.js";
import {
  canVote,
  hasControl,
  identity,
  isModerator,
  me,
  myRole,
  shownVote,
  view,
} from "./view.js";

const byId = (id) => document.getElementById(id);
// The text to show when the server sends this connection away, by its reason.
const REMOVED_TEXTS = { left: "left_elsewhere", deleted: "room_deleted" };
// A confirmation leaves the status line after this; refusals stay.
const CONFIRMATION_MS = 6000;
const root = byId("room");
const dom = {
  message: byId("message"),
  announcer: byId("announcer"),
  connection: byId("connection-state"),
  connectionText: byId("connection-text"),
  joinPanel: byId("join-panel"),
  nameForm: byId("name-form"),
  nameInput: byId("name-input"),
  table: byId("table"),
  story: storyNodes(),
  deck: byId("deck"),
  deckHint: byId("deck-hint"),
  cards: [...document.querySelectorAll("#deck .card")],
  progress: byId("vote-progress"),
  participants: byId("participants"),
  participantCount: byId("participant-count"),
  optionsPanel: byId("options-panel"),
  optionsForm: byId("options-form"),
  result: resultNodes(),
};

const socket = openSocket(root.dataset.scriptRoot);
const countdown = createCountdown(byId("timer"), byId("timer-value"), () =>
  say(t("timer_ended"), true)
);
const nudge = createNudge(byId("nudge-hint"), byId("nudge-sound"));

let confirmationTimer = 0;

/** Show `text` in the status line; a `passing` confirmation goes by itself. */
function say(text, passing = false) {
  clearTimeout(confirmationTimer);
  dom.message.textContent = text;
  if (passing && text) {
    confirmationTimer = setTimeout(() => say(""), CONFIRMATION_MS);
  }
}

function deckHint(revealed, control) {
  let hint = t(revealed ? "hint_revealed" : `hint_voter_${dom.deck.dataset.keys}`);
  if (myRole() === "observer") {
    hint = t("hint_observer");
  }
  return control ? hint : `${hint} ${t("hint_moderators")}`;
}

/** Draw the whole page from the current view. */
function render() {
  const { snapshot } = view;
  const revealed = snapshot.round.revealed;
  const control = hasControl();
  view.canName = isModerator();

  renderStory(dom.story, snapshot);
  const chosen = shownVote();
  const votable = canVote();
  for (const card of dom.cards) {
    card.setAttribute("aria-pressed", String(card.dataset.card === chosen));
    card.disabled = !votable;
  }
  dom.deckHint.textContent = deckHint(revealed, control || !view.joined);

  dom.table.classList.toggle("is-stale", !view.joined);
  renderControls({
    control,
    moderator: view.canName,
    revealed,
    timerRunning: countdown.running(),
  });
  dom.progress.textContent = revealed ? "" : progressText(snapshot.participants);

  renderParticipants(dom.participants, view);
  dom.participantCount.textContent = String(snapshot.participants.length);
  dom.optionsPanel.hidden = !view.canName;
  if (view.canName) {
    renderOptions(dom.optionsForm, snapshot.room.options);
  }

  dom.result.panel.hidden = !revealed;
  if (revealed && snapshot.stats) {
    renderResult(dom.result, snapshot);
  }
}

/** Take a snapshot from the server; `fresh` ones (join acks) replace any other. */
function applySnapshot(snapshot, fresh = false) {
  if (!fresh && snapshot.version < view.snapshot.version) {
    return;
  }
  const before = view.snapshot.round;
  view.snapshot = snapshot;
  view.justRevealed = view.joined && !before.revealed && snapshot.round.revealed;
  if (snapshot.round.revealed || snapshot.round.number !== before.number) {
    nudge.clear();
  }

  const mine = me();
  if (!mine || !mine.voted) {
    view.myVote = null;
  } else if (snapshot.round.revealed && mine.vote !== null) {
    view.myVote = mine.vote;
  }

  countdown.update(snapshot);
  render();
  if (view.justRevealed && snapshot.stats) {
    dom.announcer.textContent = announcement(snapshot.stats);
  }
  view.justRevealed = false;
}

async function join() {
  const ack = await request(socket, "join", {
    room: root.dataset.roomCode,
    name: identity.name,
    client_id: identity.clientId,
    role: identity.role,
  });
  if (!ack.ok) {
    say(ack.text);
    if (ack.error === "invalid_name") {
      showNameForm();
    }
    return;
  }

  view.joined = true;
  view.myId = ack.participant_id;
  view.myVote = ack.my_vote;
  view.pendingVote = undefined;
  applySnapshot(ack.snapshot, true);
}

async function vote(card) {
  if (!canVote()) {
    return;
  }
  const value = shownVote() === card ? null : card;
  view.pendingVote = value;
  render();

  const ack = await request(socket, "vote", { value });
  view.pendingVote = undefined;
  if (ack.ok) {
    view.myVote = ack.vote;
    nudge.clear();
  } else {
    say(ack.text);
  }
  render();
}

/** Send `event`; say `doneText` (or the refusal) and return the ack. */
async function act(event, payload, doneText = "") {
  const ack = await request(socket, event, payload);
  say(ack.ok ? doneText : ack.text, ack.ok);
  if (!ack.ok) {
    // Undo what a form field shows but the server refused.
    render();
  }
  return ack;
}

function showNameForm() {
  dom.nameInput.value = identity.name;
  dom.nameForm.elements.role.value = identity.role;
  dom.joinPanel.hidden = false;
  dom.nameInput.focus();
}

function enterRoom() {
  dom.joinPanel.hidden = true;
  dom.table.hidden = false;
  dom.connection.hidden = false;
  if (socket.connected) {
    join();
  } else {
    socket.connect();
  }
}

dom.nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = cleanName(dom.nameInput.value);
  if (name === null) {
    say(t("error_invalid_name"));
    dom.nameInput.focus();
    return;
  }
  identity.name = name;
  const observer = dom.nameForm.elements.role.value === "observer";
  identity.role = observer ? "observer" : "voter";
  remember(identity.name, identity.role);
  say("");
  enterRoom();
});

dom.deck.addEventListener("click", (event) => {
  const card = event.target.closest(".card");
  if (card && !card.disabled) {
    vote(card.dataset.card);
  }
});

bindCardKeys(dom.deck, dom.cards, (card) => {
  if (canVote()) {
    card.focus();
    vote(card.dataset.card);
  }
});

bindControls({ act, say, socket, showNameForm, snapshot: () => view.snapshot });

socket.on("connect", join);
socket.on("disconnect", () => {
  view.joined = false;
  render();
});
socket.on("state", (snapshot) => applySnapshot(snapshot));
socket.on("nudge", (payload) => nudge.show(String(payload?.from ?? "")));
socket.on("removed", (notice) => {
  socket.disconnect();
  dom.table.hidden = true;
  dom.connection.hidden = true;
  say(t(REMOVED_TEXTS[notice?.reason] ?? "removed"));
  if (notice?.reason !== "deleted") {
    showNameForm();
  }
});
watchConnection(socket, dom.connection, dom.connectionText);

render();
if (identity.name) {
  enterRoom();
} else {
  showNameForm();
}
