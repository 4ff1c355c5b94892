"""Static checks that run with the suite: ruff's lint and format, and bandit."""

import os
import subprocess
import sys

from tests.servers import PROJECT

TOOLS = os.path.dirname(sys.executable)


def run(tool, *args):
    return subprocess.run(
        [os.path.join(TOOLS, tool), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", ".")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted():
    result = run("ruff", "format", "--check", "--no-cache", ".")

    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_finds_no_medium_or_high_issue_left_unexplained():
    """Accepted findings carry `# nosec <id>` beside the reason on the line before."""
    result = run(
        "bandit", "-q", "-r", ".", "-x", "./tests,./.venv,./bench", "-ll", "-f", "txt"
    )

    assert result.returncode == 0, result.stdout + result.stderr
