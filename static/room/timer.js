// The countdown every browser shows: the server's deadline, read on this
// browser's clock through the offset measured at each state received.

import { formatClock } from "./text.js";

const TICK_MS = 250;
const ENDING_SECONDS = 10;
// A countdown that disappears this close to zero ended by itself.
const END_TOLERANCE_SECONDS = 1.5;

/** Draw the countdown into `box` and `value`; call `onEnd` when it runs out. */
export function createCountdown(box, value, onEnd) {
  let deadline = null;
  let offset = 0;
  let ticking = null;

  function remaining() {
    return deadline - (Date.now() / 1000 + offset);
  }

  function draw() {
    const left = remaining();
    value.textContent = formatClock(left);
    box.classList.toggle("is-ending", left <= ENDING_SECONDS);
  }

  function update(snapshot) {
    offset = snapshot.server_time - Date.now() / 1000;
    const timer = snapshot.timer;
    if (timer) {
      deadline = timer.deadline;
      box.hidden = false;
      draw();
      ticking ??= setInterval(draw, TICK_MS);
      return;
    }
    const endedByItself = deadline !== null && remaining() < END_TOLERANCE_SECONDS;
    deadline = null;
    clearInterval(ticking);
    ticking = null;
    box.hidden = true;
    if (endedByItself) {
      onEnd();
    }
  }

  return { update, running: () => deadline !== null };
}
