"""CSV import with preview, CSV and JSON export, and formula neutralisation."""

import codecs
import datetime
import io
import json
import pathlib
import sqlite3

import pytest

import database
import story_csv
from tests.admin_client import add_story
from tests.admin_client import configure
from tests.admin_client import join
from tests.admin_client import login
from tests.admin_client import post
from tests.admin_client import query
from tests.admin_client import stories

DATA = pathlib.Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "expected-stories.json").read_text(encoding="utf-8"))
STORY_FIELDS = ("title", "description", "link", "reference", "previous_estimate")


@pytest.fixture
def app(app):
    return configure(app)


@pytest.fixture
def admin(client):
    assert login(client).status_code == 302
    return client


def upload(client, code, data, filename="stories.csv"):
    return post(
        client,
        f"/admin/rooms/{code}/import",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def hidden_field(page, name):
    start = page.index(f'name="{name}" value="') + len(f'name="{name}" value="')
    return page[start : page.index('"', start)]


def import_file(client, code, data):
    """Upload, then confirm the preview's form exactly as the browser sends it."""
    preview = upload(client, code, data).get_data(as_text=True)
    return post(
        client,
        f"/admin/rooms/{code}/import/confirm",
        {"payload": hidden_field(preview, "payload"), "filename": "stories.csv"},
    )


def without_lines(stories):
    return [{key: story[key] for key in STORY_FIELDS} for story in stories]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_files_parse_into_the_expected_stories(name):
    preview = story_csv.parse((DATA / name).read_bytes())

    assert preview.problems == []
    assert preview.stories == EXPECTED[name]
    assert preview.importable


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_files_import_through_the_dashboard(app, admin, room_code, name):
    answer = import_file(admin, room_code, (DATA / name).read_bytes())

    assert answer.status_code == 302
    imported = stories(app, room_code)
    assert without_lines(imported) == without_lines(EXPECTED[name])
    assert {story["status"] for story in imported} == {"open"}
    count = len(EXPECTED[name])
    assert f"{count} Storys importiert." in admin.get(f"/admin/rooms/{room_code}").text


def test_detected_encoding_delimiter_and_ignored_columns():
    jira = story_csv.parse((DATA / "stories-jira-export.csv").read_bytes())
    excel = story_csv.parse((DATA / "stories-excel-cp1252.csv").read_bytes())

    assert (jira.encoding, jira.delimiter) == ("UTF-8", ",")
    assert jira.ignored_columns == [
        "Issue id",
        "Issue Type",
        "Status",
        "Priority",
        "Sprint",
    ]
    assert (excel.encoding, excel.delimiter) == ("Windows-1252", ";")


def test_excel_unicode_text_in_utf16_with_tabs():
    data = "Titel\tBeschreibung\r\nÄnderung\tmit Tab-Trennung\r\n".encode("utf-16")

    preview = story_csv.parse(data)

    assert preview.delimiter == "\t"
    assert without_lines(preview.stories) == [
        {
            "title": "Änderung",
            "description": "mit Tab-Trennung",
            "link": "",
            "reference": "",
            "previous_estimate": "",
        }
    ]


def test_every_problem_is_reported_with_its_line():
    data = (
        "Titel;Beschreibung;Link\n"
        "Gut;;https://example.org\n"
        ";nur Beschreibung;\n"
        "Link kaputt;;ftp://example.org\n"
        '"Zwei\nZeilen";;\n' + "x" * 201 + ";;\n"
    ).encode()

    preview = story_csv.parse(data)

    assert preview.problems == [
        {"line": 3, "message": "Der Titel fehlt."},
        {"line": 4, "message": "Der Link muss eine http- oder https-Adresse sein."},
        {"line": 7, "message": "Der Titel ist länger als 200 Zeichen."},
    ]
    assert [story["line"] for story in preview.stories] == [2, 5]
    assert not preview.importable


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", {"line": 1, "message": "Die Datei ist leer."}),
        (
            b"Name;Farbe\n",
            {"line": 2, "message": "Die Datei enthält keine Storys."},
        ),
        (
            b"Farbe;Form\nrot;rund\n",
            {
                "line": 1,
                "message": "Keine Spalte für den Titel gefunden"
                " (Titel, Title oder Summary).",
            },
        ),
        (
            b'Titel\nGut\n"offen\nbis zum Ende\n',
            {
                "line": 3,
                "message": "Die Zeile ist kein gültiges CSV;"
                " bitte Anführungszeichen prüfen.",
            },
        ),
        (
            b"PK\x03\x04\x00\x00binary",
            {
                "line": 1,
                "message": "Das ist keine CSV-Datei."
                " Bitte in Excel „Speichern unter: CSV“ wählen.",
            },
        ),
    ],
)
def test_unusable_files_are_explained(data, problem):
    preview = story_csv.parse(data)

    assert preview.problems == [problem]
    assert not preview.importable


def test_preview_shows_rows_and_problems_and_imports_nothing(app, admin, room_code):
    data = b"Titel;Link\nErste;\n;\nZweite;mailto:x@example.org\n"

    page = upload(admin, room_code, data, "backlog.csv").get_data(as_text=True)

    assert "Vorschau: backlog.csv" in page
    assert "<td>Erste</td>" in page
    assert "Zeile 4: Der Link muss eine http- oder https-Adresse sein." in page
    assert 'id="confirm-import"' not in page
    assert stories(app, room_code) == []


def test_confirming_a_file_with_problems_imports_nothing(app, admin, room_code):
    data = "Titel\nErste\n\n" + "y" * 300 + "\n"
    payload = codecs.encode(data.encode(), "base64").decode().replace("\n", "")

    answer = post(
        admin, f"/admin/rooms/{room_code}/import/confirm", {"payload": payload}
    )

    assert answer.status_code == 400
    assert "es wurde nichts importiert" in answer.get_data(as_text=True)
    assert stories(app, room_code) == []


def test_a_failure_during_the_import_leaves_no_story_behind(app, admin, room_code):
    with app.app_context():
        database.get_db().execute(
            "CREATE TRIGGER refuse_dark_mode BEFORE INSERT ON stories"
            " WHEN NEW.title = 'Dark Mode' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )

    with pytest.raises(sqlite3.IntegrityError):
        import_file(admin, room_code, (DATA / "stories-jira-export.csv").read_bytes())

    assert stories(app, room_code) == []


def test_neutralise_guards_every_formula_start():
    cells = ["=1+1", "+49 30", "-5", "@SUM(A1)", "\tTab", "\rCR", "Text", "", None, 8]

    assert [story_csv.neutralise(cell) for cell in cells] == [
        "'=1+1",
        "'+49 30",
        "'-5",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "Text",
        "",
        "",
        "8",
    ]


def test_csv_export_is_for_german_excel_and_neutralises_formulas(app, admin, room_code):
    add_story(admin, app, room_code, '=HYPERLINK("http://evil")')
    add_story(admin, app, room_code, "@Sonderfall; mit Semikolon")
    story_id = add_story(admin, app, room_code, "Größe", description="a\nb")
    post(
        admin,
        f"/admin/rooms/{room_code}/stories/{story_id}/estimate",
        {"estimate": "13"},
    )

    answer = admin.get(f"/admin/rooms/{room_code}/export.csv")

    assert answer.mimetype == "text/csv"
    assert f"planning-poker-{room_code}-" in answer.headers["Content-Disposition"]
    body = answer.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "Titel;Beschreibung;Link;Referenz;Status;Schätzung;"
        "Geschätzt von;Geschätzt am;Runden"
    )
    assert lines[1].startswith('"\'=HYPERLINK(""http://evil"")";')
    assert lines[2].startswith('"\'@Sonderfall; mit Semikolon";')
    assert lines[3].startswith('Größe;"a\nb";;;geschätzt;13;chefin;')


def test_export_round_trip_keeps_the_titles(app, admin, room_code):
    titles = [
        "Größere Karten; mobil",
        'Zeile mit "Anführungszeichen"',
        "=1+1 ist keine Formel",
        "-minus",
        "Mehrzeilig",
    ]
    for title in titles:
        add_story(admin, app, room_code, title, description="eins\nzwei")
    first = stories(app, room_code)[0]["id"]
    post(
        admin,
        f"/admin/rooms/{room_code}/stories/{first}/estimate",
        {"estimate": "5"},
    )
    exported = admin.get(f"/admin/rooms/{room_code}/export.csv").get_data()
    other = admin.post("/api/rooms", json={"name": "Kopie"}).get_json()["code"]

    assert import_file(admin, other, exported).status_code == 302

    copied = stories(app, other)
    assert [story["title"] for story in copied] == titles
    assert {story["description"] for story in copied} == {"eins\nzwei"}
    assert copied[0]["previous_estimate"] == "5"


def test_json_export_holds_rounds_votes_and_the_final_estimate(
    app, admin, make_socket, room_code
):
    anna = make_socket(app.test_client())
    join(anna, room_code)
    story_id = add_story(admin, app, room_code, "Login per SSO")
    post(admin, f"/admin/rooms/{room_code}/stories/{story_id}/current")
    anna.emit("vote", {"value": "8"}, callback=True)
    anna.emit("reveal", {}, callback=True)
    post(
        admin,
        f"/admin/rooms/{room_code}/stories/{story_id}/estimate",
        {"estimate": "8"},
    )

    answer = admin.get(f"/admin/rooms/{room_code}/export.json")

    assert answer.mimetype == "application/json"
    document = json.loads(answer.get_data(as_text=True))
    assert document["room"]["code"] == room_code
    (story,) = document["stories"]
    assert (story["title"], story["final_estimate"], story["estimated_by"]) == (
        "Login per SSO",
        "8",
        "chefin",
    )
    (round_,) = story["rounds"]
    assert (round_["number"], round_["revealed"], round_["suggestion"]) == (
        1,
        True,
        "8",
    )
    (vote,) = round_["votes"]
    assert (vote["name"], vote["value"]) == ("Anna", "8")
    (row,) = query(app, "SELECT cast_at FROM votes")
    local = datetime.datetime.fromtimestamp(row["cast_at"])
    assert vote["cast_at"][:19] == local.isoformat(timespec="seconds")
    assert document["rounds_without_story"] == []
