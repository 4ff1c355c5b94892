"""Decks, card values and the statistics shown when a round is revealed.

Pure functions on plain data: no Flask, no database. Numbers are handled as
exact fractions so that neither rounding nor the order of the votes can change
a result.
"""

import functools
import math
import re
import unicodedata
from collections import Counter
from fractions import Fraction

SPECIAL_CARDS = ("?", "☕")
UNSURE = "?"
COFFEE = "☕"
DEFAULT_DECK = "fibonacci"

DECKS: dict[str, tuple[str, ...]] = {
    "fibonacci": (
        *("0", "½", "1", "2", "3", "5", "8", "13", "20", "40", "100"),
        *SPECIAL_CARDS,
    ),
    "fibonacci-classic": (
        *("0", "1", "2", "3", "5", "8", "13", "21", "34", "55", "89"),
        *SPECIAL_CARDS,
    ),
    "tshirt": ("XS", "S", "M", "L", "XL", "XXL", "?"),
    "powers-of-two": ("0", "1", "2", "4", "8", "16", "32", "64", "?"),
}

DECK_NAMES: dict[str, str] = {
    "fibonacci": "Fibonacci (modifiziert)",
    "fibonacci-classic": "Fibonacci (klassisch)",
    "tshirt": "T-Shirt-Größen",
    "powers-of-two": "Zweierpotenzen",
    "custom": "Eigenes Deck",
}

MIN_CARDS = 2
MAX_CARDS = 30
MAX_CARD_LENGTH = 8

# The length limits keep every value far inside the range of a float.
_DECIMAL = re.compile(r"(?=[.,]?\d)\d{0,12}(?:[.,]\d{1,12})?", re.ASCII)
_FRACTION = re.compile(r"(\d{1,6})/(\d{1,6})", re.ASCII)

# Bidirectional embeddings, overrides and isolates would reorder the page around
# the card; line separators and other control characters would break the layout.
_BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_CONTROL_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_VARIATION_SELECTORS = "\ufe0e\ufe0f"


class DeckError(ValueError):
    """Raised for an unknown deck id or an unusable custom deck."""

    def __init__(self, code: str, message: str = "Das Deck ist ungültig."):
        super().__init__(message)
        self.code = code
        self.message = message


def _card_value(card) -> Fraction | None:
    if not isinstance(card, str):
        return None
    return _parse_card(card)


# Decks have a few cards each, and every vote and result reads them again.
@functools.lru_cache(maxsize=4096)
def _parse_card(card: str) -> Fraction | None:
    text = card.strip()
    if len(text) == 1 and unicodedata.name(text, "").startswith("VULGAR FRACTION"):
        text = unicodedata.normalize("NFKC", text).replace("\u2044", "/")

    if _DECIMAL.fullmatch(text):
        return Fraction(text.replace(",", "."))
    match = _FRACTION.fullmatch(text)
    if match and int(match[2]) > 0:
        return Fraction(int(match[1]), int(match[2]))
    return None


def card_number(card: str) -> float | None:
    """Return the number a card stands for, or None for labels and special cards.

    Accepted are non-negative decimals with point or comma ("0,5"), simple
    fractions ("1/2") and vulgar fraction signs ("½"); estimates of effort are
    never negative, so "-1" is a label.
    """
    value = _card_value(card)
    return None if value is None else float(value)


def _clean_card(raw, number: int) -> str:
    if not isinstance(raw, str):
        raise DeckError("invalid_deck", f"Karte Nr. {number} ist kein Text.")
    card = unicodedata.normalize("NFC", raw).strip()
    if card.rstrip(_VARIATION_SELECTORS) in SPECIAL_CARDS:
        card = card.rstrip(_VARIATION_SELECTORS)

    if not card:
        raise DeckError("empty_card", f"Karte Nr. {number} ist leer.")
    for char in card:
        if (
            unicodedata.category(char) in _CONTROL_CATEGORIES
            or unicodedata.bidirectional(char) in _BIDI_CONTROLS
        ):
            raise DeckError(
                "control_character",
                f"Karte Nr. {number} enthält ein unerlaubtes Steuerzeichen.",
            )
    if len(card) > MAX_CARD_LENGTH:
        raise DeckError(
            "card_too_long",
            f"Die Karte „{card[:MAX_CARD_LENGTH]}…“ ist zu lang "
            f"(höchstens {MAX_CARD_LENGTH} Zeichen).",
        )
    return card


def normalize_custom_deck(cards) -> tuple[str, ...]:
    """Return the cleaned cards of a custom deck, or raise DeckError naming the card."""
    if not isinstance(cards, (list, tuple)):
        raise DeckError(
            "invalid_deck", "Ein eigenes Deck braucht eine Liste von Karten."
        )
    if len(cards) < MIN_CARDS:
        raise DeckError(
            "too_few_cards", f"Ein Deck braucht mindestens {MIN_CARDS} Karten."
        )
    if len(cards) > MAX_CARDS:
        raise DeckError(
            "too_many_cards", f"Ein Deck darf höchstens {MAX_CARDS} Karten haben."
        )

    deck = []
    seen = {}
    for number, raw in enumerate(cards, start=1):
        card = _clean_card(raw, number)
        value = _card_value(card)
        identity = ("text", card.casefold()) if value is None else ("number", value)
        if identity in seen:
            first = seen[identity]
            message = f"Die Karten „{first}“ und „{card}“ bedeuten dasselbe."
            if first == card:
                message = f"Die Karte „{card}“ kommt doppelt vor."
            raise DeckError("duplicate_card", message)
        seen[identity] = card
        deck.append(card)

    if all(card in SPECIAL_CARDS for card in deck):
        raise DeckError(
            "too_few_cards",
            "Ein Deck braucht mindestens eine Karte außer „?“ und „☕“.",
        )
    return tuple(deck)


def resolve_deck(deck_id, cards=None) -> tuple[str, ...]:
    """Return the cards of a built-in deck or of a custom one, or raise DeckError."""
    if isinstance(deck_id, str) and deck_id in DECKS:
        return DECKS[deck_id]
    if deck_id == "custom":
        return normalize_custom_deck(cards)
    raise DeckError(
        "invalid_deck",
        "Unbekanntes Deck. Möglich sind: " + ", ".join([*DECKS, "custom"]) + ".",
    )


def is_numeric_deck(cards) -> bool:
    """Tell whether the deck's results are figures: at least two of its cards are
    numbers, or every card apart from ? and ☕ is one.

    In a numeric deck only the number cards are counted; its other cards are
    listed apart like ? and ☕. A deck with fewer numbers is ranked by position.
    """
    values = [_card_value(card) for card in cards if card not in SPECIAL_CARDS]
    numbers = sum(value is not None for value in values)
    return numbers >= 2 or numbers == len(values) == 1


def is_valid_vote(cards, value) -> bool:
    """Tell whether value is exactly one of the deck's cards."""
    return isinstance(value, str) and value in tuple(cards)


def _sorted_names(names) -> list[str]:
    return sorted(names, key=lambda name: (name.casefold(), name))


def _middle(items: list):
    half = len(items) // 2
    if len(items) % 2:
        return items[half]
    return (items[half - 1] + items[half]) / 2


def summarize(cards, votes) -> dict:
    """Return the JSON-ready statistics of a revealed round; unknown cards are ignored.

    Counted cards are ranked by value in numeric decks (number cards only) and
    by deck order otherwise; spread_steps and suggestion_index count steps in
    that ranking. Cards that are not counted are listed in `specials`.
    """
    deck = tuple(cards)
    numeric = is_numeric_deck(deck)
    ranked = [
        card
        for card in deck
        if card not in SPECIAL_CARDS and not (numeric and _card_value(card) is None)
    ]
    if numeric:
        ranked.sort(key=_card_value)
    rank = {card: position for position, card in enumerate(ranked)}

    played = [(name, card) for name, card in votes if card in deck]
    scored = [(name, card) for name, card in played if card in rank]
    counts = Counter(card for _name, card in played)
    top = max((counts[card] for card in ranked), default=0)

    distribution = {card: counts[card] for card in deck if counts[card]}

    stats = {
        "count": len(scored),
        "total": len(played),
        "numeric": numeric,
        "distribution": distribution,
        "specials": {card: n for card, n in distribution.items() if card not in rank},
        "most_frequent": [
            card for card in deck if card in rank and counts[card] == top > 0
        ],
        "break_requested": counts[COFFEE] * 2 > len(played),
    }
    stats.update(_figures(ranked, rank, scored, numeric))
    # One card alone is no agreement, and someone unsure has not agreed yet.
    stats["consensus"] = (
        len(scored) > 1 and stats["spread_steps"] == 0 and not counts[UNSURE]
    )
    return stats


def _figures(ranked: list, rank: dict, scored: list, numeric: bool) -> dict:
    if not scored:
        return {
            **dict.fromkeys(("average", "median", "min", "max", "suggestion")),
            **dict.fromkeys(("spread_steps", "discuss", "suggestion_index")),
            "min_voters": [],
            "max_voters": [],
        }

    positions = sorted(rank[card] for _name, card in scored)
    low, high = ranked[positions[0]], ranked[positions[-1]]
    min_voters = _sorted_names(name for name, card in scored if card == low)
    max_voters = _sorted_names(name for name, card in scored if card == high)
    spread = positions[-1] - positions[0]

    if numeric:
        values = sorted(_card_value(card) for _name, card in scored)
        median = _middle(values)
        suggestion = min(
            ranked,
            key=lambda card: (abs(_card_value(card) - median), -_card_value(card)),
        )
        mean = sum(values) / len(values)
        numbers = {
            "average": math.floor(mean * 10 + Fraction(1, 2)) / 10,
            "median": float(median),
            "min": float(values[0]),
            "max": float(values[-1]),
        }
    else:
        # An even count may land between two cards; the larger one is taken.
        suggestion = ranked[math.ceil(_middle(positions))]
        numbers = {"average": None, "median": suggestion, "min": low, "max": high}

    return {
        **numbers,
        "min_voters": min_voters,
        "max_voters": max_voters,
        "spread_steps": spread,
        "discuss": {"low": min_voters, "high": max_voters} if spread > 1 else None,
        "suggestion": suggestion,
        "suggestion_index": rank[suggestion],
    }


def compare_results(previous: dict | None, current: dict) -> dict | None:
    """Describe how the median and spread moved since the story's previous round.

    Returns None when either round has no counted votes or the rounds used
    decks of different kinds.
    """
    if not previous or not previous.get("count") or not current.get("count"):
        return None
    if previous.get("numeric") != current.get("numeric"):
        return None

    key = "median" if current["numeric"] else "suggestion_index"
    before, after = previous.get(key), current.get(key)
    if before is None or after is None:
        return None

    direction = "up" if after > before else "down" if after < before else "same"
    return {
        "median_before": previous["median"],
        "median_after": current["median"],
        "direction": direction,
        "spread_before": previous["spread_steps"],
        "spread_after": current["spread_steps"],
        "converged": current["spread_steps"] < previous["spread_steps"],
    }
