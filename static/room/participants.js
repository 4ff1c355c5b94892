// The participant list: who is here, online or not, voted or not, which card.

import { displayNames, t } from "./text.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function presence(online) {
  const state = online ? "online" : "offline";
  const icon = element("span", "presence-icon", online ? "●" : "○");
  icon.setAttribute("aria-hidden", "true");

  const wrap = element("span", "presence");
  wrap.append(icon, element("span", "presence-text", t(`${state}_state`)));
  return wrap;
}

function votedBadge() {
  const badge = element("span", "participant-vote is-voted");
  badge.append(element("span", "tick", "✓"), ` ${t("voted")}`);
  badge.firstChild.setAttribute("aria-hidden", "true");
  return badge;
}

function voteBadge(person, revealed, flip) {
  if (person.role === "observer") {
    return element("span", "participant-vote is-watching", t("watching"));
  }
  if (revealed && person.vote !== null) {
    const card = element("span", "participant-card", person.vote);
    card.dataset.card = person.vote;
    card.classList.toggle("is-flipping", flip);
    return card;
  }
  // An anonymous reveal keeps the vote hidden; some rooms hide `voted` from observers.
  if (person.voted) {
    return votedBadge();
  }
  if (person.voted === null) {
    return element("span", "participant-vote");
  }
  const missing = t(revealed ? "no_card" : "not_voted");
  return element("span", "participant-vote is-waiting", missing);
}

function row(person, name, view) {
  const mine = person.id === view.myId;
  // The list is stale while this page is cut off, but its own line is certain.
  const online = person.online && (view.joined || !mine);
  const item = element("li", "participant");
  item.dataset.participantId = String(person.id);
  item.dataset.online = String(online);
  item.dataset.voted = String(person.voted);
  item.dataset.role = person.role;
  if (mine) {
    item.classList.add("is-me");
  }

  const who = element("span", "participant-who");
  who.append(element("span", "participant-name", name));
  if (person.moderator) {
    who.append(element("span", "role-badge", t("moderator")));
  }
  if (person.role === "observer") {
    who.append(element("span", "role-badge", t("observer")));
  }
  who.append(presence(online));
  if (view.canName && !mine) {
    who.append(moderatorToggle(person, name));
  }

  item.append(who, voteBadge(person, view.snapshot.round.revealed, view.justRevealed));
  return item;
}

function moderatorToggle(person, name) {
  const button = element("button", "button button-tiny moderator-toggle");
  button.type = "button";
  button.dataset.participant = String(person.id);
  button.dataset.moderator = String(!person.moderator);
  button.append(
    t(person.moderator ? "remove_moderator" : "make_moderator"),
    element("span", "visually-hidden", `: ${name}`)
  );
  return button;
}

/**
 * Redraw the list in `list` from the snapshot in `view`; `view.canName` adds
 * the buttons that name moderators. A focused button keeps the focus.
 */
export function renderParticipants(list, view) {
  const people = view.snapshot.participants;
  const names = displayNames(people, view.myId);
  const focused = list.contains(document.activeElement)
    ? document.activeElement.dataset.participant
    : undefined;

  if (people.length === 0) {
    list.replaceChildren(element("li", "participant is-empty", t("nobody")));
    return;
  }
  const rows = people.map((person) => row(person, names.get(person.id), view));
  list.replaceChildren(...rows);
  if (focused !== undefined) {
    list.querySelector(`button[data-participant="${focused}"]`)?.focus();
  }
}

/**
 * Return "n of m have voted", or "" when votes are hidden; a voter who went
 * offline without a card is not waited for, as auto-reveal does not wait.
 */
export function progressText(people) {
  const voters = people.filter((person) => person.role === "voter");
  if (voters.some((person) => person.voted === null)) {
    return "";
  }
  const expected = voters.filter((person) => person.online || person.voted);
  const voted = expected.filter((person) => person.voted).length;
  return t("progress", { voted, total: expected.length });
}
