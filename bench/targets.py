"""The servers under test: our `python app.py`, two of them, and the Node baseline.

Each is started on free ports of 127.0.0.1, watched by a `Sampler` and
stopped by its own process ids.
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
from tests.services import PostgresCluster
from tests.stacks import TwoProcesses

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def start_python(workdir, async_mode):
    """Start `python app.py` with a fresh database in `workdir`."""
    server = AppProcess(
        os.path.join(workdir, "bench.db"),
        env={"ASYNC_MODE": async_mode},
        log_path=os.path.join(workdir, "python-server.log"),
    )
    return server.start()


class ScaleStack:
    """Two `python app.py` on PostgreSQL and Redis behind HAProxy, as
    docker-compose-scale.yml runs them, with a PostgreSQL cluster of its own."""

    def __init__(self, workdir, async_mode):
        self.workdir = workdir
        self.async_mode = async_mode
        self.postgres = PostgresCluster(workdir)
        self.stack = None

    def start(self):
        self.postgres.start()
        env = {"ASYNC_MODE": self.async_mode}
        self.stack = TwoProcesses(self.workdir, self.postgres, env=env).start()
        return self

    @property
    def url(self):
        return self.stack.url

    @property
    def process(self):
        """The first app process, which --profile samples."""
        return self.stack.apps[0].process

    def pids(self):
        return [*self.stack.pids(), self.postgres.process.pid]

    def stop(self):
        if self.stack is not None:
            self.stack.stop()
        self.postgres.remove()


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
    if kind == "python-2":
        return ScaleStack(workdir, async_mode).start()
    install_node_modules()
    return NodeProcess(workdir).start()


def machine_busy_seconds():
    """Return the CPU seconds all processes of the machine have used since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def pids_of(server):
    """Return the process ids a server runs as."""
    if hasattr(server, "pids"):
        return server.pids()
    return [server.process.pid]


class Sampler(threading.Thread):
    """Sample processes' memory and CPU; read their CPU time at named marks.

    Several processes, and the children they start (PostgreSQL's backends),
    count as one. `peak_cpu_pct` is the busiest one-second window seen, in
    percent of one core: near 100 a single-threaded process was saturated.
    """

    def __init__(self, pids, interval=0.1):
        super().__init__(daemon=True)
        self.roots = [psutil.Process(pid) for pid in pids]
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

    def processes(self):
        found = list(self.roots)
        for root in self.roots:
            with contextlib.suppress(psutil.Error):
                found += root.children(recursive=True)
        return found

    def usage(self):
        """Return (CPU seconds, resident bytes) of all the processes together."""
        cpu_s = rss = 0
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                cpu_s += times.user + times.system
                rss += process.memory_info().rss
        return cpu_s, rss

    def sample(self):
        with self.lock:
            now = time.monotonic()
            cpu_s, rss = self.usage()
            self.peak_rss = max(self.peak_rss, rss)
            self.window.append((now, cpu_s))
            while now - self.window[0][0] > 1.0:
                self.window.popleft()
            since, spent = self.window[0]
            if now - since >= 0.9:
                busy = 100 * (cpu_s - spent) / (now - since)
                self.peak_cpu_pct = max(self.peak_cpu_pct, busy)

    def restart_peak(self):
        """Forget the busiest second so far; the next one counts from now."""
        with self.lock:
            self.window.clear()
            self.peak_cpu_pct = 0.0

    def mark(self, name):
        """Remember the CPU seconds and memory the processes have used up to now."""
        self.sample()
        cpu_s, rss = self.usage()
        self.marks[name] = {"cpu_s": cpu_s, "rss": rss, "at": time.monotonic()}

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
