// The room's buttons and forms besides the cards: round, story, timer,
// reminders, moderators, room rules, the invitation link and leaving.

import { bindOptions } from "./moderation.js";
import { displayNames, t } from "./text.js";

const byId = (id) => document.getElementById(id);
const shown = {
  storyControls: byId("story-controls"),
  nextStory: byId("next-story"),
  timerForm: byId("timer-form"),
  timerStop: byId("timer-stop"),
  reveal: byId("reveal"),
  newRound: byId("new-round"),
  nudge: byId("nudge"),
};

/**
 * Show the controls this browser may use, as fits the round and the timer.
 * `control` covers the round and a quick story; the backlog, the countdown
 * and reminders are a moderator's.
 */
export function renderControls({ control, moderator, revealed, timerRunning }) {
  shown.storyControls.hidden = !control;
  shown.nextStory.hidden = !moderator;
  shown.timerForm.hidden = !moderator || timerRunning;
  shown.timerStop.hidden = !moderator || !timerRunning;
  shown.reveal.hidden = !control;
  shown.reveal.disabled = revealed;
  shown.reveal.classList.toggle("button-primary", !revealed);
  shown.newRound.hidden = !control;
  shown.newRound.classList.toggle("button-primary", revealed);
  shown.nudge.hidden = !moderator || revealed;
}

function bindRound({ act, say }) {
  byId("reveal").addEventListener("click", () => act("reveal", {}));
  byId("new-round").addEventListener("click", () =>
    act("new_round", {}, t("new_round"))
  );
  byId("nudge").addEventListener("click", async () => {
    const ack = await act("nudge", {});
    if (ack.ok) {
      const count = ack.nudged;
      say(count ? t("nudged", { count }) : t("nudged_none"), true);
    }
  });
}

function bindStory({ act }) {
  const form = byId("story-form");
  const input = byId("story-input");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = input.value.trim();
    if (title && (await act("set_story", { title }, t("story_set"))).ok) {
      input.value = "";
    }
  });
  byId("next-story").addEventListener("click", () =>
    act("next_story", {}, t("next_story_done"))
  );
}

function bindTimer({ act }) {
  const form = byId("timer-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act("start_timer", { seconds: Number(form.elements.seconds.value) });
  });
  byId("timer-stop").addEventListener("click", () =>
    act("stop_timer", {}, t("timer_stopped"))
  );
}

function bindModerators({ act, snapshot }) {
  byId("participants").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-participant]");
    if (!button) {
      return;
    }
    const id = Number(button.dataset.participant);
    const moderator = button.dataset.moderator === "true";
    const name = displayNames(snapshot().participants).get(id) ?? "";
    const done = t(moderator ? "moderator_named" : "moderator_removed", { name });
    act("set_moderator", { participant_id: id, moderator }, done);
  });
  bindOptions(byId("options-form"), (options) =>
    act("set_options", { options }, t("options_saved"))
  );
}

function bindLink({ say }) {
  const link = byId("share-link");
  link.addEventListener("focus", () => link.select());
  byId("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.value);
    } catch (unavailable) {
      // Plain http has no Clipboard API; fall back to the selection.
      link.select();
      if (!document.execCommand("copy")) {
        say(t("copy_failed"));
        return;
      }
    }
    say(t("link_copied"), true);
  });
}

function bindPerson({ act, socket, showNameForm }) {
  byId("change-name").addEventListener("click", showNameForm);
  byId("leave").addEventListener("click", async () => {
    const root = byId("room");
    if ((await act("leave", {})).ok) {
      socket.disconnect();
      window.location.assign(`${root.dataset.scriptRoot}/`);
    }
  });
}

/** Wire every control; `page` brings act, say, socket, showNameForm, snapshot. */
export function bindControls(page) {
  bindRound(page);
  bindStory(page);
  bindTimer(page);
  bindModerators(page);
  bindLink(page);
  bindPerson(page);
}
