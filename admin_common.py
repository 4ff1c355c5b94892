"""What every admin page shares: the login guard, applying a change, showing times."""

import math
import time

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for

import admin_auth
import database
import live
import rooms


def guarded_blueprint(name):
    """Return a blueprint under /admin that only a logged-in admin can use."""
    blueprint = Blueprint(name, __name__, url_prefix="/admin")
    blueprint.before_request(admin_auth.require_admin)
    admin_auth.guard_forms(blueprint)
    return blueprint


def room_or_404(code):
    """Return the room row for the code in the address, or answer 404."""
    room = rooms.find_room(database.get_db(), code)
    if room is None or room["code"] != code:
        abort(404)
    return room


def apply(code, change, success=None):
    """Run `change(db, room)` for the room and push its state; flash the outcome.

    Returns True when the change was made, False when the room refused it.
    """
    try:
        live.change_room(code, change)
    except rooms.RoomError as refused:
        flash(refused.message, "error")
        return False
    if success:
        flash(success, "success")
    return True


def to_room(code, anchor=None):
    """Send the admin back to the room's page and the page of stories they were on."""
    page = request.args.get("page", type=int)
    return redirect(url_for("admin.room", code=code, page=page, _anchor=anchor))


def page_number(total, per_page):
    """Return (page, pages): the `?page=` asked for, kept between 1 and the last."""
    pages = max(1, math.ceil(total / per_page))
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


def duration(seconds):
    """Format a duration in seconds as `1:05 min` or `42 s`."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60}:{whole % 60:02d} min"


def local_time(timestamp, seconds=False):
    """Format a Unix time as German date and time in the server's time zone."""
    if timestamp is None:
        return "–"
    pattern = "%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M"
    return time.strftime(pattern, time.localtime(timestamp))
