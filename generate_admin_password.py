"""Print the ADMIN_PASSWORD_HASH line for the .env file of a Planning Poker instance.

Run `python generate_admin_password.py --help` for the options.
"""

import argparse
import getpass
import sys

from werkzeug.security import generate_password_hash

MIN_LENGTH = 12

DESCRIPTION = """\
Erzeugt den Passwort-Hash für den Admin-Bereich (/admin) und gibt die Zeile
für die .env-Datei aus.

Ohne Option fragt das Skript zweimal verdeckt nach dem Passwort. Mit --stdin
liest es das Passwort aus der ersten Zeile der Standardeingabe, für Skripte:

  printf '%s\\n' "$PASSWORT" | python generate_admin_password.py --stdin >> .env

Die Zeile unverändert übernehmen: In einfachen Anführungszeichen lesen
python-dotenv und Docker Compose (env_file) die $-Zeichen des Hashes als
Text und nicht als Variablen."""


class PasswordRefused(Exception):
    """The password cannot be used; the message says why, in German."""


def read_password(from_stdin):
    """Return the password from standard input, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")

    first = getpass.getpass("Neues Admin-Passwort: ")
    second = getpass.getpass("Passwort wiederholen: ")
    if first != second:
        raise PasswordRefused("Die beiden Eingaben stimmen nicht überein.")
    return first


def env_line(password):
    """Return the .env line that holds the password's Werkzeug hash."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(
            f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen lang sein."
        )
    # A Werkzeug hash never contains a single quote, so it needs no escaping.
    return f"ADMIN_PASSWORD_HASH='{generate_password_hash(password)}'"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="das Passwort aus der Standardeingabe lesen, statt verdeckt zu fragen",
    )
    options = parser.parse_args(argv)

    try:
        line = env_line(read_password(options.stdin))
    except PasswordRefused as refused:
        print(refused, file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nAbgebrochen.", file=sys.stderr)
        return 1

    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
