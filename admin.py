"""The admin dashboard at /admin: rooms, their settings, participants and history.

Stories have their own routes in `admin_stories.py`, import and export in
`admin_transfer.py`, the login in `admin_auth.py`; `init_app` wires them all.
"""

import logging

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_socketio import join_room

import admin_auth
import admin_stories
import admin_transfer
import backlog
import database
import live
import room_admin
import room_history
import rooms
import snapshots
import utils
import views
import voting_logic
from admin_common import apply
from admin_common import duration
from admin_common import guarded_blueprint
from admin_common import local_time
from admin_common import page_number
from admin_common import room_or_404
from admin_common import to_room

log = logging.getLogger(__name__)

dashboard = guarded_blueprint("admin")

# Socket.IO events of the admin pages, beside room_events.EVENTS.
EVENTS = ("admin_watch",)


def init_app(app):
    """Add the login, the dashboard pages and the time filter their templates use."""
    admin_auth.init_app(app)
    for blueprint in (dashboard, admin_stories.stories, admin_transfer.transfer):
        app.register_blueprint(blueprint)
    app.add_template_filter(local_time)
    app.add_template_filter(duration)


def deck_choices():
    return [*views.deck_choices(), {"id": "custom", "name": "Eigenes Deck"}]


@dashboard.get("/")
def index():
    overview = room_admin.overview(database.get_db())
    return render_template(
        "admin/rooms.html",
        active=[room for room in overview if not room["archived"]],
        archived=[room for room in overview if room["archived"]],
        decks=deck_choices(),
        deck_names=voting_logic.DECK_NAMES,
    )


@dashboard.post("/rooms")
def create_room():
    try:
        code = views.create_room_from(request.form)
    except rooms.RoomError as refused:
        flash(refused.message, "error")
        return redirect(url_for("admin.index"))
    flash("Der Raum ist angelegt.", "success")
    return to_room(code)


@dashboard.get("/rooms/<code>")
def room(code):
    """The room's live participants, settings and one page of its stories."""
    found = room_or_404(code)
    db = database.get_db()
    state = snapshots.snapshot(db, found, "voter")
    current = state["story"] and backlog.get_story(db, found, state["story"]["id"])
    suggestion = backlog.last_suggestion(db, current["id"]) if current else None

    per_page = room_history.PER_PAGE
    page, pages = page_number(backlog.count_stories(db, found["id"]), per_page)
    stories = backlog.list_stories(
        db, found["id"], limit=per_page, offset=(page - 1) * per_page
    )

    return render_template(
        "admin/room.html",
        room=found,
        state=state,
        current_story=current,
        names=room_history.display_names(state["participants"]),
        stories=stories,
        page=page,
        pages=pages,
        status_labels=backlog.STATUS_LABELS,
        choices=backlog.estimate_choices(found),
        suggestion=suggestion,
        decks=deck_choices(),
        deck_names=voting_logic.DECK_NAMES,
        safe_link=utils.safe_link,
    )


@dashboard.post("/rooms/<code>/name")
def rename(code):
    name = request.form.get("name", "")
    apply(
        code,
        lambda db, room: room_admin.rename(db, room, name),
        "Der Raum ist umbenannt.",
    )
    return to_room(code, "settings")


@dashboard.post("/rooms/<code>/deck")
def change_deck(code):
    deck_id = request.form.get("deck", "")
    cards = room_admin.parse_cards(request.form.get("cards"))
    try:
        changed = live.change_room(
            code, lambda db, room: room_admin.change_deck(db, room, deck_id, cards)
        )
    except rooms.RoomError as refused:
        flash(refused.message, "error")
    else:
        message = "Das Deck ist geändert." if changed else "Das ist schon das Deck."
        flash(message, "success")
    return to_room(code, "settings")


@dashboard.post("/rooms/<code>/archive")
def archive(code):
    archived = request.form.get("archived") == "1"
    message = "Der Raum ist archiviert." if archived else "Der Raum ist wieder aktiv."
    apply(code, lambda db, room: room_admin.set_archived(db, room, archived), message)
    return to_room(code, "settings")


@dashboard.post("/rooms/<code>/delete")
def delete(code):
    """Delete the room and send everyone still in it a `removed` event."""
    found = room_or_404(code)
    db = database.get_db()
    with live.room_lock(found["code"]):
        with database.transaction(db):
            room_admin.delete(db, found)
    # A list of channels reaches each connection once, whatever it joined.
    channels = [live.channel(found["code"], name) for name in (None, *rooms.ROLES)]
    live.socketio.emit(
        "removed",
        {"reason": "deleted", "message": "Dieser Raum wurde gelöscht."},
        to=channels,
    )
    for channel in channels:
        live.socketio.close_room(channel)
    live.forget_room(found["code"])
    log.info("room %s deleted by the admin", found["code"])
    flash(f"Der Raum „{found['name']}“ ist gelöscht.", "success")
    return redirect(url_for("admin.index"))


@dashboard.post("/rooms/<code>/participants/<int:participant_id>/remove")
def remove_participant(code, participant_id):
    """Take a participant of this room out of it; another room's id answers 404."""
    room_or_404(code)
    try:
        live.remove_participant(code, participant_id)
    except rooms.RoomError:
        abort(404)
    flash("Die Person wurde aus dem Raum entfernt.", "success")
    return to_room(code, "participants")


@dashboard.get("/rooms/<code>/history")
def history(code):
    """One page of the room's history: PER_PAGE stories or rounds without story."""
    found = room_or_404(code)
    entries, page, pages = room_history.history_page(
        database.get_db(), found["id"], request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/history.html",
        room=found,
        entries=entries,
        page=page,
        pages=pages,
        status_labels=backlog.STATUS_LABELS,
    )


@live.socketio.on("admin_watch")
@live.acknowledged
def on_admin_watch(payload):
    """The admin's room page follows a room: it hears each `state` as voters do.

    The admin does not join as a participant; the answer carries the state.
    """
    if not admin_auth.is_admin():
        return live.error("not_allowed", "Bitte als Admin anmelden.")
    db = database.get_db()
    found = rooms.find_room(db, payload.get("room"))
    if found is None:
        return live.error("room_not_found", "Diesen Raum gibt es nicht.")

    live.watch_as_admin(request.sid, session[admin_auth.SESSION_KEY])
    join_room(live.channel(found["code"]))
    join_room(live.channel(found["code"], "voter"))
    return {"ok": True, "snapshot": snapshots.snapshot(db, found, "voter")}
