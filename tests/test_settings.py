"""Settings from the environment: defaults, refusals and the production secret."""

import logging
import os
import subprocess
import sys

import pytest

import settings
from tests.servers import PROJECT
from tests.servers import free_port

DEV_KEY_WARNING = "SECRET_KEY is not set; using a random development key"


def test_defaults_are_production_same_origin_and_the_usual_pings():
    config = settings.load({})

    assert config["ENV"] == "production"
    assert config["ASYNC_MODE"] == "eventlet"
    assert config["CORS_ALLOWED_ORIGINS"] == ()
    assert (config["PING_INTERVAL"], config["PING_TIMEOUT"]) == (25.0, 60.0)
    assert config["SECRET_KEY"] == ""


def test_ping_interval_and_timeout_are_configurable():
    config = settings.load({"PING_INTERVAL": "5", "PING_TIMEOUT": "12.5"})

    assert (config["PING_INTERVAL"], config["PING_TIMEOUT"]) == (5.0, 12.5)


def test_empty_numbers_fall_back_to_their_defaults():
    config = settings.load({"PING_INTERVAL": "", "PORT": ""})

    assert (config["PING_INTERVAL"], config["PORT"]) == (25.0, 5000)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("PING_INTERVAL", "soon"),
        ("PING_TIMEOUT", "1m"),
        ("PORT", "80a"),
        ("PORT", "5000.5"),
        ("TRUSTED_PROXIES", "one"),
        ("MAX_CONNECTIONS", "lots"),
        ("BROADCAST_WINDOW_MS", "20ms"),
    ],
)
def test_a_setting_that_is_not_a_number_is_refused_by_name(key, raw):
    with pytest.raises(settings.SettingsError) as refused:
        settings.load({key: raw})

    message = str(refused.value)
    assert message == f"{key} must be a number, got {raw!r}"
    assert "\n" not in message


@pytest.mark.parametrize("env", ["staging", "test", "dev", "Production"])
def test_flask_env_other_than_production_or_development_is_refused(env):
    with pytest.raises(settings.SettingsError, match="FLASK_ENV") as refused:
        settings.load({"FLASK_ENV": env})

    assert repr(env) in str(refused.value)


@pytest.mark.parametrize("env", ["production", "development", " development "])
def test_flask_env_production_and_development_are_accepted(env):
    assert settings.load({"FLASK_ENV": env})["ENV"] == env.strip()


@pytest.mark.parametrize("mode", settings.ASYNC_MODES)
def test_every_supported_async_mode_is_accepted(mode):
    assert settings.load({"ASYNC_MODE": mode})["ASYNC_MODE"] == mode


@pytest.mark.parametrize("mode", ["asyncio", "Eventlet", "eventlet,gevent"])
def test_an_unknown_async_mode_is_refused(mode):
    with pytest.raises(settings.SettingsError) as refused:
        settings.load({"ASYNC_MODE": mode})

    assert str(refused.value) == (
        "ASYNC_MODE must be one of eventlet, gevent, threading"
    )


@pytest.mark.parametrize("raw", ["*", "https://poker.example, *", " * "])
def test_a_wildcard_origin_is_refused(raw):
    with pytest.raises(settings.SettingsError, match="CORS_ALLOWED_ORIGINS"):
        settings.load({"CORS_ALLOWED_ORIGINS": raw})


def test_listed_origins_are_kept_without_spaces_or_trailing_slashes():
    raw = " https://poker.example/ , http://intranet:8080,, "

    config = settings.load({"CORS_ALLOWED_ORIGINS": raw})

    assert config["CORS_ALLOWED_ORIGINS"] == (
        "https://poker.example",
        "http://intranet:8080",
    )


@pytest.mark.parametrize(
    ("label", "cookie"),
    [
        ("", "poker_session"),
        ("STAGE", "poker_session_stage"),
        ("Test-Instanz 2", "poker_session_test_instanz_2"),
    ],
)
def test_the_session_cookie_is_named_after_the_instance_label(label, cookie):
    assert settings.load({"INSTANCE_LABEL": label})["SESSION_COOKIE_NAME"] == cookie


def test_a_session_cookie_name_that_is_set_wins_over_the_label():
    loaded = settings.load({"INSTANCE_LABEL": "STAGE", "SESSION_COOKIE_NAME": "mine"})

    assert loaded["SESSION_COOKIE_NAME"] == "mine"


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("DATABASE_URL", "sqlite:///data/poker.db"),
        ("MESSAGE_QUEUE", "amqp://queue.intern"),
    ],
)
def test_scale_out_urls_of_another_kind_are_refused_by_name(key, raw):
    with pytest.raises(settings.SettingsError, match=key):
        settings.load({key: raw})


@pytest.mark.parametrize("secret", ["", "   "])
def test_production_without_secret_key_stops_with_one_clear_line(secret):
    config = settings.load({"FLASK_ENV": "production", "SECRET_KEY": secret})

    with pytest.raises(settings.SettingsError) as refused:
        settings.ensure_secret(config)

    message = str(refused.value)
    assert message.startswith("SECRET_KEY is not set: production needs")
    assert "\n" not in message


def test_production_keeps_the_secret_key_it_was_given():
    config = settings.load({"FLASK_ENV": "production", "SECRET_KEY": " s3cret "})

    settings.ensure_secret(config)

    assert config["SECRET_KEY"] == "s3cret"


def test_development_without_secret_key_makes_a_random_one_and_warns(caplog):
    caplog.set_level(logging.WARNING, logger="settings")
    first = settings.load({"FLASK_ENV": "development"})
    second = settings.load({"FLASK_ENV": "development"})

    settings.ensure_secret(first)
    settings.ensure_secret(second)

    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    warning = ("settings", logging.WARNING, DEV_KEY_WARNING)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        warning,
        warning,
    ]
    assert first["SECRET_KEY"] not in caplog.text


def test_development_with_secret_key_logs_nothing(caplog):
    caplog.set_level(logging.DEBUG, logger="settings")
    config = settings.load({"FLASK_ENV": "development", "SECRET_KEY": "given"})

    settings.ensure_secret(config)

    assert config["SECRET_KEY"] == "given"
    assert caplog.records == []


def test_app_in_production_without_secret_key_exits_with_one_log_line(tmp_path):
    db_path = tmp_path / "poker.db"
    # An empty value, unlike a missing one, also keeps a local .env from
    # supplying a secret: load_dotenv never overrides the environment.
    env = dict(
        os.environ,
        FLASK_ENV="production",
        SECRET_KEY="",
        DB_PATH=str(db_path),
        PORT=str(free_port()),
        LOG_LEVEL="INFO",
    )

    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 1
    assert result.stderr == ""
    assert len(lines) == 1
    assert " CRITICAL planning_poker: cannot start: SECRET_KEY is not set" in lines[0]
    assert not db_path.exists()
