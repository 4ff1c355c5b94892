"""Settings read from the environment, with safe defaults for development."""

import logging
import os
import re
import secrets

log = logging.getLogger(__name__)

ASYNC_MODES = ("eventlet", "gevent", "threading")


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says which, in one line."""


def _number(environ, key, default, kind=int):
    raw = environ.get(key)
    if raw in (None, ""):
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None


def _origins(raw):
    return tuple(
        origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()
    )


def _prefix(raw):
    raw = raw.strip().strip("/")
    return f"/{raw}" if raw else ""


def cookie_name(label):
    """Name the session cookie after the instance label, so that stage and
    production on one host keep separate logins even without the setting."""
    suffix = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return f"poker_session_{suffix}" if suffix else "poker_session"


def load(environ=None):
    """Build the settings mapping from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    env = environ.get("FLASK_ENV", "production").strip() or "production"
    if env not in ("production", "development"):
        raise SettingsError(f"FLASK_ENV must be production or development, got {env!r}")

    async_mode = environ.get("ASYNC_MODE", "eventlet").strip()
    if async_mode not in ASYNC_MODES:
        raise SettingsError(f"ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")

    settings = {
        "ENV": env,
        "SECRET_KEY": environ.get("SECRET_KEY", "").strip(),
        "DB_PATH": environ.get("DB_PATH", "").strip()
        or os.path.join("data", "poker.db"),
        "DATABASE_URL": environ.get("DATABASE_URL", "").strip(),
        "ADMIN_USERNAME": environ.get("ADMIN_USERNAME", "admin").strip() or "admin",
        "ADMIN_PASSWORD_HASH": environ.get("ADMIN_PASSWORD_HASH", "").strip(),
        "HOST": environ.get("HOST", "127.0.0.1").strip() or "127.0.0.1",
        "PORT": _number(environ, "PORT", 5000),
        "ASYNC_MODE": async_mode,
        "CORS_ALLOWED_ORIGINS": _origins(environ.get("CORS_ALLOWED_ORIGINS", "")),
        "PING_INTERVAL": _number(environ, "PING_INTERVAL", 25.0, float),
        "PING_TIMEOUT": _number(environ, "PING_TIMEOUT", 60.0, float),
        "TRUSTED_PROXIES": _number(environ, "TRUSTED_PROXIES", 0),
        "URL_PREFIX": _prefix(environ.get("URL_PREFIX", "")),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
        "SESSION_COOKIE_NAME": environ.get("SESSION_COOKIE_NAME", "").strip()
        or cookie_name(environ.get("INSTANCE_LABEL", "")),
        "INSTANCE_LABEL": environ.get("INSTANCE_LABEL", "").strip(),
        "MESSAGE_QUEUE": environ.get("MESSAGE_QUEUE", "").strip(),
        "MAX_CONNECTIONS": _number(environ, "MAX_CONNECTIONS", 10000),
        "BROADCAST_WINDOW": _number(environ, "BROADCAST_WINDOW_MS", 2, float) / 1000,
    }
    if "CORS_ALLOWED_ORIGINS" in environ and "*" in settings["CORS_ALLOWED_ORIGINS"]:
        raise SettingsError("CORS_ALLOWED_ORIGINS must list origins; '*' is refused")
    if settings["DATABASE_URL"] and not settings["DATABASE_URL"].startswith(
        ("postgres://", "postgresql://")
    ):
        raise SettingsError("DATABASE_URL must be a postgresql://... URL")
    if settings["MESSAGE_QUEUE"] and not settings["MESSAGE_QUEUE"].startswith(
        ("redis://", "rediss://")
    ):
        raise SettingsError("MESSAGE_QUEUE must be a redis://... URL")
    return settings


def ensure_secret(settings):
    """Stop start-up in production without SECRET_KEY; in development, make one."""
    if settings["SECRET_KEY"]:
        return
    if settings["ENV"] == "production":
        raise SettingsError(
            "SECRET_KEY is not set: production needs a long random secret "
            "(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    settings["SECRET_KEY"] = secrets.token_hex(32)
    log.warning("SECRET_KEY is not set; using a random development key")
