import json
from fractions import Fraction

import pytest
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import voting_logic
from voting_logic import DECKS
from voting_logic import DeckError
from voting_logic import card_number
from voting_logic import compare_results
from voting_logic import is_numeric_deck
from voting_logic import is_valid_vote
from voting_logic import normalize_custom_deck
from voting_logic import resolve_deck
from voting_logic import summarize

FIBONACCI = DECKS["fibonacci"]
TSHIRT = DECKS["tshirt"]

# No example database: the test run leaves no files behind in the project.
quick = settings(max_examples=60, deadline=None, database=None)


# Decks


@pytest.mark.parametrize(
    ("deck_id", "cards"),
    [
        ("fibonacci", "0 ½ 1 2 3 5 8 13 20 40 100 ? ☕"),
        ("fibonacci-classic", "0 1 2 3 5 8 13 21 34 55 89 ? ☕"),
        ("tshirt", "XS S M L XL XXL ?"),
        ("powers-of-two", "0 1 2 4 8 16 32 64 ?"),
    ],
)
def test_builtin_deck_has_its_cards_in_order(deck_id, cards):
    assert DECKS[deck_id] == tuple(cards.split())
    assert resolve_deck(deck_id) == tuple(cards.split())


def test_builtin_decks_are_listed_in_protocol_order():
    assert list(DECKS) == ["fibonacci", "fibonacci-classic", "tshirt", "powers-of-two"]


def test_every_deck_has_a_german_name_and_the_default_is_fibonacci():
    assert voting_logic.DEFAULT_DECK == "fibonacci"
    assert set(voting_logic.DECK_NAMES) == {*DECKS, "custom"}
    assert voting_logic.DECK_NAMES["custom"] == "Eigenes Deck"
    assert voting_logic.SPECIAL_CARDS == ("?", "☕")


@pytest.mark.parametrize(
    ("deck_id", "numeric"),
    [
        ("fibonacci", True),
        ("fibonacci-classic", True),
        ("tshirt", False),
        ("powers-of-two", True),
    ],
)
def test_builtin_deck_is_numeric_unless_it_uses_sizes(deck_id, numeric):
    assert is_numeric_deck(DECKS[deck_id]) is numeric


@pytest.mark.parametrize(
    ("cards", "numeric"),
    [
        (["1", "2", "?"], True),
        (["0,5", "1/2x", "3"], True),
        (["1", "2", "XL"], True),
        (["5", "?"], True),
        (["1", "XL", "XXL"], False),
        (["5", "XL"], False),
        (["?", "☕"], False),
        ([], False),
    ],
)
def test_deck_is_numeric_with_two_numbers_or_nothing_but_numbers(cards, numeric):
    assert is_numeric_deck(cards) is numeric


# Card values


@pytest.mark.parametrize(
    ("card", "number"),
    [
        ("½", 0.5),
        ("¼", 0.25),
        ("0,5", 0.5),
        ("0.5", 0.5),
        (",5", 0.5),
        ("1/2", 0.5),
        ("13", 13.0),
        ("0", 0.0),
        ("100", 100.0),
        (" 8 ", 8.0),
        ("007", 7.0),
    ],
)
def test_card_number_reads_numbers_fractions_and_decimal_commas(card, number):
    assert card_number(card) == number


@pytest.mark.parametrize(
    "card",
    [
        "XS",
        "?",
        "☕",
        "",
        "inf",
        "nan",
        "-1",
        "+1",
        "1e3",
        "1_000",
        "1/0",
        "5.",
        "1½",
        "١٣",
        "9" * 400,
        None,
        13,
    ],
)
def test_card_number_is_none_for_labels_and_unsafe_numbers(card):
    assert card_number(card) is None


# Custom decks


def test_custom_deck_cards_are_stripped_and_normalised():
    cards = [" 1 ", "e\u0301", "☕\ufe0f", "👩\u200d💻", "ABCDEFGH"]

    assert normalize_custom_deck(cards) == ("1", "é", "☕", "👩\u200d💻", "ABCDEFGH")


def test_custom_deck_accepts_a_tuple_and_keeps_the_given_order():
    assert normalize_custom_deck(("8", "2", "?")) == ("8", "2", "?")


@pytest.mark.parametrize(
    ("cards", "code", "message"),
    [
        (
            "1,2,3",
            "invalid_deck",
            "Ein eigenes Deck braucht eine Liste von Karten.",
        ),
        (None, "invalid_deck", "Ein eigenes Deck braucht eine Liste von Karten."),
        (["1", 2], "invalid_deck", "Karte Nr. 2 ist kein Text."),
        (["1"], "too_few_cards", "Ein Deck braucht mindestens 2 Karten."),
        (
            [str(n) for n in range(31)],
            "too_many_cards",
            "Ein Deck darf höchstens 30 Karten haben.",
        ),
        (["1", "  "], "empty_card", "Karte Nr. 2 ist leer."),
        (
            ["1", "ABCDEFGHI"],
            "card_too_long",
            "Die Karte „ABCDEFGH…“ ist zu lang (höchstens 8 Zeichen).",
        ),
        (["1", "2", " 1"], "duplicate_card", "Die Karte „1“ kommt doppelt vor."),
        (
            ["0,5", "½"],
            "duplicate_card",
            "Die Karten „0,5“ und „½“ bedeuten dasselbe.",
        ),
        (["5", "05"], "duplicate_card", "Die Karten „5“ und „05“ bedeuten dasselbe."),
        (["S", "s"], "duplicate_card", "Die Karten „S“ und „s“ bedeuten dasselbe."),
        (
            ["é", "e\u0301"],
            "duplicate_card",
            "Die Karte „é“ kommt doppelt vor.",
        ),
        (
            ["1", "a\x00b"],
            "control_character",
            "Karte Nr. 2 enthält ein unerlaubtes Steuerzeichen.",
        ),
        (
            ["\u202eab", "1"],
            "control_character",
            "Karte Nr. 1 enthält ein unerlaubtes Steuerzeichen.",
        ),
        (
            ["?", "☕"],
            "too_few_cards",
            "Ein Deck braucht mindestens eine Karte außer „?“ und „☕“.",
        ),
    ],
)
def test_custom_deck_rejects_bad_cards_with_a_german_message(cards, code, message):
    with pytest.raises(DeckError) as caught:
        normalize_custom_deck(cards)

    assert caught.value.code == code
    assert caught.value.message == message
    assert str(caught.value) == message


def test_deck_error_is_a_value_error():
    assert issubclass(DeckError, ValueError)


# Resolving decks and checking votes


def test_resolve_deck_ignores_cards_for_a_builtin_deck():
    assert resolve_deck("tshirt", ["1", "2"]) == TSHIRT


def test_resolve_deck_validates_a_custom_deck():
    assert resolve_deck("custom", [" S", "M ", "?"]) == ("S", "M", "?")

    with pytest.raises(DeckError) as caught:
        resolve_deck("custom", None)
    assert caught.value.code == "invalid_deck"


@pytest.mark.parametrize("deck_id", ["poker", "", "Fibonacci", None, 5, ["tshirt"]])
def test_resolve_deck_rejects_unknown_ids(deck_id):
    with pytest.raises(DeckError) as caught:
        resolve_deck(deck_id, ["1", "2"])

    assert caught.value.code == "invalid_deck"
    assert caught.value.message.startswith("Unbekanntes Deck.")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("5", True),
        ("½", True),
        ("☕", True),
        ("4", False),
        ("0,5", False),
        (" 5", False),
        (5, False),
        (None, False),
    ],
)
def test_vote_is_valid_only_for_an_exact_card_of_the_deck(value, valid):
    assert is_valid_vote(FIBONACCI, value) is valid


# Summaries


def test_summary_of_a_fibonacci_round():
    votes = [
        ("Dana", "8"),
        ("anna", "3"),
        ("Ben", "5"),
        ("Eve", "?"),
        ("Chris", "5"),
        ("Finn", "☕"),
        ("Anna", "3"),
    ]

    assert summarize(FIBONACCI, votes) == {
        "count": 5,
        "total": 7,
        "numeric": True,
        "average": 4.8,
        "median": 5.0,
        "min": 3.0,
        "max": 8.0,
        "min_voters": ["Anna", "anna"],
        "max_voters": ["Dana"],
        "distribution": {"3": 2, "5": 2, "8": 1, "?": 1, "☕": 1},
        "specials": {"?": 1, "☕": 1},
        "most_frequent": ["3", "5"],
        "consensus": False,
        "spread_steps": 2,
        "discuss": {"low": ["Anna", "anna"], "high": ["Dana"]},
        "suggestion": "5",
        "suggestion_index": 5,
        "break_requested": False,
    }


def test_summary_of_the_protocol_example_suggests_the_larger_card():
    votes = [("A", "2"), ("B", "3"), ("C", "5"), ("D", "8")]

    stats = summarize(FIBONACCI, votes)

    assert stats["count"] == 4
    assert stats["average"] == 4.5
    assert stats["median"] == 4.0
    assert (stats["min"], stats["max"]) == (2.0, 8.0)
    assert stats["distribution"] == {"2": 1, "3": 1, "5": 1, "8": 1}
    assert stats["consensus"] is False
    assert stats["suggestion"] == "5"


def test_summary_of_a_tshirt_round():
    votes = [("Ola", "M"), ("Kai", "XL"), ("Jo", "S"), ("Lu", "M"), ("Mo", "?")]

    assert summarize(TSHIRT, votes) == {
        "count": 4,
        "total": 5,
        "numeric": False,
        "average": None,
        "median": "M",
        "min": "S",
        "max": "XL",
        "min_voters": ["Jo"],
        "max_voters": ["Kai"],
        "distribution": {"S": 1, "M": 2, "XL": 1, "?": 1},
        "specials": {"?": 1},
        "most_frequent": ["M"],
        "consensus": False,
        "spread_steps": 3,
        "discuss": {"low": ["Jo"], "high": ["Kai"]},
        "suggestion": "M",
        "suggestion_index": 2,
        "break_requested": False,
    }


def test_summary_without_votes_has_no_figures():
    assert summarize(FIBONACCI, []) == {
        "count": 0,
        "total": 0,
        "numeric": True,
        "average": None,
        "median": None,
        "min": None,
        "max": None,
        "min_voters": [],
        "max_voters": [],
        "distribution": {},
        "specials": {},
        "most_frequent": [],
        "consensus": False,
        "spread_steps": None,
        "discuss": None,
        "suggestion": None,
        "suggestion_index": None,
        "break_requested": False,
    }


@pytest.mark.parametrize(
    ("deck_id", "cards", "suggestion"),
    [
        ("fibonacci", ["3", "5"], "5"),
        ("fibonacci", ["0", "½"], "½"),
        ("fibonacci", ["8", "13"], "13"),
        ("fibonacci", ["20", "40"], "40"),
        ("fibonacci", ["40", "100"], "100"),
        ("fibonacci-classic", ["1", "2"], "2"),
        ("powers-of-two", ["0", "1"], "1"),
        ("fibonacci", ["1", "2", "13"], "2"),
        ("fibonacci", ["3", "3", "13"], "3"),
        ("fibonacci", ["2", "3", "13", "20"], "8"),
        ("tshirt", ["S", "M"], "M"),
        ("tshirt", ["XS", "XS", "L", "XXL"], "M"),
    ],
)
def test_suggestion_is_nearest_to_the_median_and_ties_go_to_the_larger_card(
    deck_id, cards, suggestion
):
    votes = [(f"voter {n}", card) for n, card in enumerate(cards)]

    assert summarize(DECKS[deck_id], votes)["suggestion"] == suggestion


def test_half_counts_as_one_half():
    votes = [("A", "½"), ("B", "½"), ("C", "1")]

    stats = summarize(FIBONACCI, votes)

    assert stats["average"] == 0.7
    assert stats["median"] == 0.5
    assert stats["min"] == 0.5
    assert stats["suggestion"] == "½"


@pytest.mark.parametrize(
    ("cards", "average"),
    [
        (["0", "½"], 0.3),
        (["3", "5", "5", "8"], 5.3),
        (["1", "2"], 1.5),
        (["0", "0", "1"], 0.3),
        (["1", "1", "2"], 1.3),
    ],
)
def test_average_is_rounded_half_up_to_one_decimal(cards, average):
    votes = [(f"voter {n}", card) for n, card in enumerate(cards)]

    assert summarize(FIBONACCI, votes)["average"] == average


def test_special_cards_are_not_counted_as_numbers():
    stats = summarize(FIBONACCI, [("A", "?"), ("B", "☕"), ("C", "?")])

    assert (stats["count"], stats["total"]) == (0, 3)
    assert stats["average"] is None
    assert stats["median"] is None
    assert stats["suggestion"] is None
    assert stats["most_frequent"] == []
    assert stats["distribution"] == {"?": 2, "☕": 1}
    assert stats["specials"] == {"?": 2, "☕": 1}


def test_votes_for_cards_outside_the_deck_are_ignored():
    stats = summarize(FIBONACCI, [("A", "5"), ("B", "4"), ("C", "XL")])

    assert (stats["count"], stats["total"]) == (1, 1)
    assert stats["distribution"] == {"5": 1}


@pytest.mark.parametrize(
    ("cards", "requested"),
    [
        (["☕", "☕", "5"], True),
        (["☕"], True),
        (["☕", "☕", "5", "?"], False),
        (["☕", "5", "8"], False),
        ([], False),
    ],
)
def test_break_is_requested_when_more_than_half_want_coffee(cards, requested):
    votes = [(f"voter {n}", card) for n, card in enumerate(cards)]

    assert summarize(FIBONACCI, votes)["break_requested"] is requested


@pytest.mark.parametrize(
    ("cards", "consensus"),
    [
        (["5", "5"], True),
        (["5", "5", "☕"], True),
        (["5", "5", "?"], False),
        (["8"], False),
        (["5", "8"], False),
        (["?", "?"], False),
    ],
)
def test_consensus_means_two_or_more_chose_one_card_and_nobody_is_unsure(
    cards, consensus
):
    votes = [(f"voter {n}", card) for n, card in enumerate(cards)]

    assert summarize(FIBONACCI, votes)["consensus"] is consensus


def test_neighbouring_cards_need_no_discussion():
    stats = summarize(FIBONACCI, [("A", "3"), ("B", "5"), ("C", "5")])

    assert stats["spread_steps"] == 1
    assert stats["discuss"] is None


def test_lowest_and_highest_voters_discuss_a_wide_spread():
    votes = [("zoe", "1"), ("Bea", "13"), ("Al", "1"), ("Cem", "5"), ("Dan", "13")]

    stats = summarize(FIBONACCI, votes)

    assert stats["spread_steps"] == 5
    assert stats["discuss"] == {"low": ["Al", "zoe"], "high": ["Bea", "Dan"]}


def test_custom_numeric_deck_is_ranked_by_value_not_by_deck_order():
    deck = normalize_custom_deck(["8", "1/2", "2", "?"])
    votes = [("A", "8"), ("B", "1/2")]

    stats = summarize(deck, votes)

    assert (stats["min"], stats["max"]) == (0.5, 8.0)
    assert stats["spread_steps"] == 2
    assert stats["median"] == 4.25
    assert stats["suggestion"] == "2"
    assert list(stats["distribution"]) == ["8", "1/2"]


def test_mixed_deck_counts_its_numbers_and_lists_its_labels_apart():
    deck = normalize_custom_deck(["1", "2", "3", "XL", "?"])
    votes = [("A", "1"), ("B", "3"), ("C", "XL"), ("D", "?")]

    stats = summarize(deck, votes)

    assert stats["numeric"] is True
    assert (stats["count"], stats["total"]) == (2, 4)
    assert (stats["average"], stats["median"]) == (2.0, 2.0)
    assert (stats["min"], stats["max"]) == (1.0, 3.0)
    assert (stats["spread_steps"], stats["suggestion"]) == (2, "2")
    assert stats["suggestion_index"] == 1
    assert stats["distribution"] == {"1": 1, "3": 1, "XL": 1, "?": 1}
    assert stats["specials"] == {"XL": 1, "?": 1}
    assert stats["most_frequent"] == ["1", "3"]


def test_mixed_deck_with_only_labels_played_has_no_figures():
    deck = normalize_custom_deck(["1", "2", "XL"])

    stats = summarize(deck, [("A", "XL"), ("B", "XL")])

    assert (stats["count"], stats["total"]) == (0, 2)
    assert stats["average"] is stats["suggestion"] is None
    assert stats["consensus"] is False
    assert stats["specials"] == {"XL": 2}


def test_deck_with_a_single_number_among_labels_is_ranked_by_position():
    deck = normalize_custom_deck(["1", "XL", "XXL", "?"])

    stats = summarize(deck, [("A", "1"), ("B", "XXL")])

    assert stats["numeric"] is False
    assert stats["average"] is None
    assert (stats["min"], stats["median"], stats["max"]) == ("1", "XL", "XXL")
    assert stats["specials"] == {}


def test_summary_survives_a_json_round_trip():
    stats = summarize(TSHIRT, [("A", "S"), ("B", "XXL")])

    assert json.loads(json.dumps(stats)) == stats


# Comparing rounds


def test_compare_results_reports_a_falling_median_and_a_narrower_spread():
    before = summarize(FIBONACCI, [("A", "3"), ("B", "8"), ("C", "20")])
    after = summarize(FIBONACCI, [("A", "5"), ("B", "8"), ("C", "5")])

    assert compare_results(before, after) == {
        "median_before": 8.0,
        "median_after": 5.0,
        "direction": "down",
        "spread_before": 4,
        "spread_after": 1,
        "converged": True,
    }


def test_compare_results_reports_a_rising_tshirt_median():
    before = summarize(TSHIRT, [("A", "S"), ("B", "M")])
    after = summarize(TSHIRT, [("A", "L"), ("B", "XXL"), ("C", "XS")])

    assert compare_results(before, after) == {
        "median_before": "M",
        "median_after": "L",
        "direction": "up",
        "spread_before": 1,
        "spread_after": 5,
        "converged": False,
    }


def test_compare_results_reports_the_same_median():
    before = summarize(FIBONACCI, [("A", "5"), ("B", "5")])
    after = summarize(FIBONACCI, [("A", "3"), ("B", "8"), ("C", "5")])
    after = json.loads(json.dumps(after))

    comparison = compare_results(before, after)

    assert comparison["direction"] == "same"
    assert comparison["converged"] is False


@pytest.mark.parametrize(
    ("previous", "current"),
    [
        (None, [("A", "5")]),
        ([("A", "?")], [("A", "5")]),
        ([("A", "5")], [("A", "☕")]),
        ([("A", "5")], []),
    ],
)
def test_compare_results_is_none_without_counted_votes_on_both_sides(previous, current):
    before = None if previous is None else summarize(FIBONACCI, previous)

    assert compare_results(before, summarize(FIBONACCI, current)) is None


def test_compare_results_is_none_when_the_kind_of_deck_changed():
    before = summarize(TSHIRT, [("A", "M")])
    after = summarize(FIBONACCI, [("A", "5")])

    assert compare_results(before, after) is None


# Properties

DECK_CHOICES = [
    *DECKS.values(),
    ("1/2", "1,5", "3", "?"),
    ("Klein", "Mittel", "Groß", "☕"),
]
NAMES = st.text(alphabet="AaBbCcÄä ", min_size=1, max_size=4)
VULGAR = {Fraction(1, 4): "¼", Fraction(1, 2): "½", Fraction(3, 4): "¾"}
LABELS = st.text(alphabet="ABLMSXYZabklmsxyzÄäß", min_size=1, max_size=8)


@st.composite
def number_card(draw, value):
    """Write `value` as a custom deck card in one of the ways teams type numbers."""
    if value.denominator == 1:
        return str(value.numerator)
    decimal = f"{float(value):g}"
    styles = [
        decimal,
        decimal.replace(".", ","),
        f"{value.numerator}/{value.denominator}",
    ]
    if value in VULGAR:
        styles.append(VULGAR[value])
    return draw(st.sampled_from(styles))


@st.composite
def custom_decks(draw):
    """A valid custom deck: distinct numbers in any notation, labels, maybe ? and ☕."""
    values = draw(
        st.lists(
            st.integers(0, 999 * 4).map(lambda quarters: Fraction(quarters, 4)),
            unique=True,
            max_size=10,
        )
    )
    numbers = [draw(number_card(value)) for value in values]
    labels = draw(st.lists(LABELS, unique_by=str.casefold, max_size=6))
    specials = draw(st.lists(st.sampled_from(voting_logic.SPECIAL_CARDS), unique=True))
    cards = draw(st.permutations(numbers + labels))
    assume(cards and len(cards) + len(specials) >= voting_logic.MIN_CARDS)
    return normalize_custom_deck(cards + specials)


def counted(deck, card):
    """Tell whether a card of `deck` counts in its results."""
    if card in voting_logic.SPECIAL_CARDS:
        return False
    return card_number(card) is not None or not is_numeric_deck(deck)


@st.composite
def decks_and_votes(draw, min_size=0):
    deck = draw(st.sampled_from(DECK_CHOICES) | custom_decks())
    votes = draw(
        st.lists(
            st.tuples(NAMES, st.sampled_from(deck)), min_size=min_size, max_size=12
        )
    )
    return deck, votes


@quick
@given(decks_and_votes(min_size=1))
def test_property_median_lies_between_min_and_max(deck_and_votes):
    deck, votes = deck_and_votes

    stats = summarize(deck, votes)

    if stats["count"] and stats["numeric"]:
        assert stats["min"] <= stats["median"] <= stats["max"]
        assert card_number(stats["suggestion"]) is not None
    elif stats["count"]:
        index = deck.index
        assert index(stats["min"]) <= index(stats["median"]) <= index(stats["max"])
    else:
        assert stats["median"] is None


@quick
@given(decks_and_votes())
def test_property_suggestion_is_a_card_of_the_deck(deck_and_votes):
    deck, votes = deck_and_votes

    suggestion = summarize(deck, votes)["suggestion"]

    if any(counted(deck, card) for _name, card in votes):
        assert suggestion in deck
        assert counted(deck, suggestion)
    else:
        assert suggestion is None


@quick
@given(st.data())
def test_property_result_does_not_depend_on_vote_order(data):
    deck, votes = data.draw(decks_and_votes())

    shuffled = data.draw(st.permutations(votes))

    assert summarize(deck, shuffled) == summarize(deck, votes)


@quick
@given(st.data())
def test_property_uncounted_votes_never_change_the_figures(data):
    deck, votes = data.draw(decks_and_votes())
    uncounted = [card for card in deck if not counted(deck, card)]
    extra = data.draw(
        st.lists(st.tuples(NAMES, st.sampled_from(uncounted)), max_size=6)
        if uncounted
        else st.just([])
    )

    plain = summarize(deck, votes)
    mixed = summarize(deck, votes + extra)

    changed = {"total", "distribution", "specials", "break_requested", "consensus"}
    assert {key: value for key, value in mixed.items() if key not in changed} == {
        key: value for key, value in plain.items() if key not in changed
    }
    unsure = any(card == "?" for _name, card in extra)
    assert mixed["consensus"] is (plain["consensus"] and not unsure)
