"""Container health check: exit 0 when the app's /healthz says ok, 1 otherwise.

Standard library only, so the image needs no curl. Reads PORT and
URL_PREFIX from the container's environment, like the app.
"""

import json
import os
import sys
import urllib.request


def health_url():
    port = os.environ.get("PORT", "").strip() or "5000"
    prefix = os.environ.get("URL_PREFIX", "").strip().strip("/")
    path = f"/{prefix}/healthz" if prefix else "/healthz"
    return f"http://127.0.0.1:{port}{path}"


def main():
    """Return None when healthy, else why not: sys.exit prints it and exits 1."""
    url = health_url()
    try:
        # A fixed http address on loopback, never user input.
        opened = urllib.request.urlopen(url, timeout=4)  # noqa: S310  # nosec B310
        with opened as answer:
            status = json.load(answer).get("status")
    except (OSError, ValueError) as problem:
        return f"unhealthy: {url}: {problem}"
    if status != "ok":
        return f"unhealthy: {url} answered status {status!r}"
    return None


if __name__ == "__main__":
    sys.exit(main())
