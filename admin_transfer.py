"""Admin routes to import stories from CSV and to export a room's results.

The import is two steps: the upload shows a preview, and the preview's
form sends the same file back to import it. Between the two nothing is
stored on the server; the file travels in the form and is read again.
"""

import base64
import datetime
import json
import logging
import textwrap

from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import render_template
from flask import request

import backlog
import database
import room_history
import rooms
import story_csv
from admin_common import apply
from admin_common import guarded_blueprint
from admin_common import local_time
from admin_common import room_or_404
from admin_common import to_room
from live import socketio

log = logging.getLogger(__name__)

transfer = guarded_blueprint("admin_transfer")


def import_page(room, preview=None, payload="", filename="", status=200):
    page = render_template(
        "admin/import.html",
        room=room,
        preview=preview,
        payload=payload,
        filename=filename,
        delimiter_names=story_csv.DELIMITER_NAMES,
    )
    return page, status


@transfer.get("/rooms/<code>/import")
def upload_form(code):
    return import_page(room_or_404(code))


@transfer.post("/rooms/<code>/import")
def preview(code):
    """Read the uploaded file and show what an import would create."""
    room = room_or_404(code)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Bitte eine CSV-Datei auswählen.", "error")
        return import_page(room, status=400)

    data = upload.read(story_csv.MAX_BYTES + 1)
    payload = base64.b64encode(data).decode("ascii")
    return import_page(room, story_csv.parse(data), payload, upload.filename)


@transfer.post("/rooms/<code>/import/confirm")
def confirm(code):
    """Import every story of the previewed file in one transaction, or none."""
    room = room_or_404(code)
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except ValueError:
        # covers binascii.Error (bad base64) and non-ASCII text alike
        abort(400)
    preview = story_csv.parse(data)
    filename = request.form.get("filename", "")
    if not preview.importable:
        flash("Die Datei enthält Fehler; es wurde nichts importiert.", "error")
        payload = request.form["payload"]
        return import_page(room, preview, payload, filename, status=400)

    stories = [
        {key: value for key, value in story.items() if key != "line"}
        for story in preview.stories
    ]
    if apply(
        code,
        lambda db, room: backlog.add_stories(db, room, stories),
        f"{len(stories)} Storys importiert.",
    ):
        log.info("%d stories imported into room %s", len(stories), code)
    return to_room(code, "stories")


def download(body, mimetype, code, extension):
    day = datetime.date.today().isoformat()
    filename = f"planning-poker-{code}-{day}.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@transfer.get("/rooms/<code>/export.csv")
def export_csv(code):
    """The room's stories and results as CSV for German Excel."""
    room = room_or_404(code)
    rows = [
        (
            story["title"],
            story["description"],
            story["link"],
            story["reference"],
            backlog.STATUS_LABELS.get(story["status"], story["status"]),
            story["final_estimate"] or "",
            story["estimated_by"] or "",
            local_time(story["estimated_at"]) if story["estimated_at"] else "",
            story["rounds"],
        )
        for story in backlog.list_stories(database.get_db(), room["id"])
    ]
    body = story_csv.export(rows)
    return download(body, "text/csv; charset=utf-8", code, "csv")


def iso_time(timestamp):
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.astimezone().isoformat(timespec="seconds")


@transfer.get("/rooms/<code>/export.json")
def export_json(code):
    """The room's stories with every round and vote as JSON, sent as it is built."""
    room = room_or_404(code)
    chunks = json_export(database.target(current_app.config), room)
    return download(chunks, "application/json", code, "json")


# Stories per piece of the JSON export, and the pause after each piece.
EXPORT_PAGE = 10
PAUSE_BETWEEN_PAGES = 0.002


def json_export(where, room):
    """Yield the JSON export a page of stories at a time, on its own connection.

    Between pages the other green threads run: votes are acked while a
    backlog of thousands of stories goes out.
    """
    head = {
        "code": room["code"],
        "name": room["name"],
        "deck": room["deck"],
        "cards": list(rooms.room_cards(room)),
    }
    yield '{\n  "room": ' + indented(head, 2).lstrip() + ',\n  "stories": ['

    db = database.connect(where)
    try:
        stories, loose = room_history.sizes(db, room["id"])
        separator = "\n"
        loose_rounds = []
        for start in range(0, stories + loose, EXPORT_PAGE):
            page = room_history.entries(db, room["id"], start, EXPORT_PAGE, stories)
            parts = []
            for entry in page:
                if entry["story"] is None:
                    loose_rounds.extend(entry["rounds"])
                    continue
                parts.append(separator + indented(story_document(entry), 4))
                separator = ",\n"
            yield "".join(parts)
            # a moment rather than none: gevent's loop reads sockets only
            # while every greenlet waits
            socketio.sleep(PAUSE_BETWEEN_PAGES)
    finally:
        db.close()
    loose = indented(rounds_document(loose_rounds), 2).lstrip()
    yield '\n  ],\n  "rounds_without_story": ' + loose + "\n}\n"


def indented(value, spaces):
    """Return `value` as indented JSON, every line moved right by `spaces`."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return textwrap.indent(text, " " * spaces)


def story_document(entry):
    story = entry["story"]
    return {
        "title": story["title"],
        "description": story["description"],
        "link": story["link"],
        "reference": story["reference"],
        "status": story["status"],
        "previous_estimate": story["previous_estimate"],
        "final_estimate": story["final_estimate"],
        "estimated_by": story["estimated_by"],
        "estimated_at": iso_time(story["estimated_at"]),
        "seconds": entry["seconds"],
        "rounds": rounds_document(entry["rounds"]),
    }


def rounds_document(rounds):
    return [
        {
            **round_,
            "started_at": iso_time(round_["started_at"]),
            "revealed_at": iso_time(round_["revealed_at"]),
            "votes": [
                {**vote, "cast_at": iso_time(vote["cast_at"])}
                for vote in round_["votes"]
            ],
        }
        for round_ in rounds
    ]
