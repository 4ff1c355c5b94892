"""Pages around a room: the presentation view for a projector and the QR code."""

from flask import Blueprint
from flask import Response
from flask import abort
from flask import redirect
from flask import render_template
from flask import url_for

import database
import qr
import rooms
import snapshots

room_pages = Blueprint("room_pages", __name__)

QR_MAX_AGE = 24 * 60 * 60


def room_or_404(code):
    """Return the room for `code` (any case), or stop with 404."""
    found = rooms.find_room(database.get_db(), code)
    if found is None:
        abort(404)
    return found


@room_pages.get("/r/<code>/praesentation")
def presentation(code):
    """Show the room large for a shared screen: story, who voted, result, QR."""
    room = room_or_404(code)
    if room["code"] != code:
        return redirect(url_for("room_pages.presentation", code=room["code"]))
    snapshot = snapshots.snapshot(database.get_db(), room, "observer")
    return render_template("presentation.html", snapshot=snapshot)


@room_pages.get("/r/<code>/qr.svg")
def room_qr(code):
    """Answer an SVG QR code of the room's link, for phones in the meeting room."""
    room = room_or_404(code)
    link = url_for("pages.room", code=room["code"], _external=True)
    image = qr.qr_svg(link)

    response = Response(image, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = QR_MAX_AGE
    return response
