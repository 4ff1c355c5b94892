// Keys on the room page: arrows move between cards, digits pick one.
//
// Digits name a card by its number: "5" picks the card 5, "1" then "3" typed
// quickly picks 13. A deck without number cards (T-shirt sizes) has nothing
// to name that way, so there 1 is the first card … 9 the ninth, 0 the tenth.
// The deck element says which of the two applies (data-keys).

const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
const TYPE_AHEAD_MS = 1000;

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

/** Return a function from a typed digit (and its time) to the card it names. */
function cardByNumber(cards) {
  const values = cards.map((card) => card.dataset.card);
  let typed = "";
  let typedAt = -Infinity;

  return (digit, time) => {
    const joined = time - typedAt < TYPE_AHEAD_MS ? typed + digit : digit;
    typed = values.some((value) => value.startsWith(joined)) ? joined : digit;
    typedAt = time;
    return cards[values.indexOf(typed)];
  };
}

function cardByPosition(cards) {
  return (digit) => cards[digit === "0" ? 9 : Number(digit) - 1];
}

/** Call `pick(card)` for the card that a digit key names. */
function pickWithDigits(deck, cards, pick) {
  const byNumber = deck.dataset.keys === "number";
  const named = byNumber ? cardByNumber(cards) : cardByPosition(cards);
  document.addEventListener("keydown", (event) => {
    const modified = event.altKey || event.ctrlKey || event.metaKey;
    if (modified || !/^[0-9]$/.test(event.key) || isTyping(event.target)) {
      return;
    }
    const card = named(event.key, event.timeStamp);
    if (card) {
      event.preventDefault();
      pick(card);
    }
  });
}

export function bindCardKeys(deck, cards, pick) {
  moveWithArrows(deck, cards);
  pickWithDigits(deck, cards, pick);
}
