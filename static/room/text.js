// Translated texts from the page, numbers in the page language, display names.

const strings = JSON.parse(document.getElementById("room-strings").textContent);
const language = document.documentElement.lang || "de";
const numbers = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
const lists = new Intl.ListFormat(language, { type: "conjunction" });

/** Return the text for `key` with each {name} replaced from `values`. */
export function t(key, values = {}) {
  const template = strings[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole
  );
}

/** Format a statistic: numbers in the page language, card labels as they are. */
export function formatValue(value) {
  if (value === null || value === undefined) {
    return "–";
  }
  return typeof value === "number" ? numbers.format(value) : String(value);
}

/** Join names the way the page language does: "Anna, Ben und Cem". */
export function formatList(items) {
  return lists.format(items.map(String));
}

/** Return a countdown reading such as "1:05" for whole `seconds`. */
export function formatClock(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  const rest = String(whole % 60).padStart(2, "0");
  return `${Math.floor(whole / 60)}:${rest}`;
}

/** Return a duration such as "1 min 5 s" or "40 s". */
export function formatDuration(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) {
    return t("seconds_only", { seconds: whole });
  }
  return t("minutes_seconds", { minutes: Math.floor(whole / 60), seconds: whole % 60 });
}

/** Map participant id to the name shown; equal names get " (2)", " (3)" by id. */
export function displayNames(participants, myId) {
  const seen = new Map();
  const names = new Map();
  const byId = [...participants].sort((a, b) => a.id - b.id);

  for (const person of byId) {
    const key = person.name.trim().toLocaleLowerCase();
    const count = (seen.get(key) || 0) + 1;
    seen.set(key, count);

    let name = count > 1 ? `${person.name} (${count})` : person.name;
    if (person.id === myId) {
      name += ` ${t("you")}`;
    }
    names.set(person.id, name);
  }
  return names;
}

/** Return the message for a failed ack, in the page language when known. */
export function errorText(ack) {
  const key = `error_${ack.error}`;
  return key in strings ? strings[key] : ack.message || t("error_server_error");
}
