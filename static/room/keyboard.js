// Keys on the room page: arrows move between cards, digits pick one.

const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

function isTyping(target) {
  return Boolean(target.closest("input, textarea, select, [contenteditable]"));
}

/** Move focus along the cards in `deck` with the arrow keys, Home and End. */
function moveWithArrows(deck, cards) {
  deck.addEventListener("keydown", (event) => {
    const position = cards.indexOf(event.target);
    if (position < 0) {
      return;
    }
    let next = null;
    if (event.key in STEPS) {
      next = (position + STEPS[event.key] + cards.length) % cards.length;
    } else if (event.key === "Home") {
      next = 0;
    } else if (event.key === "End") {
      next = cards.length - 1;
    }
    if (next !== null) {
      event.preventDefault();
      cards[next].focus();
    }
  });
}

/** Call `pick(card)` for digit keys: 1 is the first card … 9, and 0 the tenth. */
function pickWithDigits(cards, pick) {
  document.addEventListener("keydown", (event) => {
    const modified = event.altKey || event.ctrlKey || event.metaKey;
    if (modified || !/^[0-9]$/.test(event.key) || isTyping(event.target)) {
      return;
    }
    const card = cards[event.key === "0" ? 9 : Number(event.key) - 1];
    if (card) {
      event.preventDefault();
      pick(card);
    }
  });
}

export function bindCardKeys(deck, cards, pick) {
  moveWithArrows(deck, cards);
  pickWithDigits(cards, pick);
}
