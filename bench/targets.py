"""The servers under test: our `python app.py` and the Node baseline.

Each is started on a free port of 127.0.0.1, watched by a `Sampler` and
stopped by its own process id.
"""

import collections
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import psutil
import requests

from tests.servers import AppProcess
from tests.servers import free_port

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def start_python(workdir, async_mode):
    """Start `python app.py` with a fresh database in `workdir`."""
    server = AppProcess(
        os.path.join(workdir, "bench.db"),
        env={"ASYNC_MODE": async_mode},
        log_path=os.path.join(workdir, "python-server.log"),
    )
    return server.start()


def install_node_modules():
    """Install the baseline's locked dependencies once (node_modules is not in git)."""
    if os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        return
    subprocess.run(
        ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        check=True,
    )


class NodeProcess:
    """The Node baseline as one `node server.js` process."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, "node-server.log")
        self.process = None

    def start(self, timeout=20):
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["node", "server.js"],
                cwd=NODE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited early, see {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"node not healthy in {timeout} s, see {self.log_path}")

    def stop(self, timeout=10):
        """Stop the process by its own id and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def start_server(kind, workdir, async_mode):
    """Start "python" or "node"; the server has `.url`, `.process` and `.stop()`."""
    if kind == "python":
        return start_python(workdir, async_mode)
    install_node_modules()
    return NodeProcess(workdir).start()


def machine_busy_seconds():
    """Return the CPU seconds all processes of the machine have used since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class Sampler(threading.Thread):
    """Sample a process's memory and CPU; read its CPU time at named marks.

    `peak_cpu_pct` is the busiest one-second window seen, in percent of one
    core: near 100 a single-threaded process was saturated at that moment.
    """

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.peak_cpu_pct = 0.0
        self.window = collections.deque()
        self.marks = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(self.interval)

    def sample(self):
        with self.lock, contextlib.suppress(psutil.Error):
            now = time.monotonic()
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            cpu = self.process.cpu_times()
            self.window.append((now, cpu.user + cpu.system))
            while now - self.window[0][0] > 1.0:
                self.window.popleft()
            since, spent = self.window[0]
            if now - since >= 0.9:
                busy = 100 * (cpu.user + cpu.system - spent) / (now - since)
                self.peak_cpu_pct = max(self.peak_cpu_pct, busy)

    def restart_peak(self):
        """Forget the busiest second so far; the next one counts from now."""
        with self.lock:
            self.window.clear()
            self.peak_cpu_pct = 0.0

    def mark(self, name):
        """Remember the CPU seconds and memory the process has used up to now."""
        self.sample()
        with contextlib.suppress(psutil.Error):
            cpu = self.process.cpu_times()
            self.marks[name] = {
                "cpu_s": cpu.user + cpu.system,
                "rss": self.process.memory_info().rss,
                "at": time.monotonic(),
            }

    def stop(self):
        self.stopped.set()
        self.join()


class Profiler:
    """py-spy sampling one process into a file: raw stacks or a flame graph."""

    def __init__(self, pid, path, idle=False):
        self.pid = pid
        self.path = path and os.path.abspath(path)
        self.idle = idle
        self.process = None

    def start(self):
        """Start sampling, if a file was asked for."""
        if not self.path:
            return self
        found = shutil.which("py-spy") or os.path.join(
            os.path.dirname(sys.executable), "py-spy"
        )
        if not os.path.exists(found):
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        kind = "flamegraph" if self.path.endswith(".svg") else "raw"
        self.process = subprocess.Popen(
            [found, "record", "--pid", str(self.pid), "--format", kind]
            + ["--rate", "200", "--nonblocking", "--output", self.path]
            + (["--idle"] if self.idle else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self, timeout=30):
        """Stop sampling (py-spy writes its file on SIGINT) and wait for the file."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
