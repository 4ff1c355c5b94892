"""Planning Poker: the app factory and the `python app.py` entry point."""

import os

from dotenv import load_dotenv

load_dotenv()

if __name__ == "__main__":
    # Green threads must replace the standard library's blocking calls
    # before anything else imports them.
    import green

    green.patch(os.environ.get("ASYNC_MODE", "eventlet"))

import logging  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

from flask import Flask  # noqa: E402
from flask_wtf.csrf import CSRFProtect  # noqa: E402
from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

import admin  # noqa: E402
import background  # noqa: E402
import collector  # noqa: E402
import commands  # noqa: E402
import copy_to_postgres  # noqa: E402
import database  # noqa: E402
import guide  # noqa: E402
import i18n  # noqa: E402
import instances  # noqa: E402
import live  # noqa: E402
import room_events  # noqa: E402, F401  (registers the Socket.IO handlers)
import room_pages  # noqa: E402
import settings  # noqa: E402
import views  # noqa: E402
import wire_json  # noqa: E402

__version__ = "0.1.0"

log = logging.getLogger("planning_poker")

MAX_SOCKET_MESSAGE_BYTES = 64 * 1024

csrf = CSRFProtect()


def create_app(test_config=None):
    """Build the app from the environment, then apply `test_config` on top."""
    config = settings.load()
    config.update(test_config or {})
    configure_logging(config["LOG_LEVEL"])
    settings.ensure_secret(config)

    app = Flask(__name__)
    app.config.update(config)
    app.config.update(
        # Never the interactive debugger or tracebacks in answers, whatever
        # FLASK_DEBUG says: the server may face a network.
        DEBUG=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )

    database.init_app(app)
    register_routes(app)
    commands.init_app(app)
    app.cli.add_command(copy_to_postgres.copy_to_postgres_command)
    init_socketio(app)
    wrap_middleware(app)
    return app


def configure_logging(level):
    """Send every log record to standard output, one line each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """Keep a record on one line, its traceback included, for line-based log tools.

    Line breaks inside a record become a literal backslash-n.
    """

    def format(self, record):
        return super().format(record).replace("\n", "\\n")


def register_routes(app):
    i18n.init_app(app)
    app.register_blueprint(views.pages)
    app.register_blueprint(views.api)
    app.register_blueprint(guide.guide)
    app.register_blueprint(room_pages.room_pages)
    app.register_error_handler(404, views.not_found)
    app.before_request(views.refuse_forms_that_are_not_utf8)
    csrf.init_app(app)
    csrf.exempt(views.api)
    admin.init_app(app)
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Forbid inline scripts, framing and content sniffing on every answer."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self';"
        " img-src 'self' data:; connect-src 'self'; object-src 'none';"
        " base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_socketio(app):
    """Attach Socket.IO with the configured async mode, origins and timeouts."""
    allowed = app.config["CORS_ALLOWED_ORIGINS"]

    def origin_allowed(origin, environ):
        own = f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in allowed

    live.socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        cors_allowed_origins=origin_allowed,
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        max_http_buffer_size=MAX_SOCKET_MESSAGE_BYTES,
        json=wire_json,
        message_queue=app.config["MESSAGE_QUEUE"] or None,
    )
    # Each event runs in a request context for its handshake, by long polling
    # or WebSocket. Without rules for that path, every event's routing fails
    # with an exception whose traceback only the cyclic garbage collector
    # frees: 15 % of the server's CPU in a burst of votes. Socket.IO's
    # middleware answers these requests; Flask's views never see them.
    for websocket in (False, True):
        app.add_url_rule(
            "/socket.io/",
            endpoint=f"socket_io_{'websocket' if websocket else 'polling'}",
            view_func=views.not_routed,
            websocket=websocket,
        )


def wrap_middleware(app):
    """Trust forwarded headers from the configured proxies and serve under a prefix."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    prefix = app.config["URL_PREFIX"]
    if prefix:
        app.wsgi_app = PrefixMiddleware(app.wsgi_app, prefix)


class PrefixMiddleware:
    """Serve the app under a path prefix such as `/poker`."""

    def __init__(self, wsgi_app, prefix):
        self.wsgi_app = wsgi_app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
        return self.wsgi_app(environ, start_response)


STARTUP_FAILURES = (
    settings.SettingsError,
    database.DatabaseNotWritable,
    database.DatabaseUnavailable,
    instances.SecondProcessRefused,
)


def main():
    """Serve the app on HOST:PORT until stopped."""
    try:
        app = create_app()
        # Here and not in create_app: `flask --app app backup` builds the app
        # too, while the running server still has its clients connected.
        background.start_instance(app)
        if not app.config["DATABASE_URL"]:
            # `restore` refuses while any process holds this lock
            app.extensions["serving_lock"] = commands.hold_serving_lock(
                app.config["DB_PATH"]
            )
    except STARTUP_FAILURES as problem:
        logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s")
        log.critical("cannot start: %s", problem)
        sys.exit(1)

    log.info(
        "Planning Poker %s starting: env=%s db=%s async_mode=%s queue=%s"
        " origins=%s on http://%s:%d%s",
        __version__,
        app.config["ENV"],
        database.describe(database.target(app.config)),
        live.socketio.async_mode,
        redact(app.config["MESSAGE_QUEUE"]) or "none",
        ", ".join(app.config["CORS_ALLOWED_ORIGINS"]) or "same origin only",
        app.config["HOST"],
        app.config["PORT"],
        app.config["URL_PREFIX"] or "/",
    )
    background.start_tasks(app)
    collector.start(live.socketio)
    green.serve(app, live.socketio)


def redact(url):
    """Return a URL with any password replaced by ***."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


if __name__ == "__main__":
    main()
