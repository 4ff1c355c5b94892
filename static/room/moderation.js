// The room rules form that moderators see.

const FLAGS = ["auto_reveal", "timer_reveals", "observers_see_votes", "anonymous"];

/** Show the room's current `options` in `form`. */
export function renderOptions(form, options) {
  form.elements.control.value = options.control;
  for (const flag of FLAGS) {
    form.elements[flag].checked = Boolean(options[flag]);
  }
}

/** Call `send(changes)` with the one option a moderator just changed. */
export function bindOptions(form, send) {
  form.addEventListener("change", (event) => {
    const field = event.target;
    const value = field.type === "checkbox" ? field.checked : field.value;
    send({ [field.name]: value });
  });
}
