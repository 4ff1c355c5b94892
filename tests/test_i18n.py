"""Both languages are complete, compiled, and chosen the way the header says."""

import json
import os
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(PROJECT, "translations")
LANGUAGES = ("de", "en")


def catalog_path(language, suffix):
    return os.path.join(TRANSLATIONS, language, "LC_MESSAGES", f"messages.{suffix}")


def read_catalog(language, suffix="po"):
    reader = read_po if suffix == "po" else read_mo
    with open(catalog_path(language, suffix), "rb") as source:
        return reader(source)


def singular(text):
    """Return a message id or text itself, or the singular of a plural pair."""
    return text if isinstance(text, str) else text[0]


def texts(catalog):
    """Map every message id of `catalog` to its translation, header left out."""
    return {
        singular(message.id): singular(message.string)
        for message in catalog
        if message.id
    }


def extracted_ids():
    """Return the message ids that the templates and modules ask for."""
    with open(os.path.join(PROJECT, "babel.cfg"), encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(PROJECT, method_map, options_map)
    return {singular(message[2]) for message in found}


@pytest.fixture(scope="module")
def catalogs():
    return {language: read_catalog(language) for language in LANGUAGES}


def test_both_catalogs_hold_the_same_messages(catalogs):
    assert set(texts(catalogs["de"])) == set(texts(catalogs["en"]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(catalogs, language):
    catalog = catalogs[language]

    untranslated = [
        message.id for message in catalog if message.id and not message.string
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_the_translation(catalogs, language):
    placeholder = re.compile(r"\{\w+\}|%\(\w+\)s")
    changed = [
        message_id
        for message_id, text in texts(catalogs[language]).items()
        if sorted(placeholder.findall(message_id)) != sorted(placeholder.findall(text))
    ]
    assert changed == []


def test_every_text_in_the_code_is_in_the_catalogs(catalogs):
    missing = extracted_ids() - set(texts(catalogs["de"]))
    assert missing == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language):
    compiled = texts(read_catalog(language, "mo"))
    source = texts(read_catalog(language))

    assert compiled == source


def test_german_is_the_default(client, room_code):
    page = client.get(f"/r/{room_code}").get_data(as_text=True)

    assert '<html lang="de">' in page
    assert "Aufdecken" in page


def test_english_follows_the_browsers_accept_language(client, room_code):
    answer = client.get(
        f"/r/{room_code}", headers={"Accept-Language": "en-GB,en;q=0.8"}
    )
    page = answer.get_data(as_text=True)

    assert '<html lang="en">' in page
    assert "Reveal" in page
    assert "Accept-Language" in answer.headers["Vary"]


def test_the_remembered_switch_wins_over_the_browser(client, room_code):
    switched = client.get(f"/lang/de?next=/r/{room_code}")
    assert switched.status_code == 302
    assert switched.headers["Location"] == f"/r/{room_code}"

    page = client.get(f"/r/{room_code}", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in page.get_data(as_text=True)


def room_strings(client, room_code, language="de"):
    """Return the texts the room page hands its scripts."""
    page = client.get(f"/r/{room_code}", headers={"Accept-Language": language})
    block = re.search(
        r'<script type="application/json" id="room-strings">(.*?)</script>',
        page.get_data(as_text=True),
        re.S,
    )
    return json.loads(block.group(1))


def keys_the_room_scripts_name():
    """Return the text keys written out in the room scripts."""
    folder = os.path.join(PROJECT, "static", "room")
    keys = set()
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as script:
            source = script.read()
        keys.update(re.findall(r'\bt\("(\w+)"', source))
        for table in re.findall(r"_TEXTS = \{(.*?)\}", source, re.S):
            keys.update(re.findall(r'"(\w+)"', table))
    return keys


def test_the_scripts_get_their_texts_in_the_page_language(client, room_code):
    strings = room_strings(client, room_code, "en")

    assert strings["revealed"] == "Cards revealed."
    assert strings["nudge_hint"] == "{name} reminds you: please pick a card."
    assert strings["no_votes"] == "No votes were cast."


def test_every_text_the_room_scripts_name_is_on_the_page(client, room_code):
    keys = keys_the_room_scripts_name()

    assert {"not_connected", "timeout", "left_elsewhere", "voted"} <= keys
    assert keys - set(room_strings(client, room_code)) == set()


def test_the_presentation_view_is_translated(client, room_code):
    german = client.get(f"/r/{room_code}/praesentation").get_data(as_text=True)
    english = client.get(
        f"/r/{room_code}/praesentation", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)

    assert "Mit dem Handy beitreten" in german
    assert "Join from your phone" in english
