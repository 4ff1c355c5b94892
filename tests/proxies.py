"""Run the example nginx and HAProxy configurations of deploy/ on loopback for tests.

Only what cannot work on a test machine changes: listening ports, certificate
paths, the app's port and, where a test asks for it, the timeouts. Each
replacement must match, so a changed example fails loudly instead of
silently testing something else.
"""

import contextlib
import os
import re
import signal
import subprocess
import time

import requests

from tests.servers import PROJECT
from tests.servers import free_port

NGINX = "/usr/sbin/nginx"
HAPROXY = "/usr/sbin/haproxy"


def replace(text, pattern, new):
    """Replace every match of `pattern`; fail when it matches nothing."""
    changed, count = re.subn(pattern, new, text, flags=re.MULTILINE)
    assert count, f"the example configuration no longer contains {pattern!r}"
    return changed


def upstream_pattern(example):
    """Match an upstream as the example names it: a port on 127.0.0.1, or host:port."""
    if isinstance(example, int):
        return rf"127\.0\.0\.1:{example}\b"
    return re.escape(example) + r"\b"


def make_certificate(folder):
    """Write a self-signed certificate for 127.0.0.1 and return its paths."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    bundle_dir = os.path.join(folder, "haproxy-certs")
    os.makedirs(bundle_dir, exist_ok=True)
    with open(os.path.join(bundle_dir, "test.pem"), "w") as bundle:
        for part in (cert, key):
            with open(part) as source:
                bundle.write(source.read())
    return {"cert": cert, "key": key, "bundle_dir": bundle_dir}


class Proxy:
    """One proxy process in front of app processes, stopped by its own id."""

    def __init__(self, kind, example, folder, tls, upstreams, timeout=None):
        self.kind = kind
        self.folder = folder
        self.http_port = free_port()
        self.https_port = free_port()
        with open(os.path.join(PROJECT, "deploy", example)) as source:
            text = source.read()
        if kind == "nginx":
            self.command = self.nginx_command(text, tls, upstreams, timeout)
        else:
            self.command = self.haproxy_command(text, tls, upstreams, timeout)
        self.log_path = os.path.join(folder, f"{kind}.log")
        self.process = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.https_port}"

    def nginx_command(self, text, tls, upstreams, timeout):
        text = replace(text, r"^\s*listen \[::\]:.*$", "")
        text = replace(text, r"listen 80;", f"listen 127.0.0.1:{self.http_port};")
        text = replace(text, r"listen 443 ", f"listen 127.0.0.1:{self.https_port} ")
        text = replace(text, r"ssl_certificate \S+;", f"ssl_certificate {tls['cert']};")
        text = replace(
            text, r"ssl_certificate_key \S+;", f"ssl_certificate_key {tls['key']};"
        )
        for example, port in upstreams.items():
            text = replace(text, upstream_pattern(example), f"127.0.0.1:{port}")
        if timeout is not None:
            text = replace(
                text, r"proxy_read_timeout \S+;", f"proxy_read_timeout {timeout}s;"
            )
            text = replace(
                text, r"proxy_send_timeout \S+;", f"proxy_send_timeout {timeout}s;"
            )
        site = os.path.join(self.folder, "site.conf")
        with open(site, "w") as target:
            target.write(text)

        # The frame a distribution's nginx.conf gives a site, confined to the folder.
        main = os.path.join(self.folder, "nginx.conf")
        temp = os.path.join(self.folder, "temp")
        os.makedirs(temp, exist_ok=True)
        with open(main, "w") as target:
            target.write(
                f"pid {self.folder}/nginx.pid;\n"
                f"error_log {self.folder}/error.log info;\n"
                "events { worker_connections 512; }\n"
                "http {\n"
                f"  access_log {self.folder}/access.log;\n"
                + "".join(
                    f"  {kind}_temp_path {temp}/{kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                )
                + f"  include {site};\n"
                "}\n"
            )
        # One process as root: no worker user that would need the temp folder.
        return [
            NGINX,
            "-c",
            main,
            "-p",
            self.folder,
            "-g",
            "daemon off; master_process off;",
        ]

    def haproxy_command(self, text, tls, upstreams, timeout):
        text = replace(text, r"bind :80$", f"bind 127.0.0.1:{self.http_port}")
        text = replace(
            text,
            r"bind :443 ssl crt \S+",
            f"bind 127.0.0.1:{self.https_port} ssl crt {tls['bundle_dir']}/",
        )
        for example, port in upstreams.items():
            text = replace(text, upstream_pattern(example), f"127.0.0.1:{port}")
        if timeout is not None:
            for name in ("client", "server", "tunnel"):
                text = replace(
                    text, rf"timeout {name} \S+", f"timeout {name} {timeout}s"
                )
        config = os.path.join(self.folder, "haproxy.cfg")
        with open(config, "w") as target:
            target.write(text)
        return [HAPROXY, "-db", "-f", config]

    def start(self, timeout=10):
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            self.wait_listening(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited early:\n{self.read_log()}")
            with contextlib.suppress(requests.RequestException):
                requests.get(
                    f"http://127.0.0.1:{self.http_port}/",
                    timeout=1,
                    allow_redirects=False,
                )
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not listen in {timeout} s")

    def read_log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def stop(self):
        """Stop the proxy by its own process id and wait for it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


@contextlib.contextmanager
def running_proxy(*args, **kwargs):
    proxy = Proxy(*args, **kwargs).start()
    try:
        yield proxy
    finally:
        proxy.stop()
