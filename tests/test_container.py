"""The real image and docker-compose-multi.yml on a private Docker engine.

Builds a stand-in for the base image from the Debian archive, builds our
image, brings up production and stage with filled-in example env files, and
checks what operators rely on. Takes about two minutes.
"""

import json
import os
import re
import sqlite3
import subprocess
import time

import pytest
import requests
from werkzeug.security import generate_password_hash

from tests.conftest import needs_tool
from tests.containers import COMPOSE
from tests.containers import DOCKER
from tests.containers import DOCKERD
from tests.containers import MMDEBSTRAP
from tests.containers import NSENTER
from tests.containers import PrivateDocker
from tests.containers import in_namespace
from tests.servers import PROJECT

pytestmark = [
    needs_tool(DOCKERD),
    needs_tool(COMPOSE),
    needs_tool(MMDEBSTRAP),
    needs_tool(NSENTER),
]

IMAGE = "planning-poker:latest"
INSTANCES = {"planning-poker-prod": 5000, "planning-poker-stage": 5001}
ADMIN_PASSWORD = "korrekt-pferd-batterie"
ADMIN_HASH = generate_password_hash(ADMIN_PASSWORD)
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def base_image_name():
    """The image name on the Dockerfile's FROM line."""
    with open(os.path.join(PROJECT, "Dockerfile")) as dockerfile:
        (line,) = [line for line in dockerfile if line.startswith("FROM ")]
    return line.split()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    docker = PrivateDocker(str(tmp_path_factory.mktemp("engine"))).start()
    try:
        docker.build_base_image(base_image_name())
        docker.build(IMAGE, PROJECT)
        yield docker
    finally:
        docker.stop()


def fill_env_file(example, target, **values):
    """Copy an example env file, setting the given keys as an operator would."""
    with open(os.path.join(PROJECT, example)) as source:
        lines = source.read().splitlines()
    for key, value in values.items():
        (index,) = [n for n, line in enumerate(lines) if line.startswith(f"{key}=")]
        lines[index] = f"{key}={value}"
    with open(target, "w") as env_file:
        env_file.write("\n".join(lines) + "\n")


class Deployment:
    """docker-compose-multi.yml brought up from a folder with its env files."""

    def __init__(self, engine, folder):
        self.engine = engine
        self.folder = folder

    def compose(self, *args, stdin=None, check=True):
        return subprocess.run(
            [
                COMPOSE, "--file", os.path.join(PROJECT, "docker-compose-multi.yml"),
                "--project-directory", self.folder, "--project-name", "poker", *args,
            ],
            env=self.engine.env,
            stdin=stdin,
            capture_output=True,
            check=check,
            timeout=180,
        )  # fmt: skip

    def inspect(self, name):
        return json.loads(self.engine.docker("inspect", name).stdout)[0]

    def request(self, method, port, path, session=requests, **kwargs):
        """Send an HTTP request to a published port inside the engine's network."""
        url = f"http://127.0.0.1:{port}{path}"
        return in_namespace(
            self.engine.netns_path,
            lambda: session.request(method, url, timeout=5, **kwargs),
        )

    def wait_healthy(self, timeout=90):
        """Wait until every container's own HEALTHCHECK reports healthy."""
        deadline = time.monotonic() + timeout
        for name in INSTANCES:
            while self.inspect(name)["State"]["Health"]["Status"] != "healthy":
                assert time.monotonic() < deadline, self.engine.docker("logs", name)
                time.sleep(0.5)

    def wait_answering(self, timeout=60):
        deadline = time.monotonic() + timeout
        for port in INSTANCES.values():
            while True:
                try:
                    if self.request("GET", port, "/healthz").status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"port {port} does not answer"
                time.sleep(0.2)

    def new_room(self, port, name):
        answer = self.request("POST", port, "/api/rooms", json={"name": name})
        assert answer.status_code == 201, answer.text
        return answer


@pytest.fixture(scope="module")
def deployment(engine, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("deployment"))
    fill_env_file(
        ".env.prod.example",
        os.path.join(folder, ".env.prod"),
        SECRET_KEY="prod-" + "a" * 60,
        ADMIN_PASSWORD_HASH=f"'{ADMIN_HASH}'",
    )
    fill_env_file(
        ".env.stage.example",
        os.path.join(folder, ".env.stage"),
        SECRET_KEY="stage-" + "b" * 60,
        ADMIN_PASSWORD_HASH=f"'{ADMIN_HASH}'",
    )
    deployed = Deployment(engine, folder)
    deployed.compose("up", "--detach", "--no-build")
    try:
        deployed.wait_healthy()
        yield deployed
    finally:
        deployed.compose("down", "--volumes")


def process_user_ids(deployed, name):
    """User ids of every process in the container, read from /proc."""
    listing = deployed.engine.docker(
        "exec", name, "sh", "-c", "grep -h '^Uid:' /proc/[0-9]*/status"
    ).stdout
    return {int(line.split()[1]) for line in listing.splitlines()}


@pytest.mark.parametrize("name", INSTANCES)
def test_instance_is_healthy_hardened_and_runs_without_root(deployment, name):
    details = deployment.inspect(name)
    host_config = details["HostConfig"]

    assert details["State"]["Health"]["Status"] == "healthy"
    assert process_user_ids(deployment, name) == {10001}
    assert (
        deployment.request("GET", INSTANCES[name], "/healthz").json()["status"] == "ok"
    )
    assert host_config["PortBindings"] == {
        "5000/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(INSTANCES[name])}]
    }
    assert host_config["ReadonlyRootfs"] is True
    assert host_config["CapDrop"] == ["ALL"]
    assert host_config["SecurityOpt"] == ["no-new-privileges:true"]
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"
    assert host_config["LogConfig"] == {
        "Type": "json-file",
        "Config": {"max-file": "5", "max-size": "10m"},
    }
    assert host_config["Init"] is True


def test_instances_keep_their_own_rooms_cookies_and_badge(deployment):
    prod, stage = INSTANCES.values()

    prod_room = deployment.new_room(prod, "Team Prod")
    stage_room = deployment.new_room(stage, "Team Stage")
    prod_code, stage_code = prod_room.json()["code"], stage_room.json()["code"]

    assert set(prod_room.cookies.keys()) == {"poker_session_prod"}
    assert set(stage_room.cookies.keys()) == {"poker_session_stage"}
    assert (
        deployment.request("GET", stage, f"/api/rooms/{prod_code}").status_code == 404
    )
    assert (
        deployment.request("GET", prod, f"/api/rooms/{stage_code}").status_code == 404
    )
    assert 'id="instance-label"' not in deployment.request("GET", prod, "/").text
    assert ">STAGE</span>" in deployment.request("GET", stage, "/").text


def post_form(deployment, browser, port, page, action, **fields):
    """Post a form of `page` as the browser would, with the page's CSRF token."""
    html = deployment.request("GET", port, page, session=browser).text
    fields["csrf_token"] = CSRF_TOKEN.search(html).group(1)
    return deployment.request(
        "POST", port, action, session=browser, data=fields, allow_redirects=False
    )


def test_admin_sessions_of_production_and_stage_stay_apart(deployment):
    prod, stage = INSTANCES.values()
    # One browser: its cookies for 127.0.0.1 reach both ports, as in real life.
    browser = requests.Session()
    browser.trust_env = False

    signed_in = [
        post_form(
            deployment, browser, port, "/admin/login", "/admin/login",
            username="admin", password=ADMIN_PASSWORD,
        ).status_code
        for port in (prod, stage)
    ]  # fmt: skip
    post_form(deployment, browser, stage, "/admin/", "/admin/logout")
    prod_after = deployment.request(
        "GET", prod, "/admin/", session=browser, allow_redirects=False
    )
    stage_after = deployment.request(
        "GET", stage, "/admin/", session=browser, allow_redirects=False
    )

    assert signed_in == [302, 302]
    assert {"poker_session_prod", "poker_session_stage"} <= set(browser.cookies.keys())
    assert prod_after.status_code == 200
    assert stage_after.status_code == 302
    assert stage_after.headers["Location"].endswith("/admin/login")


@pytest.mark.parametrize("name", INSTANCES)
def test_admin_hash_with_dollar_signs_arrives_intact(deployment, name):
    seen = deployment.engine.docker(
        "exec", name, "python", "-c",
        "import os; print(os.environ['ADMIN_PASSWORD_HASH'])",
    ).stdout.strip()  # fmt: skip

    assert "$" in ADMIN_HASH
    assert seen == ADMIN_HASH


def test_data_survives_restart_and_down_up(deployment):
    codes = {
        port: deployment.new_room(port, f"Bleibt {port}").json()["code"]
        for port in INSTANCES.values()
    }

    def rooms_found():
        return {
            port: deployment.request("GET", port, f"/api/rooms/{code}").status_code
            for port, code in codes.items()
        }

    deployment.compose("restart")
    deployment.wait_answering()
    after_restart = rooms_found()
    deployment.compose("down")
    deployment.compose("up", "--detach", "--no-build")
    deployment.wait_answering()
    after_down_up = rooms_found()
    volumes = deployment.engine.docker("volume", "ls", "--format", "{{.Name}}").stdout

    assert after_restart == {5000: 200, 5001: 200}
    assert after_down_up == {5000: 200, 5001: 200}
    assert {"poker-prod-data", "poker-stage-data"} <= set(volumes.split())


def test_backup_script_copies_both_databases_and_drops_old_copies(deployment, tmp_path):
    codes = {
        name: deployment.new_room(port, f"Gesichert {port}").json()["code"]
        for name, port in INSTANCES.items()
    }
    month_ago = time.time() - 40 * 24 * 3600
    week_ago = time.time() - 7 * 24 * 3600
    stale = tmp_path / "planning-poker-prod-20200101-031500.db"
    recent = tmp_path / "planning-poker-prod-20200301-031500.db"
    for path, when in ((stale, month_ago), (recent, week_ago)):
        path.write_bytes(b"old copy")
        os.utime(path, (when, when))

    run = run_backup_script(deployment, tmp_path, " ".join(INSTANCES))

    assert run.returncode == 0, run.stderr
    assert not stale.exists() and recent.exists()
    for name, code in codes.items():
        (copy,) = set(tmp_path.glob(f"{name}-*.db")) - {recent}
        assert copy.stat().st_mode & 0o077 == 0
        db = sqlite3.connect(copy)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            found = db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,))
            assert found.fetchall() == [(1,)]
        finally:
            db.close()
        inside = deployment.engine.docker("exec", name, "ls", "/app/data").stdout
        assert "backup-" not in inside


def run_backup_script(deployment, folder, containers):
    return subprocess.run(
        [os.path.join(PROJECT, "backup.sh")],
        env={
            **deployment.engine.env,
            "BACKUP_DIR": str(folder),
            "CONTAINERS": containers,
            "DOCKER": DOCKER,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_restore_as_documented_brings_back_the_backup(deployment, tmp_path):
    prod = INSTANCES["planning-poker-prod"]
    kept = deployment.new_room(prod, "Vor dem Backup").json()["code"]
    assert (
        run_backup_script(deployment, tmp_path, "planning-poker-prod").returncode == 0
    )
    (backup,) = tmp_path.glob("planning-poker-prod-*.db")
    dropped = deployment.new_room(prod, "Nach dem Backup").json()["code"]
    one_off = ("run", "--rm", "--no-deps", "-T", "planning-poker-prod")
    restore = ("flask", "--app", "app", "restore", "/app/data/restore.db")

    with open(backup, "rb") as copy:
        deployment.compose(
            *one_off, "sh", "-c", "cat > /app/data/restore.db", stdin=copy
        )
    while_running = deployment.compose(*one_off, *restore, check=False)
    deployment.compose("stop", "planning-poker-prod")
    restored = deployment.compose(*one_off, *restore)
    deployment.compose(*one_off, "rm", "/app/data/restore.db")
    deployment.compose("start", "planning-poker-prod")
    deployment.wait_answering()

    assert while_running.returncode == 1
    assert b"an app process serves /app/data/poker.db" in while_running.stderr
    assert b"restored /app/data/restore.db" in restored.stdout
    assert deployment.request("GET", prod, f"/api/rooms/{kept}").status_code == 200
    assert deployment.request("GET", prod, f"/api/rooms/{dropped}").status_code == 404


def test_docker_stop_ends_the_app_cleanly_within_seconds(deployment):
    started = time.monotonic()
    deployment.engine.docker("stop", "planning-poker-prod")
    took = time.monotonic() - started
    state = deployment.inspect("planning-poker-prod")["State"]
    log = deployment.engine.docker("logs", "planning-poker-prod").stdout
    deployment.engine.docker("start", "planning-poker-prod")
    deployment.wait_answering()

    assert took < 3
    assert state["ExitCode"] == 0
    assert log.splitlines()[-1].endswith("INFO green: SIGTERM received, stopping")


def test_unwritable_data_folder_stops_start_up_with_one_log_line(engine, tmp_path):
    data = tmp_path / "root-owned-data"
    data.mkdir(mode=0o755)

    run = engine.docker(
        "run", "--rm", "--env", "SECRET_KEY=" + "c" * 64,
        "--volume", f"{data}:/app/data", IMAGE,
        check=False, timeout=60,
    )  # fmt: skip

    lines = (run.stdout + run.stderr).splitlines()
    assert run.returncode == 1
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "CRITICAL planning_poker: cannot start: "
        "database folder /app/data is not writable by user id 10001"
    )
    assert list(data.iterdir()) == []
