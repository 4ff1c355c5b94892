"""Admin sign-in state (being replaced by the admin dashboard work)."""

from flask import session

import database


def is_admin():
    """Tell whether this browser holds a live admin session."""
    marker = session.get("admin_session")
    if not marker:
        return False
    row = database.get_db().execute(
        "SELECT 1 FROM admin_sessions WHERE id = ? AND ended_at IS NULL", (marker,)
    ).fetchone()
    return row is not None
