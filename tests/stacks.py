"""Whole deployments to test against: one app process, or two behind HAProxy.

Both offer the same handful of things a test needs: the address clients use,
an HTTP session that trusts it, the options for Socket.IO clients, and plain
SQL on the database underneath. So a test of ordering or of lost votes runs
unchanged on the default deployment and on the scale-out one.
"""

import contextlib
import itertools
import os
import signal
import subprocess
import time

import requests

import database
from tests.proxies import HAPROXY
from tests.proxies import replace
from tests.servers import PROJECT
from tests.servers import AppProcess
from tests.servers import free_port
from tests.services import RedisServer

# The app hosts as deploy/haproxy-scale.cfg names them.
SCALE_EXAMPLE_HOSTS = ("10.0.0.11:5000", "10.0.0.12:5000")
_NUMBERS = itertools.count(1)


class OneProcess:
    """`python app.py` on a SQLite file: the default deployment."""

    name = "one process"

    def __init__(self, folder, env=None):
        self.folder = str(folder)
        self.app = AppProcess(os.path.join(self.folder, "poker.db"), env=env)
        self.database = self.app.db_path
        self.http = requests.Session()

    @property
    def url(self):
        return self.app.url

    @property
    def processes(self):
        return [self.app]

    def client_options(self):
        """Return the options of one Socket.IO client, as a browser of its own."""
        return {}

    def start(self):
        self.app.start()
        return self

    def stop(self):
        self.app.stop()

    def query(self, sql, params=()):
        """Run one statement on the deployment's database; return all rows."""
        db = database.connect(self.database)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()


class ComposeProxy:
    """HAProxy with deploy/haproxy-compose-scale.cfg, its addresses on loopback.

    Plain HTTP, as in docker-compose-scale.yml, where TLS ends in front.
    """

    def __init__(self, folder, app_ports):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_ports = app_ports
        self.process = None

    def config(self):
        path = os.path.join(PROJECT, "deploy", "haproxy-compose-scale.cfg")
        with open(path) as example:
            text = example.read()
        text = replace(text, r"bind :8080", f"bind 127.0.0.1:{self.port}")
        # Docker's DNS does not exist here; the apps have fixed addresses.
        text = replace(text, r" resolvers docker$", "")
        text = replace(text, r"^resolvers docker\n(    .*\n)+", "")
        for number, port in enumerate(self.app_ports, start=1):
            text = replace(text, rf"app{number}:5000", f"127.0.0.1:{port}")
        return text

    def start(self, timeout=10):
        path = os.path.join(self.folder, "haproxy.cfg")
        with open(path, "w") as target:
            target.write(self.config())
        self.log = open(os.path.join(self.folder, "haproxy.log"), "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [HAPROXY, "-db", "-f", path], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"haproxy not answering in {timeout} s")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        self.log.close()


class TwoProcesses(OneProcess):
    """Two app processes on PostgreSQL and Redis behind HAProxy, as
    docker-compose-scale.yml runs them."""

    name = "two processes"

    def __init__(self, folder, postgres, env=None):
        self.folder = str(folder)
        self.database = postgres.create_database(f"stack_{next(_NUMBERS)}")
        self.redis = RedisServer(self.folder)
        shared = {
            "DATABASE_URL": self.database,
            "MESSAGE_QUEUE": self.redis.url,
            "TRUSTED_PROXIES": "1",
            **(env or {}),
        }
        self.apps = [
            AppProcess(os.path.join(self.folder, f"unused-{n}.db"), env=shared)
            for n in (1, 2)
        ]
        self.proxy = ComposeProxy(self.folder, [app.port for app in self.apps])
        self.http = requests.Session()

    @property
    def url(self):
        return self.proxy.url

    @property
    def processes(self):
        return list(self.apps)

    def client_options(self):
        # A session per client: a shared one would carry one HAProxy cookie
        # and pin every client to the same process.
        return {"http_session": requests.Session()}

    def pids(self):
        """The process ids of the whole stack but PostgreSQL, for a sampler."""
        return [
            *(app.process.pid for app in self.apps),
            self.proxy.process.pid,
            self.redis.process.pid,
        ]

    def start(self):
        self.redis.start()
        for app in self.apps:
            app.start()
        self.proxy.start()
        return self

    def stop(self):
        for part in (self.proxy, *self.apps, self.redis):
            if part.process is not None:
                part.stop()

    def instance_of(self, sid):
        """Return which app process (0 or 1) holds a participant's connection."""
        pids = [app.process.pid for app in self.apps]
        rows = self.query(
            "SELECT i.pid FROM connections c JOIN instances i ON i.id = c.instance"
            " WHERE c.sid = ?",
            (sid,),
        )
        return pids.index(rows[0]["pid"]) if rows else None
