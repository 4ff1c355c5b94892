"""generate_admin_password.py: prompts, refusals, a line that .env readers keep."""

import os
import re
import subprocess
import sys

import pytest
from dotenv import dotenv_values
from werkzeug.security import check_password_hash

import generate_admin_password
from tests.conftest import needs_tool

SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "generate_admin_password.py"
)
PASSWORD = "Kartenhaus-im-Sturm-2026"
LINE = re.compile(r"ADMIN_PASSWORD_HASH='([^']+)'")


def run(*args, stdin=""):
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def printed_hash(stdout):
    match = LINE.fullmatch(stdout.strip())
    assert match, stdout
    return match.group(1)


@pytest.fixture(scope="module")
def env_line():
    """One line from the script, shared: a default scrypt hash takes a moment."""
    result = run("--stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_stdin_prints_one_line_with_a_werkzeug_hash_of_the_password(env_line):
    stored = printed_hash(env_line)

    assert stored.startswith("scrypt:")
    assert stored.count("$") == 2
    assert check_password_hash(stored, PASSWORD)
    assert not check_password_hash(stored, PASSWORD + "x")


def test_python_dotenv_reads_the_exact_hash(env_line, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SECRET_KEY=abc\n{env_line}\nADMIN_USERNAME=chefin\n")

    values = dotenv_values(env_file)

    assert values["ADMIN_PASSWORD_HASH"] == printed_hash(env_line)
    assert values["ADMIN_USERNAME"] == "chefin"


@needs_tool("/usr/bin/docker-compose")
def test_docker_compose_env_file_reads_the_exact_hash(env_line, tmp_path):
    (tmp_path / "poker.env").write_text(env_line + "\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: planning-poker\n    env_file: poker.env\n"
    )

    result = subprocess.run(
        ["/usr/bin/docker-compose", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    (line,) = [
        line.strip()
        for line in result.stdout.splitlines()
        if "ADMIN_PASSWORD_HASH" in line
    ]
    # `config` prints a Compose file, in which `$$` stands for one literal `$`:
    # the value reached the service unchanged, not interpolated.
    expected = printed_hash(env_line).replace("$", "$$")
    assert line == f"ADMIN_PASSWORD_HASH: {expected}"
    assert "WARNING" not in result.stderr


def test_a_short_password_is_refused():
    result = run("--stdin", stdin="elf-Zeichen\n")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "mindestens 12 Zeichen" in result.stderr


def test_empty_input_is_refused():
    result = run("--stdin")

    assert result.returncode == 1
    assert result.stdout == ""


def test_asks_twice_without_echo_and_refuses_a_mismatch(monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "!"])
    prompts = []

    def fake_getpass(prompt):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(generate_admin_password.getpass, "getpass", fake_getpass)

    assert generate_admin_password.main([]) == 1
    output = capsys.readouterr()
    assert prompts == ["Neues Admin-Passwort: ", "Passwort wiederholen: "]
    assert output.out == ""
    assert "stimmen nicht überein" in output.err


def test_asks_twice_and_prints_the_line_when_both_match(monkeypatch, capsys):
    monkeypatch.setattr(
        generate_admin_password.getpass, "getpass", lambda prompt: PASSWORD
    )
    monkeypatch.setattr(
        generate_admin_password,
        "generate_password_hash",
        lambda password: "pbkdf2:sha256:1000$salt$" + password.encode().hex(),
    )

    assert generate_admin_password.main([]) == 0
    stored = printed_hash(capsys.readouterr().out)
    assert stored == "pbkdf2:sha256:1000$salt$" + PASSWORD.encode().hex()


def test_help_explains_both_ways():
    result = run("--help")

    assert result.returncode == 0
    assert "--stdin" in result.stdout
    assert "zweimal verdeckt" in result.stdout
    assert "einfachen Anführungszeichen" in result.stdout
