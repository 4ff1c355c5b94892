"""A private Docker engine for the container test, confined to its own network.

The engine runs in a network namespace of its own, so its bridge, firewall
rules and published ports never touch the machine's network, and the ports
of docker-compose-multi.yml are free there by construction. Builds reach the
package registry through a small CONNECT relay listening inside that
namespace. The base image is a stand-in built from the Debian archive,
because no registry of container images is reachable.
"""

import contextlib
import ctypes
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

DOCKER = "/usr/bin/docker"
DOCKERD = "/usr/sbin/dockerd"
COMPOSE = "/usr/bin/docker-compose"
MMDEBSTRAP = "/usr/bin/mmdebstrap"
IP = "/usr/sbin/ip"
NSENTER = "/usr/bin/nsenter"

CLONE_NEWNET = 0x40000000
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_CA_FILES = "/usr/local/share/ca-certificates/*.crt"


def in_namespace(netns_path, action):
    """Run `action()` on a thread inside the network namespace; return its result.

    Sockets keep the namespace they were made in, so a connection opened
    here reaches the engine's ports from any thread afterwards.
    """
    outcome = {}

    def run():
        libc = ctypes.CDLL(None, use_errno=True)
        descriptor = os.open(netns_path, os.O_RDONLY)
        try:
            if libc.setns(descriptor, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")
        finally:
            os.close(descriptor)
        try:
            outcome["value"] = action()
        except BaseException as failure:  # handed to the calling thread
            outcome["error"] = failure

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class ConnectRelay:
    """An HTTPS-only CONNECT proxy: listens in the namespace, dials from the host."""

    def __init__(self, netns_path):
        self.listener = in_namespace(
            netns_path, lambda: socket.create_server(("127.0.0.1", 0))
        )
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def serve(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self.tunnel, args=(client,), daemon=True).start()

    def tunnel(self, client):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = client.recv(1024)
            if not chunk:
                return
            head += chunk
        method, target, *_rest = head.split(b"\r\n", 1)[0].decode().split()
        host, _colon, port = target.rpartition(":")
        if method != "CONNECT" or port != "443":
            client.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((host, 443), timeout=30)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        self.sockets.append(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def pump(source, target):
    """Copy bytes from one socket to the other until either side closes."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class PrivateDocker:
    """dockerd with its own socket, folders and network; stopped by its own PID."""

    def __init__(self, folder):
        self.folder = folder
        self.netns = f"poker-test-{os.getpid()}"
        self.netns_path = f"/run/netns/{self.netns}"
        self.socket = os.path.join(folder, "docker.sock")
        self.log_path = os.path.join(folder, "dockerd.log")
        self.process = None
        self.relay = None

    @property
    def env(self):
        return {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_BUILDKIT": "0",
            "COMPOSE_DOCKER_CLI_BUILD": "0",
        }

    def start(self, timeout=60):
        subprocess.run([IP, "netns", "add", self.netns], check=True)
        subprocess.run(
            [IP, "netns", "exec", self.netns, IP, "link", "set", "lo", "up"], check=True
        )
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        # nsenter switches only the network: dockerd needs the host's cgroups.
        self.process = subprocess.Popen(
            [
                NSENTER, f"--net={self.netns_path}", DOCKERD,
                "--host", f"unix://{self.socket}",
                "--data-root", os.path.join(self.folder, "root"),
                "--exec-root", os.path.join(self.folder, "exec"),
                "--pidfile", os.path.join(self.folder, "dockerd.pid"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while self.docker("info", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not start:\n{self.read_log()}")
            time.sleep(0.5)
        self.relay = ConnectRelay(self.netns_path)
        return self

    def read_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()[-5000:]

    def docker(self, *args, check=True, timeout=300, **kwargs):
        return subprocess.run(
            [DOCKER, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            **kwargs,
        )

    def build_base_image(self, tag):
        """Build a stand-in for the official image `tag` from the Debian archive.

        The Debian release and the Python minor version come from the tag
        (`python:3.11-slim-bookworm`); the image trusts the host's CAs, and
        its Python must have the tag's minor version.
        """
        match = re.fullmatch(r"python:(\d+\.\d+)[\d.]*-slim-(\w+)", tag)
        assert match, f"cannot build a stand-in for {tag}"
        wanted_python, suite = match.groups()
        hooks = [
            f"--customize-hook=copy-in {path} /usr/local/share/ca-certificates/"
            for path in sorted(glob.glob(HOST_CA_FILES))
        ]
        hooks += [
            '--customize-hook=chroot "$1" update-ca-certificates',
            # The official image has `python` in /usr/local/bin; the Dockerfile uses it.
            '--customize-hook=ln -s /usr/bin/python3 "$1/usr/local/bin/python"',
        ]
        rootfs = subprocess.Popen(
            [
                MMDEBSTRAP, "--quiet", "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                *hooks, suite, "-",
            ],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        try:
            self.docker(
                "import",
                "--change", f"ENV PATH={BASE_PATH}",
                "--change", "ENV LANG=C.UTF-8",
                "--change", "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
                "--change", 'CMD ["python3"]',
                "-", tag,
                stdin=rootfs.stdout,
            )  # fmt: skip
        finally:
            rootfs.stdout.close()
            rootfs.wait(60)
        assert rootfs.returncode == 0, "mmdebstrap failed"
        found = self.docker(
            "run", "--rm", tag, "python", "-c",
            "import sys; print('%d.%d' % sys.version_info[:2])",
        ).stdout.strip()  # fmt: skip
        assert found == wanted_python, (
            f"Debian {suite} has Python {found}, the FROM line asks {wanted_python}"
        )

    def build(self, tag, context):
        """Build the project's Dockerfile, with registry access through the relay."""
        return self.docker(
            "build", "--network", "host",
            "--build-arg", f"HTTPS_PROXY={self.relay.url}",
            "--build-arg", f"https_proxy={self.relay.url}",
            "--tag", tag, context,
            timeout=600,
        )  # fmt: skip

    def stop(self):
        """Stop dockerd by its own process id, then remove its network namespace."""
        if self.relay is not None:
            self.relay.close()
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.process is not None:
            self.log.close()
        self.unmount_leftovers()
        subprocess.run([IP, "netns", "delete", self.netns], check=False)
        # Images and layers take a gigabyte; pytest would keep them for days.
        for name in ("root", "exec"):
            shutil.rmtree(os.path.join(self.folder, name), ignore_errors=True)

    def unmount_leftovers(self):
        """Unmount anything a stopped engine left mounted below its folder."""
        with open("/proc/self/mounts") as mounts:
            points = [line.split()[1] for line in mounts]
        for point in sorted(points, key=len, reverse=True):
            if point.startswith(self.folder + "/"):
                subprocess.run(["umount", "--lazy", point], check=False)
