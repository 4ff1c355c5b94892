// Card values as the server reads them: decimals, "0,5", "1/2" and "½".

const DECIMAL = /^(?=[.,]?\d)\d{0,12}(?:[.,]\d{1,12})?$/;
const FRACTION = /^(\d{1,6})\/(\d{1,6})$/;
const VULGAR_FRACTION = /^[\u00bc-\u00be\u2150-\u215e\u2189]$/;
export const SPECIAL_CARDS = ["?", "☕"];

/** Return the number a card stands for, or null for labels and special cards. */
export function cardNumber(card) {
  let text = card.trim();
  if (VULGAR_FRACTION.test(text)) {
    text = text.normalize("NFKC").replace("\u2044", "/");
  }
  if (DECIMAL.test(text)) {
    return Number(text.replace(",", "."));
  }
  const fraction = FRACTION.exec(text);
  if (fraction && Number(fraction[2]) > 0) {
    return Number(fraction[1]) / Number(fraction[2]);
  }
  return null;
}

/**
 * Return the deck's counted cards from low to high: by value, or in deck order.
 * A numeric deck counts only its number cards; its labels are listed apart.
 */
export function rankedCards(cards, numeric) {
  const counted = cards.filter(
    (card) => !SPECIAL_CARDS.includes(card) && (!numeric || cardNumber(card) !== null)
  );
  if (numeric) {
    counted.sort((a, b) => cardNumber(a) - cardNumber(b));
  }
  return counted;
}
