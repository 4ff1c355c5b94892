// The result panel after reveal: figures, notes for the talk, a chart and timings.

import { countedRows, specialRows } from "./chart.js";
import { formatDuration, formatList, formatValue, t } from "./text.js";

/** Look up the result panel's nodes once. */
export function resultNodes() {
  const byId = (id) => document.getElementById(id);
  return {
    panel: byId("result"),
    round: byId("result-round"),
    consensus: byId("result-consensus"),
    empty: byId("result-empty"),
    body: byId("result-body"),
    suggestion: byId("result-suggestion"),
    count: byId("stat-count"),
    averageBox: byId("stat-average-box"),
    average: byId("stat-average"),
    median: byId("stat-median"),
    min: byId("stat-min"),
    minNames: byId("stat-min-names"),
    max: byId("stat-max"),
    maxNames: byId("stat-max-names"),
    mostFrequent: byId("stat-most-frequent"),
    spread: byId("stat-spread"),
    notes: byId("result-notes"),
    distribution: byId("distribution"),
    specialBox: byId("special-votes"),
    special: byId("distribution-special"),
    anonymousBox: byId("anonymous-votes"),
    anonymous: byId("anonymous-cards"),
    timing: byId("result-timing"),
  };
}

function changeNotes(change) {
  if (!change) {
    return [];
  }
  const median = {
    before: formatValue(change.median_before),
    after: formatValue(change.median_after),
  };
  const notes = [t(`change_${change.direction}`, median)];
  const spread = { before: change.spread_before, after: change.spread_after };
  if (change.spread_after < change.spread_before) {
    notes.push(t("spread_closer", spread));
  } else if (change.spread_after > change.spread_before) {
    notes.push(t("spread_wider", spread));
  }
  return notes;
}

function noteItems(stats, round) {
  const notes = [];
  if (stats.discuss) {
    notes.push({
      kind: "discuss",
      text: t("discuss", {
        low: `${formatList(stats.discuss.low)} (${formatValue(stats.min)})`,
        high: `${formatList(stats.discuss.high)} (${formatValue(stats.max)})`,
      }),
    });
  }
  if (stats.break_requested) {
    notes.push({ kind: "break", text: `☕ ${t("break_requested")}` });
  }
  for (const text of changeNotes(round.change)) {
    notes.push({ kind: "change", text });
  }
  return notes.map(({ kind, text }) => {
    const item = document.createElement("li");
    item.className = `note note-${kind}`;
    item.textContent = text;
    return item;
  });
}

function timingText(round, story) {
  const parts = [];
  if (typeof round.seconds === "number") {
    parts.push(t("round_time", { time: formatDuration(round.seconds) }));
  }
  if (story && story.rounds_revealed > 0) {
    const time = formatDuration(story.seconds_spent);
    parts.push(t("story_time", { time, rounds: story.rounds_revealed }));
  }
  return parts.join(" ");
}

function cardItem(card) {
  const item = document.createElement("li");
  item.className = "mini-card";
  item.textContent = card;
  return item;
}

/** Fill the result panel from a revealed snapshot. */
export function renderResult(nodes, snapshot) {
  const { stats, round, story } = snapshot;
  const empty = stats.total === 0;
  nodes.round.textContent = t("result_round", { number: round.number });
  nodes.consensus.hidden = !stats.consensus;
  nodes.panel.classList.toggle("is-consensus", Boolean(stats.consensus));
  nodes.empty.hidden = !empty;
  nodes.body.hidden = empty;
  nodes.timing.textContent = timingText(round, story);
  if (empty) {
    return;
  }

  nodes.suggestion.textContent = formatValue(stats.suggestion);
  nodes.count.textContent = formatValue(stats.count);
  nodes.averageBox.hidden = !stats.numeric;
  nodes.average.textContent = formatValue(stats.average);
  nodes.median.textContent = formatValue(stats.median);
  nodes.min.textContent = formatValue(stats.min);
  nodes.max.textContent = formatValue(stats.max);
  nodes.minNames.textContent = formatList(stats.min_voters || []);
  nodes.maxNames.textContent = formatList(stats.max_voters || []);
  const mostFrequent = (stats.most_frequent || []).map(formatValue);
  nodes.mostFrequent.textContent = formatList(mostFrequent);
  nodes.mostFrequent.classList.toggle("stat-text", mostFrequent.length > 1);
  nodes.spread.textContent =
    typeof stats.spread_steps === "number"
      ? t(stats.spread_steps === 1 ? "spread_step" : "spread_steps", {
          count: stats.spread_steps,
        })
      : "–";
  nodes.notes.replaceChildren(...noteItems(stats, round));

  const cards = snapshot.room.cards;
  nodes.distribution.replaceChildren(...countedRows(stats, cards));
  const special = specialRows(stats, cards);
  nodes.special.replaceChildren(...special);
  nodes.specialBox.hidden = special.length === 0;

  const anonymous = snapshot.votes || [];
  nodes.anonymous.replaceChildren(...anonymous.map(cardItem));
  nodes.anonymousBox.hidden = anonymous.length === 0;
}

/** Return the sentence a screen reader hears when the cards are turned. */
export function announcement(stats) {
  if (stats.total === 0) {
    return `${t("revealed")} ${t("no_votes")}`;
  }
  const figures = ["count", "average", "median", "suggestion"]
    .filter((key) => stats[key] !== null && stats[key] !== undefined)
    .map((key) => `${t(`stat_${key}`)}: ${formatValue(stats[key])}`);
  const parts = [t("revealed"), `${figures.join(", ")}.`];
  if (stats.consensus) {
    parts.push(t("consensus"));
  }
  if (stats.break_requested) {
    parts.push(t("break_requested"));
  }
  return parts.join(" ");
}
