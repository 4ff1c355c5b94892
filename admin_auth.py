"""Admin sign-in: password check, server-side session marker, login limit, cookie.

Flask keeps its session in a signed cookie, so logging out cannot recall a
copy of that cookie. Each login therefore records a random id in the
`admin_sessions` table; the cookie carries the id, and every admin request
or Socket.IO event checks that the row still exists and has not ended.
"""

import hmac
import logging
import math
import secrets
import time

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError
from werkzeug.security import check_password_hash

import database
import live
import settings

log = logging.getLogger(__name__)

SESSION_KEY = "admin_session"
SESSION_LIFETIME = 12 * 60 * 60
FAILED_LOGIN_LIMIT = "5 per minute"
HASH_METHODS = ("scrypt:", "pbkdf2:")
# Session keys that survive logging in and out: the rooms this browser made.
KEPT_ACROSS_LOGIN = ("own_rooms",)

auth = Blueprint("admin_auth", __name__, url_prefix="/admin")
# Counted in the process's memory, or in Redis when MESSAGE_QUEUE links
# several processes (init_app), so each address has one count everywhere.
limiter = Limiter(get_remote_address, strategy="moving-window")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, marked `Secure` whenever the request came over HTTPS.

    `request.is_secure` honours X-Forwarded-Proto once ProxyFix trusts the
    proxy, so one setting serves plain local runs and TLS behind nginx.
    """

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app):
        """Build the cookie's serializer once per app, not for every request:
        each Socket.IO event is a request to Flask too, and under load the
        rebuilding cost more than reading the cookie."""
        serializer = app.extensions.get("session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["session_serializer"] = serializer
        return serializer


def init_app(app):
    """Check the password hash, then add the cookie, limiter and login routes."""
    check_hash_setting(app.config["ADMIN_PASSWORD_HASH"])
    app.session_interface = SessionInterface()
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config["MESSAGE_QUEUE"] or "memory://"
    )
    limiter.init_app(app)
    app.register_blueprint(auth)


def check_hash_setting(value):
    """Raise SettingsError when ADMIN_PASSWORD_HASH is set but is no Werkzeug hash."""
    if not value:
        return
    if value[0] in "'\"":
        raise settings.SettingsError(
            "ADMIN_PASSWORD_HASH still carries its quotes: the tool that read the"
            " env file kept them (docker run --env-file does); use Docker Compose"
            " or python-dotenv, or remove the quotes there"
        )
    method, *parts = value.split("$")
    if not method.startswith(HASH_METHODS) or len(parts) != 2 or not all(parts):
        raise settings.SettingsError(
            "ADMIN_PASSWORD_HASH is not a Werkzeug password hash (method$salt$hash);"
            " create one with: python generate_admin_password.py"
        )


def current_admin():
    """Return the admin's user name if this request or socket holds a live session.

    The row is read again on every call, so a Socket.IO connection opened
    before a logout loses its admin rights with the logout. A session also
    ends after SESSION_LIFETIME and when ADMIN_USERNAME changes.
    """
    session_id = session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return None

    db = database.get_db()
    row = db.execute(
        "SELECT username FROM admin_sessions WHERE id = ? AND username = ?"
        " AND ended_at IS NULL AND created_at > ?",
        (
            session_id,
            current_app.config["ADMIN_USERNAME"],
            time.time() - SESSION_LIFETIME,
        ),
    ).fetchone()
    return row["username"] if row else None


def is_admin():
    """Tell whether this request or Socket.IO connection is a logged-in admin's."""
    return current_admin() is not None


def require_admin():
    """Send visitors without a live admin session to the login page."""
    if is_admin():
        return None
    if request.method != "GET":
        flash("Deine Anmeldung ist abgelaufen. Bitte erneut anmelden.", "error")
    return redirect(url_for("admin_auth.login_form"))


def no_store(response):
    """Keep admin pages out of browser and proxy caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_without_csrf(_error):
    """Answer a form without a valid CSRF token in German; nothing was changed."""
    page = render_template("admin/form_expired.html")
    return page, 400


def guard_forms(blueprint):
    """Give an admin blueprint the German page for refused forms and no caching."""
    blueprint.register_error_handler(CSRFError, refuse_without_csrf)
    blueprint.after_request(no_store)


def credentials_match(username, password):
    """Compare name and password in constant time; the hash check always runs."""
    config = current_app.config
    name_ok = hmac.compare_digest(
        username.strip().encode(), config["ADMIN_USERNAME"].encode()
    )
    password_ok = check_password_hash(config["ADMIN_PASSWORD_HASH"], password)
    return name_ok and password_ok


def start_session(username):
    """Replace the browser's whole session with a new, recorded admin session."""
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    db = database.get_db()
    with database.transaction(db):
        db.execute(
            "DELETE FROM admin_sessions WHERE created_at < ?",
            (now - SESSION_LIFETIME,),
        )
        db.execute(
            "INSERT INTO admin_sessions (id, username, created_at) VALUES (?, ?, ?)",
            (session_id, username, now),
        )
    fresh_session()
    session[SESSION_KEY] = session_id


def end_session():
    """Mark the session's row as ended and empty the browser's session."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        db = database.get_db()
        with database.transaction(db):
            db.execute(
                "UPDATE admin_sessions SET ended_at = ?"
                " WHERE id = ? AND ended_at IS NULL",
                (time.time(), session_id),
            )
        live.end_admin_sockets(session_id)
    fresh_session()


def fresh_session():
    """Empty the browser's session but for the rooms it created, which stay its own."""
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)


def login_page(error=None, status=200):
    configured = bool(current_app.config["ADMIN_PASSWORD_HASH"])
    page = render_template("admin/login.html", configured=configured, error=error)
    return page, status


def refuse_after_too_many(limit):
    """Answer a blocked login with a German message saying when to try again."""
    wait = max(1, math.ceil(limit.window.reset_time - time.time()))
    log.warning("admin login from %s blocked: too many failures", request.remote_addr)
    page, _status = login_page(
        "Zu viele fehlgeschlagene Anmeldungen von dieser Adresse. "
        f"Bitte in {wait} Sekunden erneut versuchen."
    )
    response = current_app.make_response((page, 429))
    response.headers["Retry-After"] = str(wait)
    return response


guard_forms(auth)


@auth.get("/login")
def login_form():
    if is_admin():
        return redirect(url_for("admin.index"))
    return login_page()


@auth.post("/login")
@limiter.limit(
    FAILED_LOGIN_LIMIT,
    deduct_when=lambda response: response.status_code == 401,
    on_breach=refuse_after_too_many,
)
def login():
    """Check the credentials; only failed attempts count against the limit."""
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if not current_app.config["ADMIN_PASSWORD_HASH"]:
        return login_page(status=403)

    if not credentials_match(username, password):
        log.warning("failed admin login from %s", request.remote_addr)
        return login_page("Benutzername oder Passwort ist falsch.", 401)

    start_session(current_app.config["ADMIN_USERNAME"])
    log.info("admin logged in from %s", request.remote_addr)
    return redirect(url_for("admin.index"))


@auth.post("/logout")
def logout():
    end_session()
    flash("Du bist abgemeldet.", "success")
    return redirect(url_for("admin_auth.login_form"))
