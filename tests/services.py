"""Start and stop real PostgreSQL and Redis servers on loopback for tests.

Both come from Debian packages, listen only on 127.0.0.1 on a free port and
are stopped by their own process id. Durability is switched off: a test's
data need not survive a power cut, and the servers start faster without it.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile

from tests.servers import ServerProcess
from tests.servers import free_port

REDIS_SERVER = "/usr/bin/redis-server"
SUPERUSER = "poker"


def newest_postgres_bin():
    """Return the bin folder of the newest installed PostgreSQL, or None."""
    found = {}
    for folder in glob.glob("/usr/lib/postgresql/*/bin"):
        version = folder.split("/")[-2]
        with contextlib.suppress(ValueError):
            found[tuple(int(part) for part in version.split("."))] = folder
    return found[max(found)] if found else None


POSTGRES_BIN = newest_postgres_bin()
# Names what is missing in a skip reason when no version is installed.
POSTGRES = os.path.join(POSTGRES_BIN or "/usr/lib/postgresql/<version>/bin", "postgres")


class PostgresCluster(ServerProcess):
    """A throwaway PostgreSQL cluster whose superuser `poker` needs no password."""

    name = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown: roll back sessions, end at once

    def __init__(self, folder):
        if POSTGRES_BIN is None:
            raise RuntimeError("PostgreSQL is not installed (package postgresql)")
        self.folder = str(folder)
        super().__init__(free_port(), os.path.join(self.folder, "postgres.log"))
        self.data = None
        # PostgreSQL refuses to run as root, so root hands it to Debian's user.
        self.owner = {}
        if os.geteuid() == 0:
            self.owner = {"user": "postgres", "group": "postgres", "extra_groups": []}
        self.client = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]

    def url(self, dbname="postgres"):
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def start(self, timeout=30):
        """Create the cluster on first start, run the server, wait for connections."""
        if self.data is None:
            self.data = self.make_data_folder()
            self.run_tool(
                "initdb", "-D", self.data, "-U", SUPERUSER, "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync",
                cwd=self.data, **self.owner,
            )  # fmt: skip
        command = [os.path.join(POSTGRES_BIN, "postgres"), "-D", self.data]
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.data,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return self.launch(command, timeout, cwd=self.data, **self.owner)

    def make_data_folder(self):
        """Make an empty data folder that the server's user owns and can reach.

        pytest's temporary folders sit below one that only their owner may
        enter, so as root the data goes to a folder of its own in /tmp.
        """
        if not self.owner:
            return tempfile.mkdtemp(prefix="pgdata-", dir=self.folder)
        data = tempfile.mkdtemp(prefix="poker-pgdata-", dir="/tmp")
        account = pwd.getpwnam(self.owner["user"])
        os.chown(data, account.pw_uid, account.pw_gid)
        return data

    def run_tool(self, tool, *args, **options):
        """Run a PostgreSQL program; raise with its output if it fails."""
        done = subprocess.run(
            [os.path.join(POSTGRES_BIN, tool), *args],
            capture_output=True,
            text=True,
            **options,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed:\n{done.stdout}{done.stderr}")
        return done

    def ready(self):
        answer = subprocess.run(
            [os.path.join(POSTGRES_BIN, "pg_isready"), *self.client, "-t", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return answer.returncode == 0

    def create_database(self, name):
        """Create an empty database; return its URL. Fails if it exists."""
        self.run_tool("createdb", *self.client, "-w", name)
        return self.url(name)

    def drop_database(self, name):
        """Drop a database, ending the sessions still connected to it."""
        self.run_tool("dropdb", *self.client, "-w", "--force", name)

    def remove(self):
        """Stop the server and delete the cluster's data folder."""
        self.stop()
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
            self.data = None


class RedisServer(ServerProcess):
    """A Redis server that keeps its data in memory only."""

    name = "redis"

    def __init__(self, folder):
        self.folder = str(folder)
        super().__init__(free_port(), os.path.join(self.folder, "redis.log"))

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10):
        """Run the server and wait until it answers PING."""
        command = [
            REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
            "--save", "", "--appendonly", "no", "--dir", self.folder,
        ]  # fmt: skip
        return self.launch(command, timeout)

    def ready(self):
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=1) as link,
        ):
            link.sendall(b"PING\r\n")
            return link.recv(64).startswith(b"+PONG")
        return False


@contextlib.contextmanager
def running_postgres(folder):
    """Run a PostgreSQL cluster for the duration of the block, then delete it."""
    cluster = PostgresCluster(folder)
    try:
        yield cluster.start()
    finally:
        cluster.remove()


@contextlib.contextmanager
def running_redis(folder):
    """Run a Redis server for the duration of the block."""
    server = RedisServer(folder)
    try:
        yield server.start()
    finally:
        server.stop()
