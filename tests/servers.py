"""Start and stop real app processes (`python app.py`) for live tests."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import requests

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    eventlet listens with SO_REUSEPORT, so a port that a leftover server
    still holds would silently share traffic; binding without that option
    proves the port is really free.
    """
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as check:
            try:
                check.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port found")


class ServerProcess:
    """A server process on a port of 127.0.0.1 that logs to a file and is
    stopped by its own process id."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, port, log_path):
        self.port = port
        self.log_path = log_path
        self.process = None

    def launch(self, command, timeout, **options):
        """Start `command` and wait until `ready()`; stop it again if it never is."""
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, **options
        )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.read_log()}")
            if self.ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready in {timeout} s:\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def stop(self, sig=None, timeout=10):
        """Stop the server by its own process id; SIGKILL it after `timeout` s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, sig or self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self.log.close()


class AppProcess(ServerProcess):
    """One `python app.py` process on 127.0.0.1 with its own database."""

    name = "server"

    def __init__(self, db_path, port=None, env=None, log_path=None):
        port = port or free_port()
        super().__init__(port, log_path or f"{db_path}.{port}.log")
        self.db_path = db_path
        self.extra_env = env or {}

    @property
    def url(self):
        prefix = self.extra_env.get("URL_PREFIX", "").rstrip("/")
        return f"http://127.0.0.1:{self.port}{prefix}"

    def start(self, timeout=20):
        env = dict(os.environ)
        env.update(
            FLASK_ENV="development",
            SECRET_KEY="test-secret-key-for-live-tests",
            DB_PATH=self.db_path,
            HOST="127.0.0.1",
            PORT=str(self.port),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        command = [sys.executable, "app.py"]
        return self.launch(command, timeout, cwd=PROJECT, env=env)

    def ready(self):
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        return False

    def kill(self):
        """Kill the process with SIGKILL, as a crash would."""
        self.stop(signal.SIGKILL)


@contextlib.contextmanager
def running_app(db_path, **kwargs):
    """Run an app process for the duration of the block."""
    server = AppProcess(db_path, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
