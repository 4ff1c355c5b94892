// The presentation view: follows a room read-only through `watch`, no deck.

import { openSocket, request, watchConnection } from "./connection.js";
import { progressText, renderParticipants } from "./participants.js";
import { announcement, renderResult, resultNodes } from "./result.js";
import { renderStory, storyNodes } from "./story.js";
import { t } from "./text.js";
import { createCountdown } from "./timer.js";

const byId = (id) => document.getElementById(id);
const root = byId("present");
const dom = {
  message: byId("message"),
  announcer: byId("announcer"),
  story: storyNodes(),
  progress: byId("vote-progress"),
  participants: byId("participants"),
  result: resultNodes(),
};
const view = {
  snapshot: JSON.parse(byId("room-snapshot").textContent),
  myId: null,
  justRevealed: false,
  canName: false,
};
const socket = openSocket(root.dataset.scriptRoot);
const countdown = createCountdown(byId("timer"), byId("timer-value"), () => {
  dom.message.textContent = t("timer_ended");
});

/** Draw the whole view from the latest snapshot. */
function render() {
  const { snapshot } = view;
  const revealed = snapshot.round.revealed;
  renderStory(dom.story, snapshot);
  dom.progress.textContent = revealed ? "" : progressText(snapshot.participants);
  renderParticipants(dom.participants, view);
  root.classList.toggle("is-revealed", revealed);
  dom.result.panel.hidden = !revealed;
  if (revealed && snapshot.stats) {
    renderResult(dom.result, snapshot);
  }
}

function applySnapshot(snapshot, fresh = false) {
  if (!fresh && snapshot.version < view.snapshot.version) {
    return;
  }
  const wasRevealed = view.snapshot.round.revealed;
  view.snapshot = snapshot;
  view.justRevealed = !wasRevealed && snapshot.round.revealed;
  if (snapshot.round.number !== view.round) {
    dom.message.textContent = "";
    view.round = snapshot.round.number;
  }
  countdown.update(snapshot);
  render();
  if (view.justRevealed && snapshot.stats) {
    dom.announcer.textContent = announcement(snapshot.stats);
  }
  view.justRevealed = false;
}

async function watch() {
  const ack = await request(socket, "watch", { room: root.dataset.roomCode });
  if (ack.ok) {
    applySnapshot(ack.snapshot, true);
  } else {
    dom.message.textContent = ack.text;
  }
}

socket.on("connect", watch);
socket.on("state", (snapshot) => applySnapshot(snapshot));
watchConnection(socket, byId("connection-state"), byId("connection-text"));
render();
socket.connect();
