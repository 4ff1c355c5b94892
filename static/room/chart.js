// The distribution as a bar chart, from the lowest to the highest card played,
// with the suggestion and the median marked in words as well as in colour.

import { SPECIAL_CARDS, cardNumber, rankedCards } from "./cards.js";
import { formatValue, t } from "./text.js";

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function hidden(node) {
  node.setAttribute("aria-hidden", "true");
  return node;
}

function barRow(card, count, largest, tags = []) {
  const item = document.createElement("li");
  item.className = "bar-row";
  item.dataset.card = card;
  item.dataset.count = String(count);

  const spoken = t(count === 1 ? "bar_one" : "bar_many", { card, count });
  const track = hidden(span("bar-track"));
  const fill = span("bar-fill");
  // CSSOM writes are allowed by the CSP; style attributes in markup are not.
  fill.style.width = `${Math.round((count / largest) * 100)}%`;
  track.append(fill);

  const tagBox = hidden(span("bar-tags"));
  tagBox.append(...tags.map((tag) => span("tag", tag)));
  item.append(
    span("visually-hidden", [spoken, ...tags].join(", ")),
    hidden(span("bar-label", card)),
    track,
    hidden(span("bar-count", formatValue(count))),
    tagBox
  );
  return item;
}

function medianMarker(median) {
  const item = document.createElement("li");
  item.className = "median-marker";
  const text = t("median_between", { value: formatValue(median) });
  item.append(hidden(span("median-line")), span("tag tag-median", text));
  return item;
}

function isMedian(card, stats) {
  return stats.numeric ? cardNumber(card) === stats.median : card === stats.median;
}

/** Return the chart's rows for the counted cards of `stats`. */
export function countedRows(stats, cards) {
  const counts = stats.distribution || {};
  const ranked = rankedCards(cards, stats.numeric);
  const played = ranked.filter((card) => counts[card] > 0);
  if (played.length === 0) {
    const empty = document.createElement("li");
    empty.className = "bar-row is-empty";
    empty.textContent = t("no_numbers");
    return [empty];
  }

  const range = ranked.slice(ranked.indexOf(played[0]), ranked.indexOf(played.at(-1)) + 1);
  const largest = Math.max(...played.map((card) => counts[card]));
  const medianOnCard = range.some((card) => isMedian(card, stats));
  const rows = [];
  range.forEach((card, position) => {
    const tags = [];
    if (card === stats.suggestion) {
      tags.push(t("tag_suggestion"));
    }
    if (isMedian(card, stats)) {
      tags.push(t("tag_median"));
    }
    const row = barRow(card, counts[card] || 0, largest, tags);
    row.classList.toggle("is-suggestion", card === stats.suggestion);
    row.classList.toggle("is-median", isMedian(card, stats));
    rows.push(row);

    const next = range[position + 1];
    const between =
      stats.numeric &&
      !medianOnCard &&
      next !== undefined &&
      cardNumber(card) < stats.median &&
      stats.median < cardNumber(next);
    if (between) {
      rows.push(medianMarker(stats.median));
    }
  });
  return rows;
}

/** Return the rows of uncounted cards: ? and ☕, and the labels of a numeric deck. */
export function specialRows(stats, cards) {
  const counts = stats.specials || {};
  // Walk the deck, not the keys: keys that look like integers would jump ahead.
  const special = cards.filter((card) => counts[card] > 0);
  const largest = Math.max(1, ...special.map((card) => counts[card]));
  return special.map((card) => {
    const tags = SPECIAL_CARDS.includes(card) ? [t(`special_${card}`)] : [];
    const row = barRow(card, counts[card], largest, tags);
    row.classList.add("is-special");
    return row;
  });
}
