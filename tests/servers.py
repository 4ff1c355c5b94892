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


class AppProcess:
    """One `python app.py` process on 127.0.0.1 with its own database."""

    def __init__(self, db_path, port=None, env=None, log_path=None):
        self.db_path = db_path
        self.port = port or free_port()
        self.extra_env = env or {}
        self.log_path = log_path or f"{db_path}.{self.port}.log"
        self.process = None

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
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=PROJECT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.read_log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server not healthy in {timeout} s:\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop the process by its own id and wait for it; close its log."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self.log.close()

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
