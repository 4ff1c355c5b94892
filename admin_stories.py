"""Admin routes for a room's stories: add, edit, order, make current, skip, estimate.

Each change runs through `live.change_room`, so everyone in the room sees
it at once, for example when a story becomes the current one.
"""

from flask import abort
from flask import render_template
from flask import request

import admin_auth
import backlog
import database
import room_history
import rooms
from admin_common import apply
from admin_common import guarded_blueprint
from admin_common import room_or_404
from admin_common import to_room

stories = guarded_blueprint("admin_stories")

STORY = "/rooms/<code>/stories/<int:story_id>"


def story_fields():
    """Return the cleaned fields of the story form, or raise RoomError."""
    return backlog.clean_story(
        {name: request.form.get(name, "") for name in ("title", "description", "link")}
    )


@stories.post("/rooms/<code>/stories")
def add(code):
    def add_one(db, room):
        backlog.add_stories(db, room, [story_fields()])

    apply(code, add_one, "Die Story ist angelegt.")
    return to_room(code, "stories")


@stories.get(STORY)
def show(code, story_id):
    """The story's page: its form, the final estimate and its rounds."""
    room = room_or_404(code)
    db = database.get_db()
    try:
        story = backlog.get_story(db, room, story_id)
    except rooms.RoomError:
        abort(404)
    return render_template(
        "admin/story.html",
        room=room,
        story=story,
        rounds=room_history.story_rounds(db, room["id"], story_id),
        choices=backlog.estimate_choices(room),
        suggestion=backlog.last_suggestion(db, story_id),
        status_labels=backlog.STATUS_LABELS,
    )


@stories.post(STORY)
def edit(code, story_id):
    def save(db, room):
        backlog.edit_story(db, room, story_id, story_fields())

    apply(code, save, "Die Story ist gespeichert.")
    return to_room(code, "stories")


@stories.post(STORY + "/delete")
def delete(code, story_id):
    apply(
        code,
        lambda db, room: backlog.delete_story(db, room, story_id),
        "Die Story ist gelöscht.",
    )
    return to_room(code, "stories")


@stories.post(STORY + "/move")
def move(code, story_id):
    direction = request.form.get("direction")
    if direction not in backlog.NEIGHBOUR_QUERIES:
        abort(400)
    apply(code, lambda db, room: backlog.move_story(db, room, story_id, direction))
    return to_room(code, "stories")


@stories.post(STORY + "/current")
def make_current(code, story_id):
    apply(
        code,
        lambda db, room: backlog.make_current(db, room, story_id),
        "Die Story wird jetzt geschätzt.",
    )
    return to_room(code)


@stories.post(STORY + "/skip")
def skip(code, story_id):
    apply(
        code,
        lambda db, room: backlog.skip_story(db, room, story_id),
        "Die Story ist übersprungen.",
    )
    return to_room(code, "stories")


@stories.post(STORY + "/estimate")
def estimate(code, story_id):
    """Record the final estimate; the admin's name is kept as who set it."""
    value = request.form.get("estimate", "")
    by = admin_auth.current_admin()
    apply(
        code,
        lambda db, room: backlog.set_final_estimate(db, room, story_id, value, by),
        f"Endgültige Schätzung {value} gespeichert.",
    )
    return to_room(code, "stories")
