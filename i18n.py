"""Languages of the pages: German by default, English on request.

The `lang` cookie wins, then the browser's Accept-Language; the switch in the
page header sets the cookie through `GET /lang/<code>`. The admin pages are
written in German only, so they always say so and offer no switch.
"""

from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import Babel
from flask_babel import get_locale

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
COOKIE_NAME = "lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# Blueprints admin, admin_auth, admin_stories, admin_transfer: German text only.
GERMAN_ONLY_PREFIX = "admin"

babel = Babel()
language = Blueprint("i18n", __name__)


def init_app(app):
    """Attach Flask-Babel with our locale choice and add the language switch route."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(language)
    app.context_processor(language_context)
    app.after_request(vary_by_language)


def is_german_only():
    """Tell whether this request is for a page that exists in German only."""
    return (request.blueprint or "").startswith(GERMAN_ONLY_PREFIX)


def select_locale():
    """Return the language of this request: cookie, then browser, then German."""
    if is_german_only():
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE_NAME)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def language_context():
    """Give templates the page language, the page's address, and if it may switch."""
    here = request.script_root + request.full_path.rstrip("?")
    return {
        "page_lang": str(get_locale() or DEFAULT_LANGUAGE),
        "here": here,
        "language_switch": not is_german_only(),
    }


def vary_by_language(response):
    """Tell caches that a page's language follows the cookie and the browser."""
    if response.mimetype == "text/html":
        response.vary.update(("Cookie", "Accept-Language"))
    return response


def is_local_path(target):
    """Tell whether `target` is a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 0x20 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@language.get("/lang/<code>")
def set_language(code):
    """Remember the chosen language in a cookie and go back to the page."""
    if code not in LANGUAGES:
        abort(404)

    target = request.args.get("next", "")
    if not is_local_path(target):
        target = url_for("pages.home")

    response = redirect(target)
    response.set_cookie(
        COOKIE_NAME,
        code,
        max_age=COOKIE_MAX_AGE,
        path=request.script_root or "/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response
