// The gentle reminder a voter gets from the moderator; a sound only if allowed.

import { read, write } from "./identity.js";
import { t } from "./text.js";

const SOUND_KEY = "poker.nudge_sound";

let audio = null;

function chime() {
  audio ??= new AudioContext();
  audio.resume().catch(() => {});
  const start = audio.currentTime;
  [660, 880].forEach((frequency, step) => {
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    const at = start + step * 0.18;
    tone.frequency.value = frequency;
    volume.gain.setValueAtTime(0.0001, at);
    volume.gain.exponentialRampToValueAtTime(0.08, at + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
    tone.connect(volume).connect(audio.destination);
    tone.start(at);
    tone.stop(at + 0.32);
  });
}

/** Show reminders in the status line `hint`; `toggle` allows a sound. */
export function createNudge(hint, toggle) {
  toggle.checked = read(SOUND_KEY) === "on";
  toggle.addEventListener("change", () => {
    write(SOUND_KEY, toggle.checked ? "on" : "off");
    if (toggle.checked) {
      // Created during the click, the audio context may play later.
      audio ??= new AudioContext();
    }
  });

  return {
    show(from) {
      hint.textContent = t("nudge_hint", { name: from });
      hint.classList.remove("is-fresh");
      // Reading the layout restarts the short highlight animation.
      void hint.offsetWidth;
      hint.classList.add("is-fresh");
      if (toggle.checked) {
        chime();
      }
    },
    clear() {
      hint.textContent = "";
      hint.classList.remove("is-fresh");
    },
  };
}
