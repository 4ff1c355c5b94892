"""HTTP pages and the JSON API: home, room page, health and rooms."""

import logging
import re
from urllib.parse import unquote_to_bytes

from flask import Blueprint
from flask import abort
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

import background
import database
import rooms
import snapshots
import utils
import voting_logic

log = logging.getLogger(__name__)

pages = Blueprint("pages", __name__)
api = Blueprint("api", __name__, url_prefix="/api")

OWN_ROOMS_KEPT = 50
CARD_SEPARATORS = re.compile(r"[ ,\t\r\n]+")


def deck_choices():
    """Return the built-in decks for the create form, default first."""
    return [
        {"id": deck_id, "name": voting_logic.DECK_NAMES[deck_id], "cards": cards}
        for deck_id, cards in voting_logic.DECKS.items()
    ]


def create_room_from(data):
    """Validate a create request (form or JSON) and create the room; return its code."""
    name = utils.clean_text(data.get("name"), utils.TITLE_MAX)
    if not name:
        raise rooms.RoomError(
            "invalid_name", "Bitte einen Raumnamen mit 1 bis 200 Zeichen angeben."
        )
    deck_id = data.get("deck") or voting_logic.DEFAULT_DECK
    cards = data.get("cards")
    if isinstance(cards, str):
        # only what a person types between cards; str.split() would also cut
        # at control characters, which a card must not contain
        cards = [card for card in CARD_SEPARATORS.split(cards) if card]

    db = database.get_db()
    try:
        with database.transaction(db):
            code = rooms.create_room(db, name, deck_id, cards)
    except voting_logic.DeckError as refused:
        raise rooms.RoomError(refused.code, refused.message) from None
    remember_own_room(code)
    log.info("room %s created with deck %s", code, deck_id)
    return code


def refuse_forms_that_are_not_utf8():
    """Answer 400 to a form whose fields are not UTF-8, before anything reads it.

    Werkzeug would keep such bytes percent-encoded in the text, so "Team \\x80"
    would arrive as the name "Team %80".
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return None
    body = request.get_data(cache=True)
    for field in body.split(b"&"):
        for part in field.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                abort(400)
    return None


def remember_own_room(code):
    """Remember in the browser's session that it created the room."""
    own = [c for c in session.get("own_rooms", []) if c != code]
    session["own_rooms"] = (own + [code])[-OWN_ROOMS_KEPT:]


@pages.get("/")
def home():
    return render_template("index.html", decks=deck_choices(), error=None, form={})


@pages.post("/")
def create_room():
    try:
        code = create_room_from(request.form)
    except rooms.RoomError as refused:
        page = render_template(
            "index.html", decks=deck_choices(), error=refused.message, form=request.form
        )
        return page, 400
    return redirect(url_for("pages.room", code=code))


@pages.get("/join")
def join_by_code():
    code = utils.normalize_room_code(request.args.get("code", ""))
    if code is None or rooms.find_room(database.get_db(), code) is None:
        abort(404)
    return redirect(url_for("pages.room", code=code))


@pages.get("/r/<code>")
def room(code):
    db = database.get_db()
    found = rooms.find_room(db, code)
    if found is None:
        abort(404)
    if found["code"] != code:
        return redirect(url_for("pages.room", code=found["code"]))
    # nobody has joined yet: the page shows what an observer may see
    snapshot = snapshots.snapshot(db, found, "observer")
    return render_template("room.html", snapshot=snapshot)


@pages.get("/healthz")
def healthz():
    if database.is_healthy():
        return jsonify(status="ok", background_ticks=background.ticks)
    return jsonify(status="error"), 503


@api.post("/rooms")
def api_create_room():
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        # `silent` covers malformed JSON only, not JSON nested too deep to parse
        data = None
    if not isinstance(data, dict):
        return api_error("invalid_payload", "Erwartet wird ein JSON-Objekt.", 400)
    try:
        code = create_room_from(data)
    except rooms.RoomError as refused:
        return api_error(refused.code, refused.message, 400)
    url = url_for("pages.room", code=code, _external=True)
    return jsonify(code=code, url=url), 201


@api.get("/rooms/<code>")
def api_room(code):
    db = database.get_db()
    found = rooms.find_room(db, code)
    if found is None:
        return api_error("room_not_found", "Diesen Raum gibt es nicht.", 404)
    return jsonify(snapshots.snapshot(db, found, "observer"))


def api_error(code, message, status):
    return jsonify(error=code, message=message), status


def not_routed():
    """Answer 404: Socket.IO's middleware serves this path before Flask does."""
    abort(404)


def not_found(_error):
    """Answer 404 as JSON under /api and as a friendly German page elsewhere."""
    if request.path.startswith("/api/"):
        return api_error("not_found", "Nicht gefunden.", 404)
    return render_template("404.html"), 404
