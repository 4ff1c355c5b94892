"""Small helpers for user input: room codes, names, titles and links."""

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NAME_MAX = 40
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
LINK_MAX = 2000

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Bidirectional overrides and isolates let a name reorder the text around it.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def new_room_code():
    """Return a random room code that is easy to read aloud."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_room_code(raw):
    """Return the canonical form of a typed room code, or None if it cannot be one."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def clean_text(raw, max_length, multiline=False):
    """Normalise user text; return None if it is not a string or is too long.

    Control and bidi-override characters are removed (line breaks are kept
    when `multiline`), the text is NFC-normalised and trimmed.
    """
    if not isinstance(raw, str) or len(raw) > max_length * 4:
        return None
    text = unicodedata.normalize("NFC", raw)
    kept = []
    for char in text:
        if multiline and char == "\n":
            kept.append(char)
        elif char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            kept.append(char)
    text = "".join(kept).strip()
    if len(text) > max_length:
        return None
    return text


def clean_name(raw):
    """Return a display name of 1 to 40 characters, or None."""
    name = clean_text(raw, NAME_MAX)
    return name or None


def clean_title(raw):
    """Return a story title of 1 to 200 characters, or None."""
    title = clean_text(raw, TITLE_MAX)
    return title or None


def is_client_id(raw):
    """Tell whether `raw` looks like a browser's client id."""
    return isinstance(raw, str) and _CLIENT_ID.fullmatch(raw) is not None


def safe_link(raw):
    """Return the link if it is an http or https URL, else an empty string."""
    link = clean_text(raw, LINK_MAX) or ""
    parts = urlsplit(link)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return link
    return ""
