"""Stories in and out of CSV: a forgiving import with a preview, an Excel-safe export.

The import reads what teams actually have: German Excel (semicolons,
Windows-1252 or UTF-8 with byte-order mark), hand-written files and Jira
exports. Nothing is written here; `parse` only says what an import would
create and what stands in its way, line by line.
"""

import codecs
import csv
import dataclasses
import io

import backlog
import rooms

MAX_BYTES = 256 * 1024
MAX_STORIES = 500
DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {";": "Semikolon", ",": "Komma", "\t": "Tabulator"}

# Header names are compared in lower case; the first matching column wins.
COLUMNS = {
    "title": ("titel", "title", "summary", "zusammenfassung", "story", "name"),
    "description": ("beschreibung", "description"),
    "link": ("link", "url"),
    "reference": (
        *("referenz", "reference", "issue key", "key", "schlüssel"),
        *("vorgangsschlüssel", "ticket"),
    ),
    "previous_estimate": (
        *("schätzung", "estimate", "story points", "storypoints", "punkte"),
        *("story point estimate",),
    ),
}
# Jira names its story point column after the custom field, in any language:
# "Custom field (Story Points)", "Benutzerdefiniertes Feld (Story Points)".
STORY_POINTS_MARK = "story point"

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORT_HEADER = (
    *("Titel", "Beschreibung", "Link", "Referenz", "Status", "Schätzung"),
    *("Geschätzt von", "Geschätzt am", "Runden"),
)


@dataclasses.dataclass
class Preview:
    """What an import would create (`stories`) and what prevents it (`problems`)."""

    stories: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)
    ignored_columns: list = dataclasses.field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def importable(self):
        return bool(self.stories) and not self.problems

    def problem(self, line, message):
        self.problems.append({"line": line, "message": message})


def decode(data):
    """Return (text, encoding): UTF-16 or UTF-8 by their marks, else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "Windows-1252"


def sniff_delimiter(text):
    """Pick the delimiter that splits the header line into the most columns."""

    def columns(delimiter):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return len(next(reader, []))

    return max(DELIMITERS, key=columns)


def map_columns(header):
    """Return ({field: column index}, [ignored header names])."""
    mapping = {}
    ignored = []
    for index, name in enumerate(header):
        key = " ".join(name.lower().split())
        field = next((f for f, names in COLUMNS.items() if key in names), None)
        if field is None and STORY_POINTS_MARK in key:
            field = "previous_estimate"
        if field is None or field in mapping:
            ignored.append(name.strip())
        else:
            mapping[field] = index
    return mapping, list(dict.fromkeys(name for name in ignored if name))


def restore_cell(cell):
    """Undo the export's formula guard and unify line breaks."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        cell = cell[1:]
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def parse(data):
    """Read CSV bytes into a Preview; line numbers count physical lines from 1."""
    preview = Preview()
    if len(data) > MAX_BYTES:
        preview.problem(1, f"Die Datei ist größer als {MAX_BYTES // 1024} KB.")
        return preview
    try:
        text, preview.encoding = decode(data)
    except UnicodeDecodeError:
        preview.problem(1, "Die Datei ist weder UTF-8 noch Windows-1252 kodiert.")
        return preview
    if "\x00" in text:
        preview.problem(
            1, "Das ist keine CSV-Datei. Bitte in Excel „Speichern unter: CSV“ wählen."
        )
        return preview

    try:
        preview.delimiter = sniff_delimiter(text)
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=preview.delimiter, strict=True
        )
        read_rows(reader, preview)
    except csv.Error:
        # rows catch their own errors; this is the header line or an oversized field
        preview.problem(
            1, "Die Kopfzeile ist kein gültiges CSV; bitte Anführungszeichen prüfen."
        )
        return preview
    if not preview.stories and not preview.problems:
        preview.problem(2, "Die Datei enthält keine Storys.")
    return preview


def read_rows(reader, preview):
    """Fill the preview from the reader: header first, then one story per row."""
    header = next(reader, None)
    if not header:
        preview.problem(1, "Die Datei ist leer.")
        return
    mapping, preview.ignored_columns = map_columns(header)
    if "title" not in mapping:
        preview.problem(
            1, "Keine Spalte für den Titel gefunden (Titel, Title oder Summary)."
        )
        return

    line = reader.line_num + 1
    while True:
        start = line
        try:
            row = next(reader, None)
        except csv.Error:
            preview.problem(
                start,
                "Die Zeile ist kein gültiges CSV; bitte Anführungszeichen prüfen.",
            )
            return
        if row is None:
            return
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        raw = {
            field: restore_cell(row[index]) if index < len(row) else ""
            for field, index in mapping.items()
        }
        try:
            story = backlog.clean_story(raw)
        except rooms.RoomError as refused:
            preview.problem(start, refused.message)
            continue
        if len(preview.stories) == MAX_STORIES:
            preview.problem(start, f"Mehr als {MAX_STORIES} Storys auf einmal.")
            return
        preview.stories.append({**story, "line": start})


def neutralise(cell):
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export(rows):
    """Return CSV bytes for German Excel: UTF-8 with byte-order mark, semicolons.

    `rows` are sequences in the order of EXPORT_HEADER.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
