// What this browser knows about the room, and what it may do there.

import { clientId, savedName, savedRole } from "./identity.js";

export const identity = { clientId: clientId(), name: savedName(), role: savedRole() };

export const view = {
  snapshot: JSON.parse(document.getElementById("room-snapshot").textContent),
  myId: null,
  myVote: null,
  // The card just clicked, shown at once while the server confirms it.
  pendingVote: undefined,
  joined: false,
  justRevealed: false,
  canName: false,
};

export function me() {
  return view.snapshot.participants.find((person) => person.id === view.myId);
}

export function shownVote() {
  return view.pendingVote === undefined ? view.myVote : view.pendingVote;
}

// The server's record wins: another tab may have rejoined with another role.
export function myRole() {
  return me()?.role ?? identity.role;
}

export function isModerator() {
  return view.joined && Boolean(me()?.moderator);
}

/** Tell whether this browser may reveal, start rounds and run the timer. */
export function hasControl() {
  const everyone = view.snapshot.room.options.control === "everyone";
  return view.joined && (everyone || isModerator());
}

export function canVote() {
  return view.joined && myRole() === "voter" && !view.snapshot.round.revealed;
}
